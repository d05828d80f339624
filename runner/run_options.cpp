// `kettle run` options. See run_options.hpp.
#include "run_options.hpp"

#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"
#include "run_summary.hpp"
#include "sim_amdsp.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

const char* run_help_text() {
    return
        "usage: kettle run --source DIR [--rev REV] --toolchain IMAGE|ROOTFS.tar[.zst|.gz] [--file PATH]...\n"
        "                  [--artifacts GLOB]... [--env K=V]... [--timeout SECS] [--nonce HEX]\n"
        "                  [--profile tcg|kvm|snp|tdx] [--vcpus N] [--memory SIZE] [--image DIR]\n"
        "                  [--output-size SIZE] [--allow-dirty] [--json] [--request FILE]\n"
        "                  [--source-uri URI] [--require-artifacts]\n"
        "                  --out DIR -- BUILD COMMAND...\n"
        "       kettle run --profile gcp-tdx --project P --zone Z --bucket B [--machine-type T] [--image-name N]\n"
        "                  [--run-id ID] [--min-disk-gb N] [--disk-type T] [--dry-run] (the inputs above) -- CMD...\n"
        "\n"
        "Build a git commit inside a one-shot VM and collect the outputs and the attestation.\n"
        "\n"
        "inputs:\n"
        "  --source DIR         git repository (work tree or bare) holding the source\n"
        "  --rev REV            commit, branch or tag to build (default HEAD); only the objects reachable\n"
        "                       from it go onto the input disk. The statement records the commit (proven)\n"
        "                       and REV as requested_ref (the host's word)\n"
        "  --source-uri URI     where others can fetch the source (e.g. https://example.org/x.git); recorded as\n"
        "                       the host's claim beside the proven commit and tree (default file://<--source>)\n"
        "  --allow-dirty        build even if the work tree has uncommitted changes; the changes are NOT\n"
        "                       built (the commit is), but they are listed in run.json\n"
        "  --toolchain FILE     the toolchain: an image from `kettle toolchain debian|pack` (EROFS + dm-verity\n"
        "                       hash tree; attached as its own read-only disk, the request names its root hash,\n"
        "                       the guest checks every block it reads), or a rootfs tarball (.tar, .tar.zst,\n"
        "                       .tar.gz; copied into the input disk, hashed and unpacked into guest memory)\n"
        "  --file PATH          extra input file, visible to the build read-only as /inputs/<basename> (repeatable)\n"
        "  --deps ECOSYSTEM     npm, cargo or go: fetch every package the commit's package-lock.json,\n"
        "                       Cargo.lock or go.sum pins (into the --deps-cache, checked there, never\n"
        "                       trusted) onto the input disk; the guest checks each against the lockfile it\n"
        "                       reads from the checkout and lays them out as node_modules/, as the vendor\n"
        "                       directory .cargo/vendor/ with .cargo/config.toml, or as a Go module cache the\n"
        "                       build uses offline (go: from the first https:// or file:// proxy in $GOPROXY,\n"
        "                       default https://proxy.golang.org). debian: the toolchain's Debian packages,\n"
        "                       checked against its recipe (on by default when the recipe lists them).\n"
        "                       Repeatable. Default: auto-detect (cargo when the commit holds Cargo.lock,\n"
        "                       go when it holds go.sum, npm when it holds package-lock.json); --deps none:\n"
        "                       no dependencies\n"
        "  --deps-cache DIR     where fetched packages are kept (default $KETTLE_DEPS_CACHE or\n"
        "                       ~/.cache/kettle-deps)\n"
        "  --artifacts GLOB     files under the source tree to collect after the build (repeatable). A\n"
        "                       symbolic link that resolves to a regular file inside the tree is collected\n"
        "                       under its own name with the target's bytes; a glob that matches nothing is a\n"
        "                       warning (status.json \"warnings\", the terminal)\n"
        "  --require-artifacts  make a glob that matches nothing fail the build instead\n"
        "  --env K=V            environment of the build (repeatable; nothing else is inherited)\n"
        "  --workdir DIR        working directory of the build, relative to the source (default .)\n"
        "  --timeout SECS       build timeout inside the VM (default: 3600 for tcg, 600 otherwise)\n"
        "  --nonce HEX          caller nonce, recorded in the provenance\n"
        "  --request FILE       a JSON object with any of the keys source, rev, toolchain, files, deps, artifacts,\n"
        "                       env (object), workdir, timeout, vm_timeout, nonce, profile, vcpus, memory,\n"
        "                       image, output_size, out, allow_dirty, boot, tpm_socket, command (array),\n"
        "                       source_uri, require_artifacts;\n"
        "                       flags override it\n"
        "  -- COMMAND...        the build command (argv, no shell)\n"
        "\n"
        "VM:\n"
        "  --profile P          tcg (default; QEMU TCG + simulated AMD-SP), kvm (KVM + simulated AMD-SP),\n"
        "                       snp (SEV-SNP, QEMU >= 9.1), tdx (TDX, QEMU >= 10.1), gcp-tdx (Google Cloud, below)\n"
        "  --vcpus N            virtual CPUs (default 2)\n"
        "  --memory SIZE        guest memory (default 2G; M/G suffix, bare number = MiB)\n"
        "  --image DIR          directory with kettle.efi, ovmf.fd, ovmf-amdsev.fd (default build/image)\n"
        "  --boot direct|disk   direct (default): QEMU -kernel kettle.efi, virtio-blk disks. disk (tcg, kvm):\n"
        "                       the firmware boots \\EFI\\BOOT\\BOOTX64.EFI from kettle-disk.raw (attached with\n"
        "                       snapshot=on) and every disk is NVMe, as on a cloud confidential VM\n"
        "  --tpm-socket PATH    tcg, kvm: attach a TPM 2.0 emulator as a CRB device, e.g. started with\n"
        "                       `swtpm socket --tpm2 --tpmstate dir=D --ctrl type=unixio,path=PATH`; the\n"
        "                       firmware is then ovmf-tpm.fd, which measures the boot into the TPM's PCRs\n"
        "  --output-size SIZE   size of the sparse output disk (default 2G)\n"
        "  --vm-timeout SECS    wall-clock limit for the whole VM (default: the build timeout + 600); QEMU is killed\n"
        "  --qemu PATH          QEMU binary (default qemu-system-x86_64)\n"
        "  --qgs SOCKET         tdx: quote generation service, unix path or vsock:CID:PORT\n"
        "                       (default /var/run/tdx-qgs/qgs.socket)\n"
        "  --sim-chain DIR      simulated AMD-SP test chain (default $KETTLE_CACHE/sim-chain-v2)\n"
        "  --keep-disks         keep the work directory with the input and output disks\n"
        "\n"
        "Google Cloud (--profile gcp-tdx; docs/cloud.md; argv and flow tested against a fake gcloud, not run on GCP):\n"
        "  --project P          the project the VM and images go into (required)\n"
        "  --zone Z             a zone with C3 Confidential VMs (TDX), e.g. us-central1-a (required)\n"
        "  --bucket B           a Cloud Storage bucket (name, no gs://) for staging disk images (required)\n"
        "  --machine-type T     default c3-standard-4 (--vcpus and --memory do not apply)\n"
        "  --image-name N       name of the boot image (default kettle-boot-<sha256 of kettle-gcp.tar.gz>); it is\n"
        "                       uploaded once and reused while it exists\n"
        "  --run-id ID          names this run's resources kettle-ID, kettle-ID-input, kettle-ID-output\n"
        "                       (default: r + 12 random hex digits; [a-z0-9-], at most 32)\n"
        "  --min-disk-gb N      smallest disk (GiB) of the disk type (default 10, pd-balanced's minimum); the input\n"
        "                       disk is padded to whole GiB, at least N, before it is hashed, and the guest\n"
        "                       hashes all of it\n"
        "  --disk-type T        default pd-balanced\n"
        "  --poll-seconds N     console and VM status polling interval (default 5)\n"
        "  --gcloud PATH        the gcloud to run (default: gcloud on PATH)\n"
        "  --dry-run            print every gcloud command in order (images as if absent), run nothing; the\n"
        "                       input disk is built and sized but not hashed (its digest is a placeholder)\n"
        "  --small-disks-for-testing\n"
        "                       for tests against a fake gcloud only: input and output disks in whole MiB\n"
        "                       (--size=NMB), no --min-disk-gb floor; GCP refuses such disks and images\n"
        "  The resources a run creates are listed in OUT/cloud-resources.json and deleted at the end, also on\n"
        "  failure and Ctrl-C; `kettle cloud cleanup OUT` deletes what a killed run left.\n"
        "  --input-disk FILE    boot with this input disk exactly as given, instead of making one from\n"
        "                       --source, --toolchain and the command (replaying a kept disk, or testing\n"
        "                       the guest with hostile input); the guest validates it like any other.\n"
        "                       Its size must be a multiple of 512 bytes (QEMU would pad it). With\n"
        "                       --toolchain IMAGE, that image is attached, unchanged, as the toolchain disk\n"
        "\n"
        "output:\n"
        "  --out DIR            must be absent or empty; receives artifacts/, provenance.intoto.jsonl,\n"
        "                       evidence.json, build.log, status.json (from the VM), console.log and\n"
        "                       run.json (QEMU version and argv, VM shape, profile, timings, sim AMD-SP,\n"
        "                       measured_shape: the vCPUs and vCPU type the measurement is for)\n"
        "  --json               print a machine-readable result object on stdout\n"
        "  -h, --help           this text\n"
        "\n"
        "Progress goes to stderr: the guest's phases (boot, ingest %, build, collect, output), with a\n"
        "spinner on a terminal and plain lines otherwise. At the end: the guest's warnings, how much of the\n"
        "timeout the build used, the measurement with the exact `kettle verify` command for the bundle, or,\n"
        "for a failed build, its exit code and the last 20 lines of build.log.\n"
        "\n"
        "exit codes:\n"
        "  0  the build succeeded and the outputs are complete\n"
        "  1  the build failed; its status, log and outputs are still in --out. Also when the guest\n"
        "     read (or its report names) an input disk other than the one the host committed to\n"
        "  2  usage or input error (bad flag, missing file, dirty tree, unknown revision)\n"
        "  3  VM or infrastructure failure: QEMU missing, too old or died, wall-clock timeout, an\n"
        "     output disk that is truncated or has no complete marker\n";
}

