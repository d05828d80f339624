#!/usr/bin/python3
"""make bench, section diskboot (run by bench/diskboot_bench.sh).

usage: diskboot_bench.py TOP IMAGE_DIR BZIMAGE_WITHOUT_ISSUE13|none RUNS

- disk build: `image/assemble.py disk` (sgdisk, mkfs.fat, mtools, tar, gzip) on kettle.efi, median of 3
- `kettle measure boot --image` (hashes the 1 GiB disk and kettle.efi, predicts every event), median of 3
- `kettle measure event-log` on the public COS-113 CCEL (43 events) and, when the swtpm test left one, on a
  captured TPM log; median of 5 processes each
- QEMU start -> PID 1 banner under TCG: disk boot (OVMF boots kettle-disk.raw from NVMe) and direct boot
  (-kernel kettle.efi), same firmware (ovmf.fd), alternating, RUNS each
- UKI size now and with the kernel built without the issue-13 block of the kernel config (when available)
"""
import importlib.util
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "image"))
import assemble  # noqa: E402
import results  # noqa: E402

# image/bench.py (the direct-boot benchmark): the same QEMU runner and banner detection.
_spec = importlib.util.spec_from_file_location("image_bench", os.path.join(os.path.dirname(HERE), "image", "bench.py"))
image_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_bench)


def timed(cmd, runs, **kw):
    t = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        t.append(time.monotonic() - t0)
    return {"median_s": statistics.median(t), "samples_s": t}


def boot_disk(disk, fd):
    """One TCG disk boot: like image/bench.py boot(), with the disk on NVMe instead of -kernel."""
    return image_bench.boot_cmd(["qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-smp", "1", "-nodefaults",
                                 "-display", "none", "-no-reboot", "-monitor", "none", "-serial", "stdio", "-bios", fd,
                                 "-drive", f"file={disk},if=none,id=kboot,format=raw,snapshot=on",
                                 "-device", "nvme,drive=kboot,serial=kettle-boot,bootindex=0"])


def main():
    top, img, bz_before, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    kettle = os.path.join(top, "build", "bin", "kettle")
    work = os.path.join(top, "build", "bench", "disk")
    os.makedirs(work, exist_ok=True)
    efi, disk, fd = (os.path.join(img, n) for n in ("kettle.efi", "kettle-disk.raw", "ovmf.fd"))
    sec = {"disk_build": timed(["/usr/bin/python3", os.path.join(top, "image", "assemble.py"), "disk", "--uki", efi,
                                "--out-raw", os.path.join(work, "kettle-disk.raw"),
                                "--out-gcp", os.path.join(work, "kettle-gcp.tar.gz")], 3),
           "measure_boot": timed([kettle, "measure", "boot", "--image", img], 3)}
    logs = {"cos113_ccel": os.path.join(top, "tests", "data", "tdx", "go-tdx-guest", "ccel", "ccel_data_trimmed.dat")}
    captured = os.path.join(top, "build", "bench", "tpm-event-log.bin")
    if os.path.exists(captured):
        logs["captured_tpm"] = captured
    sec["event_log_replay"] = {}
    for name, path in logs.items():
        r = timed([kettle, "measure", "event-log", "--log", path], 5)
        r["bytes"] = os.path.getsize(path)
        sec["event_log_replay"][name] = r
    samples = {"disk": [], "direct": []}
    for i in range(runs):
        order = (("disk", None), ("direct", None)) if i % 2 == 0 else (("direct", None), ("disk", None))
        for name, _ in order:
            r = boot_disk(disk, fd) if name == "disk" else image_bench.boot(efi, fd)
            samples[name].append(r)
            print(f"  run {i + 1}/{runs} {name:6} banner {r['banner_s'] and round(r['banner_s'], 2)} s"
                  f"{'' if r['ok'] else '  FAILED'}", file=sys.stderr)

    def med(name):
        v = [r["banner_s"] for r in samples[name] if r["banner_s"] is not None and r["banner"]]
        return statistics.median(v) if v else None

    sec["boot"] = {"samples": samples, "median_banner_s": {n: med(n) for n in samples}, "runs": runs,
                   "firmware": "ovmf.fd", "note": "banner = KETTLE-INIT line; without input/output disks PID 1 "
                   "then reports on the console and powers off (same for both)"}
    d, k = sec["boot"]["median_banner_s"]["disk"], sec["boot"]["median_banner_s"]["direct"]
    sec["boot"]["ratio_disk_over_direct"] = d / k if d and k else None
    uki = {"with_issue13_drivers": {"size": os.path.getsize(efi),
                                    "linux": {s["name"]: s["virtual_size"] for s in assemble.pe_sections(efi)}[".linux"]}}
    if bz_before != "none":
        before = os.path.join(work, "kettle-without-issue13.efi")
        parts = os.path.join(img, "parts")
        assemble.make_uki(os.path.join(parts, "linuxx64.efi.stub"), bz_before, os.path.join(parts, "initrd.cpio.zst"),
                          os.path.join(top, "image", "cmdline.txt"), os.path.join(top, "image", "os-release"), before)
        uki["without_issue13_drivers"] = {"size": os.path.getsize(before), "linux": os.path.getsize(bz_before)}
    else:
        uki["without_issue13_drivers"] = None
    sec["uki"] = uki
    results.set_section("diskboot", sec)
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    print(f"bench diskboot: disk build {fmt(sec['disk_build']['median_s'])} s; boot to banner disk {fmt(d)} s, "
          f"direct {fmt(k)} s -> bench/results.json section diskboot")


if __name__ == "__main__":
    main()
