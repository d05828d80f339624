#!/usr/bin/env python3
"""A fake `gcloud` for the gcp-tdx tests (tests/integration/cloud_test.sh): it records every call and plays the
cloud from local files, so that `kettle run --profile gcp-tdx` runs end to end without a cloud.

State: $FAKE_GCLOUD_STATE (a directory). calls.jsonl holds every argv; errors.log every call the fake refused
(an unknown flag, a bad value, an order the cloud would refuse). gcs/<bucket>/<object>, images/<name>.{json,raw},
disks/<zone>/<name>.{json,raw}, instances/<zone>/<name>.json and vm-<name>/ (the stand-in VM).

The stand-in VM: `instances create` starts a detached "hypervisor" (this script with --hypervisor) that boots the
boot image's disk.raw under QEMU TCG with every disk on NVMe, through `kettle run --profile tcg --boot disk
--input-disk <the input disk>` ($KETTLE_BIN_DIR, firmware from $FAKE_GCLOUD_IMAGE), then copies the output disk the
guest wrote onto the instance's output disk and marks the instance TERMINATED. $FAKE_GCLOUD_VM=hang gives a VM that
never stops. $FAKE_GCLOUD_LOGGED_OUT=1 makes `auth list` show no account. $FAKE_GCLOUD_FAIL=<words> makes the
first call whose argv contains those words (space separated, in order) fail once.
$FAKE_GCLOUD_SMALL_DISKS=1 (with `kettle run --small-disks-for-testing`) lets disks be sized in MB and disk.raw be
whole MiB, so that the stand-in guest hashes a few MiB under TCG instead of a GiB; without it the fake holds disks
to GCP's whole GB, as GCP does.

Accepted flags: only those on Google's reference pages (cloud.google.com/sdk/gcloud/reference/...; the synopsis of
each command used), in the --flag=value form for flags that take a value, plus the gcloud-wide flags. Anything else
is refused as gcloud refuses it ("unrecognized arguments", exit 2) and logged in errors.log, which the tests check.
"""
import fcntl, glob, gzip, json, os, re, shutil, signal, subprocess, sys, tarfile, time

STATE = os.environ.get("FAKE_GCLOUD_STATE", "")
GIB = 1 << 30
MIB = 1 << 20
SMALL = os.environ.get("FAKE_GCLOUD_SMALL_DISKS") == "1"
UNIT = MIB if SMALL else GIB  # the granularity of disk.raw and of --size

# gcloud-wide flags (reference: gcloud topic flags / GCLOUD_WIDE_FLAG).
WIDE = {"--project", "--format", "--quiet", "--verbosity", "--account", "--billing-project", "--configuration",
        "--flags-file", "--flatten", "--help", "--impersonate-service-account", "--log-http", "--trace-token",
        "--user-output-enabled", "--access-token-file"}
