// `kettle verify` (a bundle) and `kettle verify-report` (a bare SNP report or TDX quote): offline, fail closed.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.hpp"
#include "measure_opts.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/tdx/gcp_endorsement.hpp"
#include "kettle/verify/bundle.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/snp/verify.hpp"
#include "kettle/tdx/quote.hpp"
#include "kettle/core/x509.hpp"

namespace kettle::cli {

namespace {

const char* kVerifyHelp =
    "usage: kettle verify OUT_DIR [--policy FILE] [--expected-measurement HEX | --image DIR --vcpus N --vcpu-type T]\n"
    "                     [--boot direct|gcp-tdx|azure|gcp-snp|aws-snp [--image DIR]] (--nonce VALUE | --no-nonce)\n"
    "                     [--endorsement FILE [--gcp-tcb-root CERT]] [--trust-root PEM]... [--allow-sim]\n"
    "                     [--now RFC3339] [--collateral DIR] [--vcek PEM|DER] [--chain PEM] [--json] [--vsa FILE]\n"
    "\n"
    "Verify a build bundle offline. Checks, in order (the first FAIL stops):\n"
    "  1 evidence  2 report-format  3 product  4 chain  5 vek-extensions  6 report-signature  7 binding\n"
    "  8 dsse-signature  9 policy  10 statement  11 artifacts  12 nonce\n"
    "(TDX: 2-6 are quote-format, pck-chain, qe-report, quote-signature, tcb.) A disk boot path adds event-log\n"
    "and boot-image after the report or quote (TDX: firmware, event-log, boot-image after tcb) or after\n"
    "report-signature (vTPM paths, then tpm-quote).\n"
    "Defaults: SNP VMPL 0, debug off, TCB at least the built-in floor of the product (Milan SNP SPL 0x18, Genoa\n"
    "0x17: AMD-SB-3019; Turin has none: the policy must give \"min_tcb\"); TDX TCB status UpToDate.\n"
    "\n"
    "  --policy FILE                JSON policy (see docs/verify.md)\n"
    "  --expected-measurement HEX   allowed SNP MEASUREMENT / TDX MRTD (48 bytes hex); repeatable\n"
    "  --image DIR --vcpus N --vcpu-type T  allowed SNP MEASUREMENT (`kettle measure snp --image`) and TDX\n"
    "                               RTMR1/RTMR2 (`kettle measure tdx --image`) computed from the image\n"
    "  --boot PATH                  how the VM booted (default direct: QEMU -kernel). gcp-tdx: disk boot on GCP\n"
    "                               TDX, the CCEL must replay to the quote's RTMRs and RTMR1/RTMR2 hold exactly the\n"
    "                               events predicted for --image DIR (`kettle measure boot`); MRTD must be\n"
    "                               endorsed (--endorsement) or in the policy's mrtd list; the policy needs an\n"
    "                               rtmr0 allow-list. azure, gcp-snp, aws-snp: vTPM disk boot, the image\n"
    "                               is vouched for by the paravisor / hypervisor, not the hardware; the TPM log is\n"
    "                               replayed and matched, and tpm-quote FAILS (no TPM quote is verified yet)\n"
    "  --endorsement FILE           gcp-tdx: Google's launch endorsement of the firmware (VMLaunchEndorsement,\n"
    "                               gs://gce_tcb_integrity/ovmf_x64_csm/tdx/<MRTD>.binarypb); it must list the\n"
    "                               quote's MRTD and chain to a root whose SHA-256 is the built-in pin\n"
    "                               e876bc69...f18c (Google's GCE-cc-tcb-root_1) or policy \"gcp_tcb_root_sha256\"\n"
    "                               (which replaces it)\n"
    "  --gcp-tcb-root CERT          that root (DER or PEM); default: the one certificate of the endorsement's own\n"
    "                               ca_bundle. The pin checks the root wherever it came from\n"
    "  --nonce VALUE                must equal externalParameters.nonce (same string, or same bytes if both hex)\n"
    "  --no-nonce                   do not check freshness; the summary says so. A bundle whose statement carries\n"
    "                               a nonce needs one of the two (exit 2 otherwise)\n"
    "  --trust-root PEM             extra trusted root certificate (AMD ARK or Intel SGX root); repeatable\n"
    "  --allow-sim                  accept the simulated AMD-SP (KETTLE-SIM chain); the result says SIMULATED\n"
    "  --now RFC3339                time for certificate validity (default: now)\n"
    "  --collateral DIR             TDX collateral, all required: tcbinfo*.json, qe_identity*.json,\n"
    "                               tcb_signing_chain.pem, pckcrl*, rootcrl* (default: the bundle's collateral/)\n"
    "  --vcek PEM|DER, --chain PEM  VCEK/VLEK and ASK/ASVK when evidence.json carries none\n"
    "  --json                       print the verification summary as JSON\n"
    "  --vsa FILE                   write an in-toto Statement (SLSA verification_summary/v1)\n"
    "\n"
    "exit codes: 0 verified, 1 verification failed, 2 usage or IO error (also: a nonce-carrying bundle without\n"
    "            --nonce or --no-nonce)\n";

const char* kVerifyReportHelp =
    "usage: kettle verify-report REPORT_OR_QUOTE [--vcek PEM|DER] [--chain PEM] [--collateral DIR]\n"
    "                            [--policy FILE] [--product Milan|Genoa|Turin] [--now RFC3339] [--allow-sim]\n"
    "                            [--trust-root PEM]... [--endorsement FILE [--gcp-tcb-root CERT]] [--json]\n"
    "\n"
    "Verify a raw SEV-SNP ATTESTATION_REPORT (chain, VCEK/VLEK extensions, signature, policy) or a TDX quote\n"
    "(PCK chain and CRLs, QE report and QE identity, signature, TCB status, policy; --collateral DIR is required\n"
    "and must hold every piece). Without a VCEK it names the certificate to fetch (product, hwID, TCB, KDS URL).\n"
    "Defaults as `kettle verify`: SNP VMPL 0, debug off and the built-in TCB floor of the product (Milan, Genoa;\n"
    "Turin needs \"min_tcb\" in the policy); TDX TCB status UpToDate, debug and migratable off,\n"
    "SEPT_VE_DISABLE on, MRSERVICETD zero. MEASUREMENT/MRTD/RTMRs are checked only when the policy gives them.\n"
    "A TDX quote from GCP with --endorsement FILE (Google's VMLaunchEndorsement): after the quote verified, the\n"
    "\"firmware\" check requires the endorsement to list its MRTD and to chain to a root (--gcp-tcb-root CERT, else\n"
    "the endorsement's own ca_bundle) whose SHA-256 is Google's GCE-cc-tcb-root_1 (built in) or the policy's\n"
    "gcp_tcb_root_sha256.\n"
    "\n"
    "exit codes: 0 verified, 1 verification failed, 2 usage or IO error\n";

struct Parsed {
    std::vector<std::string> pos;
    std::vector<std::pair<std::string, std::string>> opts;
    bool has(const std::string& k) const {
        for (auto& o : opts)
            if (o.first == k) return true;
        return false;
    }
    std::optional<std::string> get(const std::string& k) const {
        std::optional<std::string> v;
        for (auto& o : opts)
            if (o.first == k) v = o.second;
        return v;
    }
    std::vector<std::string> all(const std::string& k) const {
        std::vector<std::string> v;
        for (auto& o : opts)
            if (o.first == k) v.push_back(o.second);
        return v;
    }
};

Parsed parse_args(const Args& args, const std::vector<std::string>& with_value, const std::vector<std::string>& flags) {
    Parsed p;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string k = a, v;
            if (auto eq = a.find('='); eq != std::string::npos) {
                k = a.substr(0, eq);
                v = a.substr(eq + 1);
            }
            bool wv = std::find(with_value.begin(), with_value.end(), k) != with_value.end();
            bool fl = std::find(flags.begin(), flags.end(), k) != flags.end();
            if (!wv && !fl) throw Error("unknown option " + k);
            if (wv && a.find('=') == std::string::npos) {
                if (i + 1 >= args.size()) throw Error("option " + k + " needs a value");
                v = args[++i];
            }
            p.opts.emplace_back(k, v);
        } else {
            p.pos.push_back(a);
        }
    }
    return p;
}

