#!/usr/bin/python3
"""bench/results.json (git-ignored): one JSON object, one section per benchmark, merged by the bench scripts.

usage: results.py set SECTION JSON     merge JSON (an object; "-" reads it from stdin) as section SECTION
       results.py table                print every section present as one table

Sections (written by): uki, boot (image/bench.py); diskboot (bench/diskboot_bench.py); ingest (bench/ingest_bench.sh);
hash (bench/hash_bench.sh); measure (bench/measure_bench.sh); verify (bench/verify_bench.sh); demo, demo_build
(bench/demo_bench.sh); scaling (bench/scaling_bench.sh); fuzz (bench/fuzz_bench.sh, from build/fuzz/results.json of
make fuzz); run (bench/all.sh, which make bench runs).
The file is rewritten atomically under an flock, so scripts may run one after another or side by side.
Env KETTLE_BENCH_RESULTS overrides the path.
"""
import fcntl
import json
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.environ.get("KETTLE_BENCH_RESULTS", os.path.join(TOP, "bench", "results.json"))
SCHEMA = "kettle-bench/v2"


def load(path=PATH):
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return {"schema": SCHEMA}
    if not isinstance(data, dict):
        raise SystemExit(f"results: {path} is not a JSON object")
    return data


def set_section(name, value, path=PATH):
    """Replace section `name` of the results file with `value` (a JSON object), keeping every other section."""
    if not isinstance(value, dict):
        raise SystemExit(f"results: section {name} must be a JSON object")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = load(path)
        data["schema"] = SCHEMA
        data[name] = value
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)


# ---- the table ---------------------------------------------------------------------------------------------------

def _num(v, unit="", digits=2):
    if v is None:
        return "-"
    return f"{v:.{digits}f}{unit}"


def _ms(v):
    return "-" if v is None else (f"{v / 1000:.1f} s" if v >= 10000 else f"{v:.0f} ms" if v >= 100 else f"{v:.2f} ms")


def _ratio(v, suffix="x"):
    return "-" if v is None else f"{v:.2f}{suffix}"


def diskboot_rows(db):
    """Rows of the diskboot section (bench/diskboot_bench.py)."""
    if not db:
        return []
    out = [("cloud disk build (kettle-disk.raw + GCP tar, median of 3)", _num(db["disk_build"]["median_s"], " s"),
            "-", "-", ""),
           ("kettle measure boot --image (hashes the 1 GiB disk)", _num(db["measure_boot"]["median_s"], " s"), "-", "-",
            "")]
    for name, r in db.get("event_log_replay", {}).items():
        label = "COS-113 CCEL, 43 events" if name == "cos113_ccel" else f"captured TPM log, {r['bytes']:,} B"
        out.append((f"event-log replay, kettle measure event-log ({label})", _ms(r["median_s"] * 1000), "-", "-", ""))
    b = db.get("boot", {})
    m = b.get("median_banner_s", {})
    out.append((f"boot to PID 1 banner, TCG: disk boot (NVMe) vs direct (median of {b.get('runs')})",
                _num(m.get("disk"), " s"), f"direct -kernel {_num(m.get('direct'), ' s')}",
                _ratio(b.get("ratio_disk_over_direct"), "x time"), ""))
    u = db.get("uki", {})
    w, wo = u.get("with_issue13_drivers") or {}, u.get("without_issue13_drivers")
    out.append(("UKI size with the NVMe/TPM drivers", "-" if not w else f"{w['size'] / 1e6:.2f} MB",
                "without: not measured (kernel not cached)" if not wo else f"without {wo['size'] / 1e6:.2f} MB",
                "-" if not (w and wo) else f"+{(w['size'] - wo['size']) / 1e3:.0f} kB", "<= 6 MB"))
    return out