LIST = {"--filter", "--limit", "--page-size", "--sort-by", "--uri"}
# Per command: the documented flags (synopsis of each reference page).
FLAGS = {
    ("auth", "list"): {"--filter-account"} | LIST,
    ("storage", "cp"): {"--recursive", "--no-clobber", "--content-type", "--cache-control", "--continue-on-error"},
    ("storage", "rm"): {"--recursive", "--all-versions", "--continue-on-error"},
    ("storage", "ls"): {"--recursive", "--long", "--full", "--json"},
    ("compute", "zones", "describe"): set(),
    ("compute", "images", "describe"): set(),
    ("compute", "images", "delete"): set(),
    ("compute", "images", "list"): LIST | {"--show-deprecated", "--standard-images", "--no-standard-images",
                                          "--preview-images", "--regexp"},
    ("compute", "images", "create"): {"--source-disk", "--source-image", "--source-image-family", "--source-snapshot",
                                      "--source-uri", "--architecture", "--csek-key-file", "--description", "--family",
                                      "--forbidden-database-file", "--force", "--guest-os-features",
                                      "--key-exchange-key-file", "--labels", "--licenses", "--platform-key-file",
                                      "--no-require-csek-key-create", "--signature-database-file",
                                      "--source-disk-project", "--source-disk-zone", "--source-image-project",
                                      "--storage-location", "--kms-key", "--kms-keyring", "--kms-location",
                                      "--kms-project"},
    ("compute", "images", "export"): {"--destination-uri", "--image", "--image-family", "--async",
                                      "--cloudbuild-service-account", "--compute-service-account", "--export-format",
                                      "--image-project", "--log-location", "--network", "--subnet", "--timeout",
                                      "--zone"},
    ("compute", "disks", "create"): {"--zone", "--image", "--image-project", "--image-family", "--size", "--type",
                                     "--labels", "--description", "--source-snapshot", "--source-disk",
                                     "--guest-os-features", "--kms-key", "--provisioned-iops",
                                     "--provisioned-throughput", "--architecture", "--region", "--replica-zones"},
    ("compute", "disks", "delete"): {"--zone", "--region"},
    ("compute", "disks", "describe"): {"--zone", "--region"},
    ("compute", "disks", "list"): LIST | {"--zones", "--regions", "--regexp"},
    ("compute", "instances", "create"): {
        "--zone", "--machine-type", "--confidential-compute-type", "--maintenance-policy", "--restart-on-failure",
        "--no-restart-on-failure", "--shielded-secure-boot", "--no-shielded-secure-boot", "--shielded-vtpm",
        "--no-shielded-vtpm", "--shielded-integrity-monitoring", "--no-shielded-integrity-monitoring", "--image",
        "--image-project", "--image-family", "--boot-disk-size", "--boot-disk-type", "--boot-disk-auto-delete",
        "--no-boot-disk-auto-delete", "--boot-disk-device-name", "--disk", "--create-disk", "--address",
        "--no-address", "--network", "--subnet", "--network-interface", "--network-tier", "--service-account",
        "--no-service-account", "--scopes", "--no-scopes", "--metadata", "--metadata-from-file", "--labels",
        "--description", "--min-cpu-platform", "--provisioning-model", "--instance-termination-action",
        "--max-run-duration", "--tags", "--hostname", "--deletion-protection", "--no-deletion-protection"},
    ("compute", "instances", "describe"): {"--zone"},
    ("compute", "instances", "delete"): {"--zone", "--delete-disks", "--keep-disks"},
    ("compute", "instances", "list"): LIST | {"--zones", "--regexp"},
    ("compute", "instances", "get-serial-port-output"): {"--port", "--start", "--zone"},
}
BOOL = {"--quiet", "--help", "--log-http", "--force", "--async", "--recursive", "--no-clobber", "--all-versions",
        "--continue-on-error", "--long", "--full", "--json", "--restart-on-failure", "--no-restart-on-failure",
        "--shielded-secure-boot", "--no-shielded-secure-boot", "--shielded-vtpm", "--no-shielded-vtpm",
        "--shielded-integrity-monitoring", "--no-shielded-integrity-monitoring", "--boot-disk-auto-delete",
        "--no-boot-disk-auto-delete", "--no-address", "--no-service-account", "--no-scopes", "--show-deprecated",
        "--standard-images", "--no-standard-images", "--preview-images", "--uri", "--deletion-protection",
        "--no-deletion-protection", "--no-require-csek-key-create"}
# compute v1 GuestOsFeature.Type values.
GUEST_OS_FEATURES = {"VIRTIO_SCSI_MULTIQUEUE", "WINDOWS", "MULTI_IP_SUBNET", "UEFI_COMPATIBLE", "GVNIC", "SEV_CAPABLE",
                     "SUSPEND_RESUME_COMPATIBLE", "SEV_LIVE_MIGRATABLE_V2", "SEV_SNP_CAPABLE", "TDX_CAPABLE", "IDPF",
                     "SNP_SVSM_CAPABLE"}
NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
LABEL = re.compile(r"^[a-z][a-z0-9_-]{0,62}=[a-z0-9_-]{0,63}$")