std::int64_t now_of(const Parsed& p) {
    auto n = p.get("--now");
    return n ? x509::parse_rfc3339(*n) : x509::now_seconds();
}

std::vector<Bytes> trust_roots_of(const Parsed& p) {
    std::vector<Bytes> out;
    for (auto& f : p.all("--trust-root"))
        for (auto& d : x509::load_certs(read_file(f, 1u << 20), "--trust-root")) out.push_back(d);
    return out;
}

void print_checks(const std::vector<snp::Check>& checks) {
    for (auto& c : checks)
        std::printf("  %s  %-18s %s\n", c.ok ? "ok  " : "FAIL", c.name.c_str(), c.detail.c_str());
}

Json checks_json(const std::vector<snp::Check>& checks) {
    Json a = Json::array();
    for (auto& c : checks) a.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    return a;
}

bool is_help(const Args& a) {
    for (auto& x : a)
        if (x == "-h" || x == "--help") return true;
    return false;
}

// `kettle ARGV...` run as a child of this very binary (the measurement computed from the image files,
// independent of the builder). Returns its stdout (at most 64 KiB); throws Error("--image: ...") unless it exits 0.
std::string run_self(std::vector<std::string> argv) {
    int fds[2];
    if (::pipe(fds) != 0) throw Error("--image: pipe failed");
    pid_t pid = ::fork();
    if (pid < 0) throw Error("--image: fork failed");
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::close(fds[0]);
        ::close(fds[1]);
        std::vector<char*> av;
        av.reserve(argv.size() + 1);
        for (auto& a : argv) av.push_back(a.data());
        av.push_back(nullptr);
        ::execv("/proc/self/exe", av.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
        if (out.size() < (64u << 10)) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    std::string cmd;
    for (std::size_t i = 1; i < argv.size(); ++i) cmd += (i > 1 ? " " : "") + argv[i];
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) throw Error("--image: `kettle " + cmd + "` failed");
    return out;
}