std::uint64_t parse_size(const std::string& s, const char* what) {
    std::size_t i = 0;
    std::uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (v > (std::uint64_t{1} << 40)) throw Error(std::string(what) + ": '" + s + "' is too large");
        v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    }
    if (i == 0) throw Error(std::string(what) + ": '" + s + "' is not a size (for example 2G or 512M)");
    std::string suf = s.substr(i);
    std::uint64_t mul;
    if (suf.empty() || suf == "M" || suf == "MiB" || suf == "m") mul = std::uint64_t{1} << 20;
    else if (suf == "G" || suf == "GiB" || suf == "g") mul = std::uint64_t{1} << 30;
    else throw Error(std::string(what) + ": unknown size suffix '" + suf + "' (use M or G)");
    if (v == 0 || v > (std::uint64_t{1} << 44) / mul) throw Error(std::string(what) + ": '" + s + "' is out of range");
    return v * mul;
}

static unsigned parse_uint(const std::string& s, const char* what, unsigned lo, unsigned hi) {
    if (s.empty() || s.size() > 9) throw Error(std::string(what) + ": '" + s + "' is not a number");
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') throw Error(std::string(what) + ": '" + s + "' is not a number");
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v < lo || v > hi)
        throw Error(std::string(what) + ": " + s + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
}