class Refused(Exception):
    pass


def p(*parts):
    return os.path.join(STATE, *parts)


def refuse(msg, code=2):
    with open(p("errors.log"), "a") as f:
        f.write(json.dumps({"argv": sys.argv[1:], "error": msg}) + "\n")
    sys.stderr.write("ERROR: (gcloud) " + msg + "\n")
    sys.exit(code)


def fail(msg, code=1):
    sys.stderr.write("ERROR: (gcloud) " + msg + "\n")
    sys.exit(code)


def parse(argv):
    """(command tuple, positionals, {flag: [values]}) — refuses unknown commands and flags."""
    words = []
    i = 0
    while i < len(argv) and not argv[i].startswith("-") and len(words) < 3:
        words.append(argv[i])
        i += 1
    cmd = None
    for n in (3, 2):
        if tuple(words[:n]) in FLAGS:
            cmd = tuple(words[:n])
            break
    if cmd is None:
        refuse("unknown command: " + " ".join(words))
    pos = words[len(cmd):]
    flags = {}
    for a in argv[i:]:
        if not a.startswith("--"):
            pos.append(a)
            continue
        name, eq, val = a.partition("=")
        if name not in FLAGS[cmd] and name not in WIDE:
            refuse("unrecognized arguments: " + a)
        if name in BOOL and eq:
            refuse("argument %s: ignored explicit argument '%s'" % (name, val))
        if name not in BOOL and not eq:
            refuse("argument %s: expected one argument (the fake wants --flag=value)" % name)
        flags.setdefault(name, []).append(val if eq else True)
    return cmd, pos, flags


def one(flags, name, required=True):
    v = flags.get(name)
    if not v:
        if required:
            refuse("missing required flag " + name)
        return None
    if len(v) > 1 and name != "--disk":
        refuse("flag %s given twice" % name)
    return v[0]


def check_name(n, what):
    if not NAME.match(n):
        refuse("invalid %s name '%s'" % (what, n))


def check_labels(flags):
    for lab in (one(flags, "--labels", False) or "").split(",") if "--labels" in flags else []:
        if not LABEL.match(lab):
            refuse("invalid label '%s'" % lab)


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.replace(path + ".tmp", path)


def gcs_path(url):
    m = re.match(r"^gs://([a-z0-9._-]+)/(.+)$", url)
    if not m or ".." in m.group(2):
        refuse("invalid Cloud Storage URL '%s'" % url)
    return p("gcs", m.group(1), m.group(2))


def injected_failure(argv):
    want = os.environ.get("FAKE_GCLOUD_FAIL", "").split()
    if not want or os.path.exists(p("failed-once")):
        return False
    it = iter(argv)
    if all(any(w == a for a in it) for w in want):
        open(p("failed-once"), "w").close()
        return True
    return False


# ---- storage -----------------------------------------------------------------------------------------------

def storage(cmd, pos, flags):
    if cmd[1] == "cp":
        if len(pos) != 2:
            refuse("storage cp needs SOURCE and DESTINATION")
        src, dst = pos
        if src.startswith("gs://") == dst.startswith("gs://"):
            refuse("the fake copies between a local file and gs:// only")
        s = gcs_path(src) if src.startswith("gs://") else src
        d = gcs_path(dst) if dst.startswith("gs://") else dst
        if not os.path.isfile(s):
            fail("The following URLs matched no objects or files: " + src)
        os.makedirs(os.path.dirname(os.path.abspath(d)), exist_ok=True)
        shutil.copyfile(s, d)
    elif cmd[1] in ("rm", "ls"):
        if len(pos) != 1:
            refuse("storage %s takes one URL here" % cmd[1])
        f = gcs_path(pos[0])
        if not os.path.isfile(f):
            fail("One or more URLs matched no objects.")
        if cmd[1] == "rm":
            os.unlink(f)
        else:
            print(pos[0])


# ---- zones -------------------------------------------------------------------------------------------------------