// `kettle measure snp --image DIR --vcpus N --vcpu-type T`: the expected SNP launch digest (48 bytes).
Bytes measure_image(const std::string& dir, const std::string& vcpus, const std::string& vcpu_type) {
    std::string out = run_self({"kettle", "measure", "snp", "--image", dir, "--vcpus", vcpus, "--vcpu-type", vcpu_type});
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    Bytes d = unhex(out);
    if (d.size() != 48) throw Error("--image: kettle measure printed no 48-byte launch digest");
    return d;
}

// `kettle measure tdx --image DIR --json`: the expected RTMR1 and RTMR2 of a TDX direct boot of the image's UKI.
std::pair<Bytes, Bytes> measure_image_tdx(const std::string& dir) {
    Json j = parse_strict(run_self({"kettle", "measure", "tdx", "--image", dir, "--json"}));
    Bytes r1 = unhex(j.value("rtmr1", "")), r2 = unhex(j.value("rtmr2", ""));
    if (r1.size() != 48 || r2.size() != 48) throw Error("--image: kettle measure tdx printed no RTMR1/RTMR2");
    return {r1, r2};
}

// True when the bundle's statement carries a non-empty externalParameters.nonce. Only decides whether the caller
// must say --nonce or --no-nonce (exit 2): the bytes are not trusted here, and verify_bundle authenticates them
// before its nonce row reads the same field (which FAILs in the same case). An unreadable bundle gives false:
// verification then fails on its own terms.
bool statement_carries_nonce(const std::string& dir) {
    try {
        std::string env = to_string(read_file(dir + "/provenance.intoto.jsonl", 64u << 20));
        while (!env.empty() && (env.back() == '\n' || env.back() == '\r')) env.pop_back();
        Json e = parse_strict(env);
        Bytes payload = bundle::base64_decode_lenient(e.at("payload").get<std::string>(), "payload");
        Json st = parse_strict(to_string(payload));
        const Json& n = st.at("predicate").at("buildDefinition").at("externalParameters").at("nonce");
        return n.is_string() && !n.get<std::string>().empty();
    } catch (const std::exception&) {
        return false;
    }
}