static void set_env(RunOptions& o, const std::string& kv) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--env: '" + kv + "' is not K=V");
    o.env[kv.substr(0, eq)] = kv.substr(eq + 1);
}

static void set_nonce(RunOptions& o, const std::string& n) {
    if (n.size() > 1024) throw Error("--nonce: longer than 1024 hex characters");
    try {
        (void)unhex(n);
    } catch (const Error& e) {
        throw Error(std::string("--nonce: must be hex (") + e.what() + ")");
    }
    o.nonce = n;
}

static void set_profile(RunOptions& o, const std::string& p) {
    o.gcp_tdx = p == "gcp-tdx";
    if (!o.gcp_tdx) o.profile = parse_profile(p);
}

std::string run_profile_name(const RunOptions& o) { return o.gcp_tdx ? "gcp-tdx" : profile_name(o.profile); }

// The flags of --profile gcp-tdx; true when `name` was one of them.
static bool set_cloud_flag(RunOptions& o, const std::string& name, const std::string& val) {
    GcpOptions& g = o.gcp;
    if (name == "--project") g.target.project = val;
    else if (name == "--zone") g.target.zone = val;
    else if (name == "--bucket") g.target.bucket = val;
    else if (name == "--machine-type") g.target.machine_type = val;
    else if (name == "--disk-type") g.target.disk_type = val;
    else if (name == "--gcloud") g.target.gcloud = val;
    else if (name == "--image-name") g.image_name = val;
    else if (name == "--run-id") g.run_id = val;
    else if (name == "--min-disk-gb") g.min_disk_gb = parse_uint(val, "--min-disk-gb", 1, 65536);
    else if (name == "--poll-seconds") g.poll_seconds = parse_uint(val, "--poll-seconds", 1, 600);
    else return false;
    return true;
}