def rows(data):
    """(benchmark, kettle, reference, ratio, target) rows for every section present."""
    out = []
    uki = data.get("uki")
    if uki:
        k, c = uki.get("kettle", {}), uki.get("debian-cloud", {})
        size = k.get("size")
        out.append(("UKI size (kettle.efi)", "-" if size is None else f"{size / 1e6:.2f} MB",
                    "-" if not c.get("size") else f"debian-cloud UKI {c['size'] / 1e6:.2f} MB", "-", "<= 12 MB"))
        for sec, n in sorted(k.get("sections", {}).items(), key=lambda kv: -kv[1]):
            out.append((f"  section {sec}", f"{n:,} B", "-" if sec not in c.get("sections", {})
                        else f"{c['sections'][sec]:,} B", "-", ""))
    boot = data.get("boot")
    if boot:
        s = boot.get("summary", {})
        k, c = s.get("kettle", {}), s.get("debian-cloud", {})
        runs = k.get("runs")
        out.append((f"boot to PID 1 banner, TCG (median of {runs})", _num(k.get("median_banner_s"), " s"),
                    f"debian-cloud {_num(c.get('median_banner_s'), ' s')}",
                    _ratio(boot.get("ratio_kettle_over_cloud"), "x time"), "< 1x (faster)"))
    out += diskboot_rows(data.get("diskboot"))
    ing = data.get("ingest")
    if ing:
        out.append((f"input ingest, hash + extract ({ing.get('device_mb', 0):.0f} MB, median of {ing.get('runs')})",
                    _num(ing.get("kettle_s"), " s"), f"tar -x + sha256sum {_num(ing.get('native_s'), ' s')}",
                    _ratio(ing.get("ratio"), "x thru."), ">= 0.9x"))
        if ing.get("kettle_inprocess_s") is not None:
            out.append(("  before the parser child (in PID 1's process)", _num(ing["kettle_inprocess_s"], " s"),
                        f"tar -x + sha256sum {_num(ing.get('native_s'), ' s')}",
                        _ratio(ing.get("ratio_inprocess"), "x thru."), ""))
        if ing.get("kettle_cpu_s") is not None:
            out.append((f"  CPU time, user + sys (load avg. {ing.get('loadavg_1min')} on {ing.get('nproc')} cores)",
                        _num(ing["kettle_cpu_s"], " s"), f"tar -x + sha256sum {_num(ing.get('native_cpu_s'), ' s')}",
                        _ratio(ing.get("cpu_ratio"), "x"), ""))
    hs = data.get("hash")
    if hs:
        out.append((f"SHA-256, 256 MiB in one process (SHA extensions: {'yes' if hs.get('sha_extensions') else 'no'})",
                    f"nettle {_num(hs.get('nettle_mb_s'), ' MB/s', 0)}", f"mbedTLS {_num(hs.get('mbedtls_mb_s'), ' MB/s', 0)}",
                    _ratio(hs.get("ratio"), "x faster"), "faster"))
    m = data.get("measure")
    if m:
        if m.get("skipped"):
            out.append(("kettle measure snp", "-", "sev-snp-measure absent: skipped", "-", ">= 50x"))
        else:
            out.append((f"kettle measure snp ({m.get('inputs')})", _ms(m.get("kettle_us", 0) / 1000),
                        f"sev-snp-measure {_ms(m.get('sev_snp_measure_us', 0) / 1000)}",
                        _ratio(m.get("ratio"), "x faster"), ">= 50x"))
    v = data.get("verify")
    if v:
        if v.get("in_process_ms") is not None:
            out.append(("verify one SNP bundle, in process", _ms(v["in_process_ms"]), "-", "-", "<= 20 ms"))
        if v.get("amd_chain_report_ms") is not None:
            out.append(("  SNP report, real AMD chain + P-384 sig.", _ms(v["amd_chain_report_ms"]), "-", "-", ""))
        if v.get("process_ms") is not None:
            out.append(("verify one SNP bundle, whole process", _ms(v["process_ms"]), "-", "-", "<= 20 ms"))
    d = data.get("demo")
    if d:
        host, guest = d.get("host_s", {}), d.get("guest_ms", {})
        out.append((f"demo (GNU hello) under TCG, run of {d.get('started_on', '?')}: phases, host view", "",
                    "guest's own timings_ms", "", ""))
        groups = (("boot (QEMU start -> PID 1 marker)", ["boot"]), ("cmdline", ["cmdline"]), ("ingest", ["ingest"]),
                  ("checkout", ["checkout"]), ("build", ["build"]), ("outputs (collect + output)", ["collect", "output"]),
                  ("attestation", ["attest"]), ("poweroff + output disk read", ["poweroff"]))
        for label, keys in groups:
            hs = [host[k] for k in keys if k in host]
            gs = [guest[k] for k in keys if k in guest]
            if hs or gs:
                out.append((f"  {label}", _num(sum(hs), " s", 2) if hs else "-", _ms(sum(gs)) if gs else "-", "", ""))
        if d.get("total_s") is not None:
            out.append(("  kettle run total", _num(d["total_s"], " s", 1), "", "", ""))
        if d.get("fixed_overhead_s") is not None:
            out.append(("  fixed overhead (all but the build)", _num(d["fixed_overhead_s"], " s", 1), "", "",
                        "<= 60 s"))
        if d.get("make_demo_wall_s") is not None:
            out.append(("  make demo, wall clock", _num(d["make_demo_wall_s"], " s", 0), "", "", "<= 15 min"))
    fz = data.get("fuzz")
    if fz:
        out.append((f"fuzz targets, {fz.get('fuzz_seconds')} s each ({fz.get('finished_on', '?')}): exec/s, "
                    "coverage cov/ft", "", "corpus files, crashes", "", ""))
        for name, t in sorted(fz.get("targets", {}).items()):
            out.append((f"  {name}", f"{t.get('exec_per_s', 0):,}/s", f"corpus {t.get('corpus_files', 0)}, "
                        f"crashes {t.get('crashes', 0)}", f"cov {t.get('cov') or '-'} ft {t.get('ft') or '-'}",
                        "no crash"))
    db = data.get("demo_build")
    if db:
        out.append(("demo build: VM (TCG) vs native chroot", _num(db.get("vm_s"), " s", 1),
                    f"native chroot {_num(db.get('native_s'), ' s', 1)}", _ratio(db.get("ratio"), "x slower"),
                    "(TCG: no target)"))
    sc = data.get("scaling")
    if sc:
        out.append(("toolchain scaling, TCG: VM start -> build start, memory in use then", "image path",
                    "tarball path", "", ""))
        for e in sc.get("sizes", []):
            i, t = e.get("image", {}), e.get("tarball", {})
            ratio = (t["start_to_build_s"] / i["start_to_build_s"]) if i.get("start_to_build_s") else None
            out.append((f"  {e['size_mb']} MB toolchain",
                        f"{_num(i.get('start_to_build_s'), ' s', 1)}, {_num(i.get('mem_used_at_build_mib'), ' MiB', 0)}",
                        f"{_num(t.get('start_to_build_s'), ' s', 1)} ({_num(t.get('kettle_run_to_build_s'), ' s', 1)} "
                        f"from kettle run), {_num(t.get('mem_used_at_build_mib'), ' MiB', 0)} (--memory {t.get('memory_mib')}M)",
                        _ratio(ratio, "x faster"), ""))
        spread = sc.get("image_start_spread")
        out.append(("  image path start-up spread across sizes", _num(None if spread is None else 100 * spread, " %", 1),
                    "", "", "<= 20 %"))
    return out


def table(data):
    rs = rows(data)
    if not rs:
        print("bench: no results yet (bench/results.json)")
        return
    head = ("benchmark", "kettle", "reference", "ratio", "target")
    w = [max(len(str(r[i])) for r in rs + [head]) for i in range(5)]
    line = lambda r: "  ".join(str(r[i]).ljust(w[i]) if i in (0, 2, 4) else str(r[i]).rjust(w[i])  # noqa: E731
                               for i in range(5)).rstrip()
    print(line(head))
    print("  ".join("-" * n for n in w))
    for r in rs:
        print(line(r))
    run = data.get("run", {})
    if run:
        print(f"run {run.get('finished_on')}, {run.get('nproc')} cores, load average {run.get('loadavg')}, "
              f"commit {str(run.get('kettle_commit'))[:12]}" +
              (f"; FAILED: {' '.join(run['failed'])}" if run.get("failed") else ""))
    print(f"(figures and raw samples: {os.path.relpath(PATH)})")


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "set":
        text = sys.stdin.read() if a[2] == "-" else a[2]
        set_section(a[1], json.loads(text))
    elif a == ["table"]:
        table(load())
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