// The expected SNP launch digest from --image DIR --vcpus N --vcpu-type T (all three or none).
std::optional<Bytes> image_measurement(const Parsed& p) {
    const bool img = p.has("--image"), shape = p.has("--vcpus") || p.has("--vcpu-type");
    if (!img && !shape) return std::nullopt;
    if (!img)
        throw Error("--vcpus and --vcpu-type describe the VM shape of --image DIR, which is missing (the launch "
                    "digest is computed from the image's files for that shape)");
    if (!p.has("--vcpus") || !p.has("--vcpu-type"))
        throw Error("--image needs --vcpus N and --vcpu-type T (the VM shape changes the launch digest; `kettle run` "
                    "prints them, and run.json records them under \"measured_shape\")");
    return measure_image(*p.get("--image"), *p.get("--vcpus"), *p.get("--vcpu-type"));
}

/// A MEASUREMENT that is not the one computed for --image with --vcpus N --vcpu-type T: say which value was expected
/// for which shape, which was received, and the shape of this image it corresponds to, if any, among 1..8 vCPUs of
/// the usual types (a wrong --vcpus or --vcpu-type is the common mistake); else that it is another image or firmware.
void explain_measurement(const Parsed& p, const Bytes& expected, const bundle::Summary& s) {
    if (s.ok || s.failed() != "policy" || s.measurement.empty() || s.measurement == hex(expected)) return;
    const std::string img = *p.get("--image");
    std::fprintf(stderr, "kettle verify: expected MEASUREMENT %s (launch digest of %s for %s vCPU(s) of type %s)\n",
                 hex(expected).c_str(), img.c_str(), p.get("--vcpus")->c_str(), p.get("--vcpu-type")->c_str());
    std::fprintf(stderr, "kettle verify: received MEASUREMENT %s\n", s.measurement.c_str());
    for (const char* type : {"EPYC-v4", "EPYC", "EPYC-Milan", "EPYC-Genoa"})
        for (int n = 1; n <= 8; ++n) {
            try {
                if (hex(measure_image(img, std::to_string(n), type)) != s.measurement) continue;
            } catch (const Error&) {
                continue;
            }
            std::fprintf(stderr, "kettle verify: the received one is the launch digest of the same image for %d vCPU(s) "
                         "of type %s: pass --vcpus %d --vcpu-type %s if the VM ran with that shape\n", n, type, n, type);
            return;
        }
    std::fprintf(stderr, "kettle verify: the received one is no launch digest of %s for 1-8 vCPUs of type EPYC-v4, "
                 "EPYC, EPYC-Milan or EPYC-Genoa: the VM booted another image or firmware\n", img.c_str());
}

}  // namespace

// --image DIR for a disk boot path: the prediction of its disk boot (kettle.efi, kettle-disk.raw of the manifest).
boot::BootPrediction predict_image_disk_boot(const std::string& dir) {
    const Json m = read_image_manifest(dir);
    const Bytes uki = read_manifest_file(dir, m, "kettle.efi", 1u << 30);
    const Bytes head = read_manifest_file_head(dir, m, "kettle-disk.raw", 1u << 20);
    return boot::predict_disk_boot(uki, head);
}

// --boot and --image: the boot path, and the expectations computed from the image (direct boot: the SNP launch
// digest, returned for explain_measurement, and the TDX direct-boot RTMR1/RTMR2; a disk boot path: the disk-boot
// prediction).
std::optional<Bytes> image_expectations(const Parsed& p, bundle::Options& o) {
    if (auto b = p.get("--boot")) o.boot_path = bundle::parse_boot_path(*b);
    if (o.boot_path != bundle::BootPath::direct) {
        if (p.has("--vcpus") || p.has("--vcpu-type")) throw Error("--vcpus/--vcpu-type apply to direct boot only");
        if (auto dir = p.get("--image")) o.disk_boot = predict_image_disk_boot(*dir);
        return std::nullopt;
    }
    std::optional<Bytes> digest = image_measurement(p);
    if (!digest) return std::nullopt;
    o.policy.snp.measurements.push_back(*digest);
    auto [rtmr1, rtmr2] = measure_image_tdx(*p.get("--image"));
    o.policy.tdx.rtmr[1].push_back(rtmr1);
    o.policy.tdx.rtmr[2].push_back(rtmr2);
    return digest;
}

