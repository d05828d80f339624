#!/usr/bin/python3
"""make bench (first entries): UKI size and sections; QEMU start -> PID 1 banner under TCG for the Kettle UKI
against Debian's bookworm cloud kernel packed into a UKI with the same stub, initrd, command line and firmware,
in the same run, alternating, N runs each. Merges sections uki and boot into bench/results.json
(bench/results.py; `bench/results.py table` prints them).

usage: bench.py TOP IMAGE_DIR CLOUD_VMLINUZ CLOUD_PACKAGE [RUNS]
"""
import os
import select
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import assemble  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
import results  # noqa: E402

TIMEOUT = 240.0


def boot(efi, fd):
    """One TCG direct boot (-kernel); see boot_cmd."""
    return boot_cmd(["qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-smp", "1", "-nodefaults", "-display",
                     "none", "-no-reboot", "-monitor", "none", "-serial", "stdio", "-bios", fd, "-kernel", efi])


def boot_cmd(cmd):
    """Run one QEMU command (serial console on stdout); returns seconds from QEMU start to 'Linux version', to the
    KETTLE-INIT banner, and to exit."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf, t_linux, t_banner, banner = b"", None, None, None
    try:
        while True:
            left = TIMEOUT - (time.monotonic() - t0)
            if left <= 0:
                raise TimeoutError
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            now = time.monotonic() - t0
            if not chunk:
                break
            buf += chunk
            if t_linux is None and b"Linux version" in buf:
                t_linux = now
            if t_banner is None and b"\nKETTLE-INIT " in buf:
                t_banner = now
        p.wait(timeout=30)
    except TimeoutError:
        p.kill()
        p.wait()
    t_exit = time.monotonic() - t0
    for line in buf.decode(errors="replace").splitlines():
        if line.startswith("KETTLE-INIT "):
            banner = line.strip()
            break
    ok = t_banner is not None and banner is not None and "REFUSED" not in banner and b"reboot: Power down" in buf
    return {"ok": ok, "linux_version_s": t_linux, "banner_s": t_banner, "exit_s": t_exit, "banner": banner}


def main():
    top, image_dir, cloud_vmlinuz, cloud_pkg = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    parts = os.path.join(image_dir, "parts")
    work = os.path.join(top, "build", "bench")
    os.makedirs(work, exist_ok=True)
    ours = os.path.join(image_dir, "kettle.efi")
    cloud = os.path.join(work, "cloud.efi")
    assemble.make_uki(os.path.join(parts, "linuxx64.efi.stub"), cloud_vmlinuz, os.path.join(parts, "initrd.cpio.zst"),
                      os.path.join(top, "image", "cmdline.txt"), os.path.join(top, "image", "os-release"), cloud)
    fd = os.path.join(image_dir, "ovmf.fd")
    uki = {}
    for name, path in (("kettle", ours), ("debian-cloud", cloud)):
        uki[name] = {"size": os.path.getsize(path), "sha256": assemble.sha256_file(path),
                     "sections": {s["name"]: s["virtual_size"] for s in assemble.pe_sections(path)}}
    samples = {"kettle": [], "debian-cloud": []}
    for i in range(runs):
        for name, path in (("kettle", ours), ("debian-cloud", cloud)) if i % 2 == 0 else \
                          (("debian-cloud", cloud), ("kettle", ours)):
            r = boot(path, fd)
            samples[name].append(r)
            print(f"  run {i + 1}/{runs} {name:13} banner {r['banner_s'] and round(r['banner_s'], 2)} s"
                  f"{'' if r['ok'] else '  FAILED: ' + str(r['banner'])}", file=sys.stderr)

    def med(name, key):
        v = [r[key] for r in samples[name] if r["ok"] and r[key] is not None]
        return statistics.median(v) if v else None

    summary = {}
    for name in samples:
        b, lv = med(name, "banner_s"), med(name, "linux_version_s")
        summary[name] = {"median_banner_s": b, "median_linux_version_s": lv,
                         "median_kernel_share_s": None if b is None or lv is None else b - lv,
                         "ok_runs": sum(r["ok"] for r in samples[name]), "runs": runs}
    kb, cb = summary["kettle"]["median_banner_s"], summary["debian-cloud"]["median_banner_s"]
    ratio = kb / cb if kb and cb else None
    qemu = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "qemu-system-x86"], capture_output=True,
                          text=True).stdout
    boot_section = {"host": {"nproc": os.cpu_count(), "qemu": qemu, "accel": "tcg"},
                    "firmware": {"file": "ovmf.fd", "sha256": assemble.sha256_file(fd)}, "cloud_kernel": cloud_pkg,
                    "samples": samples, "summary": summary, "ratio_kettle_over_cloud": ratio}
    results.set_section("uki", uki)
    results.set_section("boot", boot_section)
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    print(f"bench boot: kettle {fmt(kb)} s, debian-cloud {fmt(cb)} s to the PID 1 banner (TCG, median of {runs}); "
          f"UKI {uki['kettle']['size']} bytes -> bench/results.json sections uki, boot")
    if summary["kettle"]["ok_runs"] == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