# The fake's zones: a few of those that offer C3 (check supported-configurations for the real list).
ZONES = {r + "-" + z for r in ("us-central1", "europe-west4", "asia-southeast1") for z in "abc"}


def zones(cmd, pos, flags):
    if cmd[2] != "describe" or len(pos) != 1:
        refuse("zones: only `describe ZONE` here")
    if pos[0] not in ZONES:
        fail("Could not fetch resource:\n - Invalid value for field 'zone': '%s'. Unknown zone." % pos[0])
    print("UP")


# ---- images ------------------------------------------------------------------------------------------------

def import_tar_gz(src, raw):
    """GCP's import form: a gzip'd tar whose only member is disk.raw, a whole number of GiB."""
    with open(src, "rb") as f:
        if f.read(2) != b"\x1f\x8b":
            fail("the source is not gzip compressed")
    with tarfile.open(src, "r:gz") as t:
        members = t.getmembers()
        if [m.name for m in members] != ["disk.raw"] or not members[0].isfile():
            fail("the archive must hold exactly one file, disk.raw: %s" % [m.name for m in members])
        if members[0].size % UNIT:
            fail("disk.raw is %d bytes, not a whole number of %s" % (members[0].size, "MiB" if SMALL else "GB"))
    # GNU tar restores the holes of a sparse member (Python's tarfile would write the zeros out).
    tmp = raw + ".d"
    os.makedirs(tmp, exist_ok=True)
    subprocess.run(["tar", "-xzf", src, "-C", tmp, "disk.raw"], check=True)
    os.replace(os.path.join(tmp, "disk.raw"), raw)
    os.rmdir(tmp)


def images(cmd, pos, flags):
    verb = cmd[2]
    if verb == "list":
        for j in sorted(glob.glob(p("images", "*.json"))):
            im = load(j)
            print("%s\t%s" % (im["name"], im["labels"].get("kettle-run", "")))
        return
    if verb == "export":
        name = one(flags, "--image")
        meta = p("images", name + ".json")
        if not os.path.exists(meta):
            fail("image %s was not found" % name)
        dst = gcs_path(one(flags, "--destination-uri"))
        if one(flags, "--export-format", False):
            refuse("the fake exports the default format only")
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with gzip.open(dst + ".tmp", "wb", compresslevel=1) as gz, tarfile.open(fileobj=gz, mode="w|",
                                                                                  format=tarfile.GNU_FORMAT) as t:
            t.add(p("images", name + ".raw"), arcname="disk.raw")
        os.replace(dst + ".tmp", dst)
        return
    if len(pos) != 1:
        refuse("images %s takes one IMAGE_NAME" % verb)
    name = pos[0]
    check_name(name, "image")
    meta = p("images", name + ".json")
    if verb == "describe":
        if not os.path.exists(meta):
            fail("The resource 'projects/%s/global/images/%s' was not found" % (one(flags, "--project"), name))
        print(load(meta)["status"])
    elif verb == "delete":
        if not os.path.exists(meta):
            fail("The resource 'projects/%s/global/images/%s' was not found" % (one(flags, "--project"), name))
        os.unlink(meta)
        os.unlink(p("images", name + ".raw"))
    elif verb == "create":
        image_create(name, meta, flags)