// The --gcp-tcb-root CERT file (at most 256 KiB). An empty file is refused: given explicitly, it must not silently
// mean "no root file" (which would make the endorsement's own ca_bundle the root).
Bytes read_tcb_root(const Parsed& p) {
    const std::string f = *p.get("--gcp-tcb-root");  // a copy: get() returns an optional by value
    Bytes b = read_file(f, std::size_t{256} * 1024);
    if (b.empty())
        throw Error("--gcp-tcb-root " + f + ": the file is empty (give Google's GCE TCB root certificate, DER or PEM, "
                    "or leave the option out to use the endorsement's ca_bundle under the root pin)");
    return b;
}

// --endorsement FILE and optional --gcp-tcb-root CERT (gcp-tdx only; each file at most 256 KiB, parsed by the
// firmware row; without a root file the endorsement's ca_bundle is the root, which the pin checks all the same).
void endorsement_options(const Parsed& p, bundle::Options& o) {
    const bool e = p.has("--endorsement"), r = p.has("--gcp-tcb-root");
    if ((e || r) && o.boot_path != bundle::BootPath::gcp_tdx)
        throw Error("--endorsement and --gcp-tcb-root apply to --boot gcp-tdx only");
    if (r && !e) throw Error("--gcp-tcb-root needs --endorsement FILE (the root verifies Google's endorsement)");
    if (!e) return;
    o.gcp_endorsement = read_file(*p.get("--endorsement"), tdx::kMaxEndorsementBytes);
    if (r) o.gcp_tcb_root = read_tcb_root(p);
}

// verify-report on a TDX quote with --endorsement FILE --gcp-tcb-root CERT: after the quote verified, Google's
// launch endorsement must list its MRTD, chain to the root and the root be pinned (policy gcp_tcb_root_sha256, else
// Google's GCE-cc-tcb-root_1). Appends the "firmware" check; records what the endorsement says in `extra`.
bool report_endorsement(ByteView file, ByteView root, const tdx::Result& r, const bundle::Policy& pol, std::int64_t now,
                        std::vector<snp::Check>& checks, Json& extra) {
    try {
        const tdx::EndorsementCheck e = tdx::verify_launch_endorsement(file, root, r.quote->body.mr_td, now);
        const std::string pin = tdx::check_root_pin(e.root_sha256, pol.gcp_tcb_root_sha256);
        const tdx::GoldenMeasurement& g = e.endorsement.golden;
        extra["firmware"] = {{"mrtd_source", "endorsement"}, {"uefi_sha384", hex(g.uefi_digest)},
                             {"endorsed_at", x509::format_rfc3339(g.timestamp)}, {"svn", g.tdx_svn},
                             {"signer", e.signer_cn}, {"root_sha256", hex(e.root_sha256)}, {"root_pin", pin},
                             {"root_source", e.root_from_ca_bundle ? "ca_bundle" : "file"},
                             {"checked_at", x509::format_rfc3339(now)}};
        checks.push_back({"firmware", true,
                          "MRTD endorsed by Google for UEFI " + hex(g.uefi_digest).substr(0, 16) + "... (" +
                              x509::format_rfc3339(g.timestamp) + ", SVN " + std::to_string(g.tdx_svn) + ") by '" +
                              e.signer_cn + "' under " + pin + ", certificates valid at " + x509::format_rfc3339(now)});
        return true;
    } catch (const Error& e) {
        checks.push_back({"firmware", false, e.what()});
        return false;
    }
}