// --profile gcp-tdx: the cloud flags are complete and well-formed, and no QEMU-only flag is given.
static void check_cloud_options(const RunOptions& o) {
    const GcpOptions& g = o.gcp;
    if (!o.gcp_tdx) {
        if (!g.target.project.empty() || !g.target.zone.empty() || !g.target.bucket.empty() || g.dry_run ||
            !g.run_id.empty() || !g.image_name.empty() || g.small_disks)
            throw Error("--project, --zone, --bucket, --run-id, --image-name, --dry-run and --small-disks-for-testing "
                        "are for --profile gcp-tdx");
        return;
    }
    check_target(g.target);
    check_zone(g.target.zone);
    if (!g.run_id.empty()) check_run_id(g.run_id);
    if (!g.image_name.empty()) check_gce_name(g.image_name, "--image-name");
    if (o.boot != "direct" || !o.tpm_socket.empty() || !o.qgs.empty())
        throw Error("--boot, --tpm-socket and --qgs are QEMU options; gcp-tdx boots the disk image on GCP");
}

void check_source_uri(const std::string& uri) {
    if (uri.empty() || uri.size() > 4096) throw Error("--source-uri: must be 1..4096 bytes");
    if (!valid_utf8(uri) || printable(uri, 8192) != uri)
        throw Error("--source-uri: " + quote_text(uri) + " is not UTF-8 text without control characters");
}