def image_create(name, meta, flags):
    if os.path.exists(meta):
        fail("The resource 'projects/x/global/images/%s' already exists" % name)
    check_labels(flags)
    sources = [f for f in ("--source-uri", "--source-disk", "--source-image", "--source-snapshot") if f in flags]
    if len(sources) != 1:
        refuse("exactly one of --source-uri, --source-disk, ... must be given")
    feats = (one(flags, "--guest-os-features", False) or "")
    feats = [f for f in feats.split(",") if f]
    for f in feats:
        if f not in GUEST_OS_FEATURES:
            refuse("invalid guest OS feature '%s'" % f)
    os.makedirs(p("images"), exist_ok=True)
    raw = p("images", name + ".raw")
    if "--source-uri" in flags:
        src = gcs_path(one(flags, "--source-uri"))
        if not os.path.isfile(src):
            fail("the source object does not exist")
        import_tar_gz(src, raw)
    else:
        disk = one(flags, "--source-disk")
        zone = one(flags, "--source-disk-zone")
        dmeta = p("disks", zone, disk + ".json")
        if not os.path.exists(dmeta):
            fail("disk %s was not found in %s" % (disk, zone))
        for inst in glob.glob(p("instances", zone, "*.json")):
            i = load(inst)
            if disk in i["disks"] and i["status"] != "TERMINATED" and "--force" not in flags:
                fail("disk %s is in use by a running instance; use --force" % disk)
        subprocess.run(["cp", "--sparse=always", p("disks", zone, disk + ".raw"), raw], check=True)
    labels = dict(l.split("=", 1) for l in (one(flags, "--labels", False) or "").split(",") if l)
    save(meta, {"name": name, "status": "READY", "features": feats, "labels": labels,
                "bytes": os.path.getsize(raw)})


# ---- disks ---------------------------------------------------------------------------------------------------

def parse_size(v):
    """--size in bytes: NGB (GCP), or NMB with $FAKE_GCLOUD_SMALL_DISKS."""
    m = re.match(r"^([0-9]+)(GB|MB)$", v or "")
    if not m or (m.group(2) == "MB" and not SMALL):
        refuse("invalid size '%s'" % v)
    return int(m.group(1)) * (GIB if m.group(2) == "GB" else MIB)


def disks(cmd, pos, flags):
    verb = cmd[2]
    if verb == "list":
        for j in sorted(glob.glob(p("disks", "*", "*.json"))):
            d = load(j)
            print("%s\t%s" % (d["name"], d["labels"].get("kettle-run", "")))
        return
    zone = one(flags, "--zone")
    if len(pos) != 1:
        refuse("disks %s takes one DISK_NAME here" % verb)
    name = pos[0]
    check_name(name, "disk")
    meta = p("disks", zone, name + ".json")
    if verb in ("delete", "describe"):
        if not os.path.exists(meta):
            fail("The resource 'projects/x/zones/%s/disks/%s' was not found" % (zone, name))
        if verb == "describe":
            print(name)
            return
        for inst in glob.glob(p("instances", zone, "*.json")):
            if name in load(inst)["disks"]:
                fail("The disk resource '%s' is already being used by '%s'" % (name, load(inst)["name"]))
        os.unlink(meta)
        os.unlink(p("disks", zone, name + ".raw"))
        return
    if os.path.exists(meta):
        fail("disk %s already exists" % name)
    check_labels(flags)
    image = one(flags, "--image")
    imeta = p("images", image + ".json")
    if not os.path.exists(imeta):
        fail("image %s was not found" % image)
    size = parse_size(one(flags, "--size"))
    if size < load(imeta)["bytes"]:
        fail("the disk is smaller than the image")
    if one(flags, "--type") not in ("pd-balanced", "pd-ssd", "hyperdisk-balanced", "pd-standard"):
        refuse("invalid disk type")
    os.makedirs(p("disks", zone), exist_ok=True)
    raw = p("disks", zone, name + ".raw")
    subprocess.run(["cp", "--sparse=always", p("images", image + ".raw"), raw], check=True)
    os.truncate(raw, size)
    labels = dict(l.split("=", 1) for l in (one(flags, "--labels", False) or "").split(",") if l)
    save(meta, {"name": name, "size_bytes": size, "labels": labels})


# ---- instances -------------------------------------------------------------------------------------------------

def disk_spec(spec):
    kv = dict(x.split("=", 1) for x in spec.split(","))
    for k in kv:
        if k not in ("auto-delete", "boot", "device-name", "force-attach", "interface", "mode", "name", "scope"):
            refuse("--disk: unknown key '%s'" % k)
    if kv.get("mode", "rw") not in ("ro", "rw"):
        refuse("--disk: mode must be ro or rw")
    return kv