int cmd_verify(const Args& args) {
    if (is_help(args)) {
        std::fputs(kVerifyHelp, stdout);
        return kOk;
    }
    Parsed p = parse_args(args,
                          {"--policy", "--expected-measurement", "--nonce", "--trust-root", "--now", "--vsa",
                           "--collateral", "--image", "--vcpus", "--vcpu-type", "--vcek", "--chain", "--boot",
                           "--endorsement", "--gcp-tcb-root"},
                          {"--allow-sim", "--json", "--no-nonce"});
    if (p.pos.size() != 1) {
        std::fputs(kVerifyHelp, stderr);
        return kUsage;
    }
    if (p.has("--nonce") && p.has("--no-nonce")) throw Error("--nonce and --no-nonce exclude each other");
    bundle::Options o;
    std::string policy_path;
    Bytes policy_sha;
    if (auto f = p.get("--policy")) {
        Bytes t = read_file(*f, 1u << 20);
        o.policy = bundle::parse_policy(to_string(t));
        policy_path = *f;
        policy_sha = sha256(t);
    }
    std::optional<Bytes> image_digest = image_expectations(p, o);  // after the policy file: it adds to its lists
    endorsement_options(p, o);
    if (!p.has("--nonce") && !p.has("--no-nonce") && statement_carries_nonce(p.pos[0]))
        throw Error("the bundle's statement carries a nonce: pass --nonce VALUE (the one given to `kettle run`, "
                    "printed at its end) to check that this build is the one you asked for, or --no-nonce to skip "
                    "the freshness check");
    for (auto& m : p.all("--expected-measurement")) {
        Bytes b = unhex(m);
        if (b.size() != 48) throw Error("--expected-measurement: expected 48 bytes (96 hex digits)");
        o.policy.snp.measurements.push_back(b);
        o.policy.tdx.mr_td.push_back(b);
    }
    if (auto n = p.get("--nonce")) {
        if (n->empty()) throw Error("--nonce: empty");
        o.nonce = *n;
    }
    o.no_nonce = p.has("--no-nonce");
    o.allow_sim = p.has("--allow-sim");
    o.now = now_of(p);
    o.trust_roots = trust_roots_of(p);
    if (auto c = p.get("--collateral")) o.collateral_dir = *c;
    if (auto v = p.get("--vcek")) {
        auto certs = x509::load_certs(read_file(*v, 1u << 20), "--vcek");
        o.vek = certs.at(0);
        for (std::size_t i = 1; i < certs.size(); ++i) o.extra_certs.push_back(certs[i]);
    }
    if (auto c = p.get("--chain"))
        for (auto& d : x509::load_certs(read_file(*c, 1u << 20), "--chain")) o.extra_certs.push_back(d);

    bundle::Summary s = bundle::verify_bundle(p.pos[0], o);
    if (image_digest && s.platform != "tdx") explain_measurement(p, *image_digest, s);
    if (p.has("--json")) {
        std::printf("%s\n", bundle::summary_json_text(s).c_str());
    } else {
        std::printf("kettle verify %s\n%s", p.pos[0].c_str(), bundle::summary_text(s).c_str());
    }
    if (auto v = p.get("--vsa")) {
        std::string uri = policy_path.empty() ? "" : "file:" + policy_path;
        write_file(*v, jcs(bundle::vsa_statement(s, uri, policy_sha, x509::now_seconds())) + "\n");
    }
    return s.ok ? kOk : kFailed;
}