void apply_request_json(RunOptions& o, const Json& j) {
    if (!j.is_object()) throw Error("--request: the file must hold a JSON object");
    auto str = [&](const std::string& k) -> std::string {
        if (!j[k].is_string()) throw Error("--request: '" + k + "' must be a string");
        return j[k].get<std::string>();
    };
    auto strs = [&](const std::string& k) {
        if (!j[k].is_array()) throw Error("--request: '" + k + "' must be an array of strings");
        std::vector<std::string> v;
        for (auto& e : j[k]) {
            if (!e.is_string()) throw Error("--request: '" + k + "' must be an array of strings");
            v.push_back(e.get<std::string>());
        }
        return v;
    };
    auto num = [&](const std::string& k, unsigned lo, unsigned hi) {
        if (!j[k].is_number_unsigned()) throw Error("--request: '" + k + "' must be a non-negative integer");
        auto v = j[k].get<std::uint64_t>();
        if (v < lo || v > hi) throw Error("--request: '" + k + "' is out of range");
        return static_cast<unsigned>(v);
    };
    for (auto& [k, v] : j.items()) {
        if (k == "source") o.source = str(k);
        else if (k == "rev") o.rev = str(k);
        else if (k == "toolchain") o.toolchain = str(k);
        else if (k == "files") o.files = strs(k);
        else if (k == "deps") o.deps = strs(k);
        else if (k == "artifacts") o.artifacts = strs(k);
        else if (k == "command") o.command = strs(k);
        else if (k == "env") {
            if (!v.is_object()) throw Error("--request: 'env' must be an object of strings");
            for (auto& [ek, ev] : v.items()) {
                if (!ev.is_string() || ek.empty()) throw Error("--request: 'env' must be an object of strings");
                o.env[ek] = ev.get<std::string>();
            }
        } else if (k == "workdir") o.workdir = str(k);
        else if (k == "timeout") o.timeout = num(k, 1, 86400);
        else if (k == "vm_timeout") o.vm_timeout = num(k, 1, 172800);
        else if (k == "nonce") set_nonce(o, str(k));
        else if (k == "profile") set_profile(o, str(k));
        else if (k == "project") o.gcp.target.project = str(k);
        else if (k == "zone") o.gcp.target.zone = str(k);
        else if (k == "bucket") o.gcp.target.bucket = str(k);
        else if (k == "machine_type") o.gcp.target.machine_type = str(k);
        else if (k == "vcpus") o.vcpus = num(k, 1, 64);
        else if (k == "memory") o.memory_mib = parse_size(str(k), "memory") >> 20;
        else if (k == "image") o.image = str(k);
        else if (k == "output_size") o.output_size = parse_size(str(k), "output_size");
        else if (k == "out") o.out = str(k);
        else if (k == "boot") o.boot = str(k);
        else if (k == "tpm_socket") o.tpm_socket = str(k);
        else if (k == "source_uri") { o.source_uri = str(k); check_source_uri(o.source_uri); }
        else if (k == "require_artifacts") {
            if (!v.is_boolean()) throw Error("--request: 'require_artifacts' must be true or false");
            o.require_artifacts = v.get<bool>();
        } else if (k == "allow_dirty") {
            if (!v.is_boolean()) throw Error("--request: 'allow_dirty' must be true or false");
            o.allow_dirty = v.get<bool>();
        } else throw Error("--request: unknown key '" + k + "'");
    }
}