def instance_create(zone, name, flags):
    meta = p("instances", zone, name + ".json")
    if os.path.exists(meta):
        fail("instance %s already exists" % name)
    check_labels(flags)
    if one(flags, "--confidential-compute-type") not in ("SEV", "SEV_SNP", "TDX"):
        refuse("invalid --confidential-compute-type")
    if one(flags, "--maintenance-policy") != "TERMINATE":
        fail("Confidential VMs need --maintenance-policy=TERMINATE")
    if not one(flags, "--machine-type").startswith("c3-"):
        fail("TDX Confidential VMs run on the C3 machine series")
    image = one(flags, "--image")
    imeta = p("images", image + ".json")
    if not os.path.exists(imeta):
        fail("image %s was not found" % image)
    if not {"UEFI_COMPATIBLE", "TDX_CAPABLE"} <= set(load(imeta)["features"]):
        fail("image %s lacks the guest OS features UEFI_COMPATIBLE and TDX_CAPABLE" % image)
    if "--no-shielded-secure-boot" not in flags:
        fail("the fake's unsigned UKI would not boot with Secure Boot on")
    if one(flags, "--metadata", False) != "serial-port-logging-enable=true":
        refuse("expected --metadata=serial-port-logging-enable=true")
    attached = {}
    for spec in flags.get("--disk", []):
        kv = disk_spec(spec)
        if not os.path.exists(p("disks", zone, kv["name"] + ".json")):
            fail("disk %s was not found" % kv["name"])
        for other in glob.glob(p("instances", zone, "*.json")):
            if kv["name"] in load(other)["disks"]:
                fail("disk %s is attached to another instance" % kv["name"])
        attached[kv["name"]] = kv.get("mode", "rw")
    boot_raw = p("vm-" + name, "kettle-disk.raw")
    os.makedirs(os.path.dirname(boot_raw), exist_ok=True)
    subprocess.run(["cp", "--sparse=always", p("images", image + ".raw"), boot_raw], check=True)
    rec = {"name": name, "zone": zone, "status": "RUNNING", "disks": attached, "boot_image": image,
           "mode": os.environ.get("FAKE_GCLOUD_VM", "boot"), "pid": 0}
    os.makedirs(p("instances", zone), exist_ok=True)
    save(meta, rec)
    log = open(p("vm-" + name, "hypervisor.log"), "w")
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--hypervisor", zone, name],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    rec["pid"] = proc.pid
    save(meta, rec)


def console_of(name):
    d = p("vm-" + name)
    cands = glob.glob(os.path.join(d, "tmp", "kettle-run.*", "console.log")) + [os.path.join(d, "console.log")]
    for c in cands:
        if os.path.exists(c):
            return c
    return None