int cmd_verify_report(const Args& args) {
    if (is_help(args)) {
        std::fputs(kVerifyReportHelp, stdout);
        return kOk;
    }
    Parsed p = parse_args(args, {"--vcek", "--chain", "--collateral", "--policy", "--now", "--trust-root", "--product",
                                 "--endorsement", "--gcp-tcb-root"},
                          {"--json", "--allow-sim"});
    if (p.pos.size() != 1) {
        std::fputs(kVerifyReportHelp, stderr);
        return kUsage;
    }
    const bool endorsed = p.has("--endorsement");
    if (!endorsed && p.has("--gcp-tcb-root"))
        throw Error("--gcp-tcb-root needs --endorsement FILE (the root verifies Google's endorsement)");
    const Bytes endorsement = endorsed ? read_file(*p.get("--endorsement"), tdx::kMaxEndorsementBytes) : Bytes{};
    // No --gcp-tcb-root: the endorsement's own ca_bundle is the root (check_root_pin decides whether it is trusted).
    const Bytes tcb_root = p.has("--gcp-tcb-root") ? read_tcb_root(p) : Bytes{};
    Bytes raw = read_file(p.pos[0], 1u << 20);
    bundle::Policy pol;
    if (auto f = p.get("--policy")) pol = bundle::parse_policy(to_string(read_file(*f, 1u << 20)));
    if (auto pr = p.get("--product")) {
        pol.snp.product = snp::product_from_name(*pr);
        if (pol.snp.product == snp::Product::unknown) throw Error("--product: not Milan, Genoa or Turin");
    }
    std::int64_t now = now_of(p);
    bool is_tdx = raw.size() >= 8 && (le16(raw, 0) == 4 || le16(raw, 0) == 5) && le32(raw, 4) == 0x81;
    std::vector<snp::Check> checks;
    bool ok = false;
    Json extra = Json::object();
    if (is_tdx) {
        tdx::Collateral col;
        bool have = false;
        if (auto c = p.get("--collateral")) {
            col = tdx::load_collateral(*c);
            have = true;
        }
        tdx::TdxPolicy tp = pol.tdx;
        tp.require_collateral = true;
        tp.trust_roots = trust_roots_of(p);
        tdx::Result r = tdx::verify_quote(raw, have ? &col : nullptr, tp, now);
        checks = r.checks;
        ok = r.ok;
        if (ok && endorsed) ok = report_endorsement(endorsement, tcb_root, r, pol, now, checks, extra);
        extra["platform"] = "tdx";
        if (!r.tcb_status.empty()) {
            extra["tcb_status"] = r.tcb_status;
            extra["collateral"] = tdx::collateral_use_json(r.collateral);
            extra["collateral"]["source"] = *p.get("--collateral");
        }
        if (r.quote) extra["mr_td"] = hex(r.quote->body.mr_td);
    } else {
        if (endorsed) throw Error("--endorsement and --gcp-tcb-root apply to TDX quotes only");
        std::optional<Bytes> vek;
        std::vector<Bytes> extra_certs;
        if (auto v = p.get("--vcek")) {
            auto certs = x509::load_certs(read_file(*v, 1u << 20), "--vcek");
            vek = certs.at(0);
            for (std::size_t i = 1; i < certs.size(); ++i) extra_certs.push_back(certs[i]);
        }
        if (auto c = p.get("--chain"))
            for (auto& d : x509::load_certs(read_file(*c, 1u << 20), "--chain")) extra_certs.push_back(d);
        if (!pol.snp.vmpl) pol.snp.vmpl = 0;  // as `kettle verify`: VMPL 0 unless the policy names one
        snp::ChainOptions co;
        co.now = now;
        co.allow_sim = p.has("--allow-sim");
        co.trust_roots = trust_roots_of(p);
        snp::Result r = snp::verify_evidence(raw, vek, extra_certs, pol.snp, co);
        checks = r.checks;
        ok = r.ok;
        extra["platform"] = "snp";
        if (r.report) extra["measurement"] = hex(r.report->measurement);
        if (r.chain) extra["simulated"] = r.chain->simulated;
        if (r.tcb_floor)
            extra["tcb_floor"] = {{"min", snp::tcb_string(r.tcb_floor->min, r.product)}, {"source", r.tcb_floor->source}};
        if (!r.needed_certificate.empty()) extra["needed_certificate"] = r.needed_certificate;
        if (ok && r.chain && r.chain->simulated) extra["note"] = "SIMULATED";
    }
    if (p.has("--json")) {
        Json j = extra;
        j["schema"] = "kettle-verify-report/v1";
        j["result"] = ok ? "PASSED" : "FAILED";
        j["checks"] = checks_json(checks);
        std::printf("%s\n", j.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    } else {
        std::printf("kettle verify-report %s (%s)\n", p.pos[0].c_str(), is_tdx ? "TDX quote" : "SEV-SNP report");
        print_checks(checks);
        if (extra.contains("needed_certificate"))
            std::printf("needed: %s\n", extra["needed_certificate"].get<std::string>().c_str());
        bool sim = extra.value("simulated", false);
        std::printf("%s\n", ok ? (sim ? "VERIFIED (SIMULATED)" : "VERIFIED") : "FAILED");
    }
    return ok ? kOk : kFailed;
}

}  // namespace kettle::cli