RunOptions parse_run_args(const std::vector<std::string>& args) {
    RunOptions o;
    o.sim_chain_dir = SimChain::default_dir();
    // --request first, so that flags override it.
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") break;
        if (args[i] == "--request") {
            if (i + 1 >= args.size()) throw Error("--request needs a FILE");
            Bytes b = read_file(args[i + 1], 1 << 20);
            apply_request_json(o, parse_strict(to_string(b)));
        }
    }
    bool cmd_from_flags = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            o.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
            cmd_from_flags = true;
            break;
        }
        if (a == "-h" || a == "--help") { o.help = true; return o; }
        if (a == "--json") { o.json = true; continue; }
        if (a == "--allow-dirty") { o.allow_dirty = true; continue; }
        if (a == "--keep-disks") { o.keep_disks = true; continue; }
        if (a == "--dry-run") { o.gcp.dry_run = true; continue; }
        if (a == "--small-disks-for-testing") { o.gcp.small_disks = true; continue; }
        if (a == "--require-artifacts") { o.require_artifacts = true; continue; }
        if (a.rfind("--", 0) != 0) throw Error("unexpected argument '" + a + "' (put the build command after --)");
        std::string name = a, val;
        auto eq = a.find('=');
        if (eq != std::string::npos) { name = a.substr(0, eq); val = a.substr(eq + 1); }
        else {
            if (i + 1 >= args.size()) throw Error(a + " needs a value");
            val = args[++i];
        }
        if (name == "--request") continue;
        else if (name == "--source") o.source = val;
        else if (name == "--rev") o.rev = val;
        else if (name == "--toolchain") o.toolchain = val;
        else if (name == "--file") o.files.push_back(val);
        else if (name == "--deps") o.deps.push_back(val);
        else if (name == "--deps-cache") o.deps_cache = val;
        else if (name == "--artifacts") o.artifacts.push_back(val);
        else if (name == "--env") set_env(o, val);
        else if (name == "--workdir") o.workdir = val;
        else if (name == "--timeout") o.timeout = parse_uint(val, "--timeout", 1, 86400);
        else if (name == "--vm-timeout") o.vm_timeout = parse_uint(val, "--vm-timeout", 1, 172800);
        else if (name == "--nonce") set_nonce(o, val);
        else if (name == "--profile") set_profile(o, val);
        else if (set_cloud_flag(o, name, val)) {}
        else if (name == "--vcpus") o.vcpus = parse_uint(val, "--vcpus", 1, 64);
        else if (name == "--memory") o.memory_mib = parse_size(val, "--memory") >> 20;
        else if (name == "--image") o.image = val;
        else if (name == "--output-size") o.output_size = parse_size(val, "--output-size");
        else if (name == "--out") o.out = val;
        else if (name == "--qemu") o.qemu = val;
        else if (name == "--qgs") o.qgs = val;
        else if (name == "--sim-chain") o.sim_chain_dir = val;
        else if (name == "--input-disk") o.input_disk = val;
        else if (name == "--boot") o.boot = val;
        else if (name == "--tpm-socket") o.tpm_socket = val;
        else if (name == "--source-uri") { check_source_uri(val); o.source_uri = val; }
        else throw Error("unknown option '" + name + "'");
    }
    (void)cmd_from_flags;
    if (!o.timeout) o.timeout = default_build_timeout(o.gcp_tdx ? Profile::tdx : o.profile);  // gcp-tdx: hardware
    if (o.out.empty()) throw Error("--out DIR is required");
    if (!o.input_disk.empty()) {
        if (!o.source.empty() || !o.command.empty() || !o.files.empty() || !o.deps.empty())
            throw Error("--input-disk replaces --source, --file, --deps and the command; give one or the other");
        if (!o.toolchain.empty() && is_tarball_name(o.toolchain))
            throw Error("--input-disk carries its own toolchain tarball; with --input-disk, --toolchain can only "
                        "name a toolchain image to attach");
    } else {
        if (o.source.empty()) throw Error("--source DIR is required");
        if (o.toolchain.empty()) throw Error("--toolchain FILE is required");
        if (o.command.empty()) throw Error("no build command: give it after --");
    }
    if (o.boot != "direct" && o.boot != "disk") throw Error("--boot: '" + o.boot + "' is not direct or disk");
    check_cloud_options(o);
    const bool local = o.profile == Profile::tcg || o.profile == Profile::kvm;
    if (o.boot == "disk" && !local)
        throw Error("--boot disk is for the tcg and kvm profiles; snp and tdx boot the UKI directly (measured with -kernel)");
    if (!o.tpm_socket.empty() && !local) throw Error("--tpm-socket is for the tcg and kvm profiles");
    if (o.memory_mib < 256) throw Error("--memory: at least 256M");
    if (o.output_size < (std::uint64_t{16} << 20)) throw Error("--output-size: at least 16M");
    return o;
}

void validate_run_options(const RunOptions& o) {
    if (!o.input_disk.empty()) {
        if (!fs::is_regular_file(o.input_disk)) throw Error("--input-disk: " + o.input_disk + " is not a regular file");
        // QEMU exposes a raw file as a disk of whole 512-byte sectors, padding the last one: the guest would hash
        // (and attest) bytes the host never committed to in HOST_DATA / MRCONFIGID.
        std::uintmax_t size = fs::file_size(o.input_disk);
        if (size % 512 != 0)
            throw Error("--input-disk: " + o.input_disk + " is " + std::to_string(size) +
                        " bytes, not a multiple of 512; the guest would see it padded to " +
                        std::to_string((size / 512 + 1) * 512) + " bytes under another digest (pad it first, for "
                        "example with `truncate -s %512 FILE`)");
        if (!o.toolchain.empty()) toolchain_kind(o.toolchain);
    } else {
        validate_build_inputs(o);
    }
    std::vector<std::string> need{"kettle.efi", firmware_name(o)};
    if (o.boot == "disk") need.push_back("kettle-disk.raw");
    if (o.gcp_tdx) {
        need = {"kettle-gcp.tar.gz"};
        if (!o.toolchain.empty() && !is_tarball_name(o.toolchain))
            throw Error("--toolchain: gcp-tdx takes a rootfs tarball for now; a toolchain image would need a third "
                        "disk image, which is not implemented (docs/cloud.md)");
    }
    for (const auto& f : need)
        if (!fs::is_regular_file(o.image + "/" + f))
            throw Error("--image: " + o.image + "/" + f + " is missing (run `make image` or pass --image DIR)");
    if (!o.tpm_socket.empty() && !fs::is_socket(o.tpm_socket))
        throw Error("--tpm-socket: " + o.tpm_socket + " is not a unix socket (start the TPM emulator first)");
    if (fs::exists(o.out) && (!fs::is_directory(o.out) || !fs::is_empty(o.out)))
        throw Error("--out: " + o.out + " exists and is not an empty directory");
}