def instances(cmd, pos, flags):
    verb = cmd[2]
    if verb == "list":
        for j in sorted(glob.glob(p("instances", "*", "*.json"))):
            print(load(j)["name"])
        return
    zone = one(flags, "--zone")
    if len(pos) != 1:
        refuse("instances %s takes one INSTANCE_NAME here" % verb)
    name = pos[0]
    check_name(name, "instance")
    meta = p("instances", zone, name + ".json")
    if verb == "create":
        return instance_create(zone, name, flags)
    if not os.path.exists(meta):
        fail("The resource 'projects/x/zones/%s/instances/%s' was not found" % (zone, name))
    rec = load(meta)
    if verb == "describe":
        print(rec["status"])
    elif verb == "get-serial-port-output":
        if rec["status"] != "RUNNING":
            fail("the serial port output is only available while the instance runs")
        if one(flags, "--port", False) not in (None, "1"):
            refuse("the fake has serial port 1 only")
        start = int(one(flags, "--start", False) or 0)
        c = console_of(name)
        data = b""
        if c:
            with open(c, "rb") as f:
                f.seek(start)
                data = f.read(1 << 20)
        print(json.dumps({"contents": data.decode("utf-8", "replace"), "next": str(start + len(data)),
                          "start": str(start)}))
    elif verb == "delete":
        if rec.get("pid"):
            try:
                os.killpg(rec["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.unlink(meta)
        shutil.rmtree(p("vm-" + name), ignore_errors=True)


# ---- the stand-in VM ---------------------------------------------------------------------------------------------

def hypervisor(zone, name):
    meta = p("instances", zone, name + ".json")
    rec = load(meta)
    vm = p("vm-" + name)
    if rec["mode"] == "hang":
        with open(os.path.join(vm, "console.log"), "w") as f:
            f.write("fake VM: booting and never powering off\nKETTLE-PHASE boot\n")
        while True:
            time.sleep(60)
    ins = [d for d, m in rec["disks"].items() if m == "ro"]
    outs = [d for d, m in rec["disks"].items() if m == "rw"]
    assert len(ins) == 1 and len(outs) == 1, rec["disks"]
    in_raw, out_raw = p("disks", zone, ins[0] + ".raw"), p("disks", zone, outs[0] + ".raw")
    with open(out_raw, "rb") as f:
        labelled = f.read(16) == b"KETTLE-BLANK-OUT"
    image = os.environ["FAKE_GCLOUD_IMAGE"]
    for f in ("kettle.efi", "ovmf.fd", "ovmf-amdsev.fd"):
        os.symlink(os.path.join(image, f), os.path.join(vm, f))
    try:
        if labelled:
            boot_vm(vm, in_raw, out_raw)
    finally:  # the VM powers off, whatever happened inside
        with open(p("lock"), "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            if os.path.exists(meta):
                rec = load(meta)
                rec["status"] = "TERMINATED"
                save(meta, rec)


def boot_vm(vm, in_raw, out_raw):
    """The guest: a TCG disk boot of the instance's boot disk, NVMe disks; its output disk onto ours."""
    os.makedirs(os.path.join(vm, "tmp"), exist_ok=True)
    env = dict(os.environ, TMPDIR=os.path.join(vm, "tmp"))
    subprocess.run([os.path.join(os.environ["KETTLE_BIN_DIR"], "kettle"), "run", "--profile", "tcg", "--boot",
                    "disk", "--vcpus", "1", "--memory", "512M", "--image", vm, "--input-disk", in_raw,
                    "--keep-disks", "--output-size", "%dM" % (os.path.getsize(out_raw) >> 20),
                    "--out", os.path.join(vm, "local-out")], env=env)
    work = glob.glob(os.path.join(vm, "tmp", "kettle-run.*"))[0]
    subprocess.run(["cp", "--sparse=always", os.path.join(work, "output.img"), out_raw], check=True)


def main():
    if not STATE:
        sys.exit("fake gcloud: FAKE_GCLOUD_STATE is not set")
    if sys.argv[1:2] == ["--hypervisor"]:
        return hypervisor(sys.argv[2], sys.argv[3])
    argv = sys.argv[1:]
    with open(p("lock"), "a") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        with open(p("calls.jsonl"), "a") as f:
            f.write(json.dumps(argv) + "\n")
        cmd, pos, flags = parse(argv)
        if injected_failure(argv):
            fail("injected failure (FAKE_GCLOUD_FAIL)")
        if cmd[0] != "auth" and not one(flags, "--project", False):
            refuse("no --project given (the fake has no default project)")
        if cmd == ("auth", "list"):
            if os.environ.get("FAKE_GCLOUD_LOGGED_OUT"):
                sys.stderr.write("No credentialed accounts.\n")
            else:
                print("tester@example.invalid")
        elif cmd[0] == "storage":
            storage(cmd, pos, flags)
        elif cmd[1] == "zones":
            zones(cmd, pos, flags)
        elif cmd[1] == "images":
            images(cmd, pos, flags)
        elif cmd[1] == "disks":
            disks(cmd, pos, flags)
        else:
            instances(cmd, pos, flags)


if __name__ == "__main__":
    main()