std::string firmware_name(const RunOptions& o) {
    if (o.profile == Profile::snp) return "ovmf-amdsev.fd";
    return o.tpm_socket.empty() ? "ovmf.fd" : "ovmf-tpm.fd";
}

void validate_build_inputs(const RunOptions& o) {
    if (!fs::is_directory(o.source)) throw Error("--source: " + o.source + " is not a directory");
    toolchain_kind(o.toolchain);
    for (auto& f : o.files) if (!fs::is_regular_file(f)) throw Error("--file: " + f + " is not a regular file");
}

bool is_tarball_name(const std::string& t) {
    auto ends = [&](const char* s) { std::string x(s); return t.size() >= x.size() && t.compare(t.size() - x.size(), x.size(), x) == 0; };
    return ends(".tar") || ends(".tar.zst") || ends(".tar.gz");
}

ToolchainKind toolchain_kind(const std::string& path, ToolchainImageInfo* image) {
    if (!fs::is_regular_file(path)) throw Error("--toolchain: " + path + " is not a regular file");
    if (is_tarball_name(path)) return ToolchainKind::tarball;
    try {
        ToolchainImageInfo info = read_toolchain_image(path);
        if (image) *image = info;
    } catch (const Error& e) {
        throw Error("--toolchain: " + path + " is neither a rootfs tarball (.tar, .tar.zst, .tar.gz) nor a toolchain "
                    "image (" + e.what() + ")");
    }
    return ToolchainKind::image;
}

std::string argv_value(const std::vector<std::string>& argv, const std::string& flag) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) if (argv[i] == flag) return argv[i + 1];
    return "";
}

int build_exit_code(const Json& s) {
    if (!s.is_object()) return 1;
    if (s.contains("ok")) return s["ok"].is_boolean() && s["ok"].get<bool>() ? 0 : 1;
    if (s.contains("result") && s["result"].is_string()) return s["result"] == "success" ? 0 : 1;
    if (s.contains("exit_code") && s["exit_code"].is_number_integer()) return s["exit_code"].get<long long>() == 0 ? 0 : 1;
    return 1;
}

std::string input_disk_problem(const Json& s, const std::string& committed, bool host_can_commit) {
    if (!s.is_object()) return "status.json is not an object";
    const Json* inputs = s.contains("inputs") && s["inputs"].is_object() ? &s["inputs"] : nullptr;
    if (!inputs || !inputs->contains("device_sha256") || !(*inputs)["device_sha256"].is_string())
        return "status.json does not say which input disk the guest read";
    std::string seen = (*inputs)["device_sha256"].get<std::string>();
    if (seen != committed)
        return "the guest read an input disk with SHA-256 " + printable(seen, 80) + ", not the " + committed +
               " the host committed to (HOST_DATA / MRCONFIGID, run.json)";
    if (s.contains("attestation") && s["attestation"].is_object()) {
        const Json& a = s["attestation"];
        bool attested = a.contains("attested") && a["attested"].is_boolean() && a["attested"].get<bool>();
        bool matches = a.contains("host_data_matches") && a["host_data_matches"].is_boolean() &&
                       a["host_data_matches"].get<bool>();
        bool none = a.contains("host_commitment") && a["host_commitment"] == "none";
        if (attested && !matches && none && !host_can_commit) return "";
        if (attested && !matches)
            return "the report's HOST_DATA / MRCONFIGID is not the SHA-256 of the input disk the guest read";
    }
    return "";
}

}  // namespace kettle::runner
