// `kettle run --profile gcp-tdx` (its cloud half) and `kettle cloud`. See cloud_cmd.hpp and docs/cloud.md.
#include "cloud_cmd.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cloud_exec.hpp"
#include "cloud_ledger.hpp"
#include "cloud_run.hpp"
#include "commands.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"

namespace fs = std::filesystem;

namespace kettle::cli {

using namespace kettle::runner;

namespace {

Json phases_of(const Progress& p) {
    Json a = Json::array();
    for (auto& [name, t] : p.phases()) a.push_back({{"phase", name}, {"started_s", std::round(t * 1000) / 1000}});
    return a;
}

// The guest's words, shown as data: printable ASCII only, at most 500 characters.
std::string status_field(const Json& s, const char* k) {
    std::string v = s.is_object() && s.contains(k) && s[k].is_string() ? s[k].get<std::string>() : "?";
    for (char& ch : v) if (ch < 0x20 || ch > 0x7e) ch = '?';
    return v.substr(0, 500);
}

}  // namespace

int run_on_gcp(const RunOptions& o, const std::string& input_img, const std::string& work,
               std::chrono::steady_clock::time_point t_start, Json run, Progress& progress, Json& result) {
    CloudBuild b;
    b.image_dir = o.image;
    b.input_raw = input_img;
    b.work = work;
    b.out = o.out;
    b.output_bytes = o.output_size;
    b.vm_timeout = o.vm_timeout ? o.vm_timeout : o.timeout + 600;
    b.run = std::move(run);
    CloudOutcome oc = run_gcp_build(o.gcp, b, progress);
    if (o.gcp.dry_run) {
        if (oc.code != 0) std::fprintf(stderr, "kettle run: dry run stopped: %s\n", oc.message.c_str());
        return oc.code == 0 ? kOk : kInfra;
    }
    int code = oc.code == 0 ? build_exit_code(oc.status) : kInfra;
    std::string why = oc.message;
    const std::string digest = hex(oc.input_digest);
    if (oc.code == 0) {
        std::string problem = input_disk_problem(oc.status, digest, false);  // GCP cannot set MRCONFIGID
        if (code == kOk && !problem.empty()) { code = kFailed; why = problem; }
        else if (code != kOk) why = "the build failed in phase " + status_field(oc.status, "phase") + ": " +
                                    status_field(oc.status, "error");
        b.run["status"] = oc.status;
    }
    b.run["input_disk"] = {{"sha256", digest}, {"bytes", fs::exists(input_img) ? fs::file_size(input_img) : 0}};
    b.run["timings"]["phases"] = phases_of(progress);
    b.run["timings"]["total_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    b.run["exit_code"] = code;
    if (!why.empty()) b.run["failure"] = why;
    write_file(o.out + "/run.json", dump_text(b.run, 2) + "\n");
    result["ok"] = code == kOk;
    result["out"] = o.out;
    result["run"] = b.run;
    if (!why.empty()) result["message"] = why;
    if (oc.code == 0) result["status"] = oc.status;
    if (code == kOk) std::fprintf(stderr, "kettle run: build succeeded; outputs in %s\n", o.out.c_str());
    else std::fprintf(stderr, "kettle run: %s%s; run.json and console.log in %s\n", code == kFailed ? "FAILED: " : "",
                      why.c_str(), o.out.c_str());
    return code;
}

// ---- kettle cloud ------------------------------------------------------------------------------------------

namespace {

const char* kCloudHelp =
    "usage: kettle cloud upload-image --project P --bucket B [--image DIR] [--image-name N] [--dry-run]\n"
    "                                 [--small-disks-for-testing]\n"
    "       kettle cloud list --project P\n"
    "       kettle cloud cleanup OUT [--dry-run]\n"
    "\n"
    "Google Cloud helpers for the gcp-tdx profile (docs/cloud.md), driving the gcloud on PATH (or --gcloud PATH).\n"
    "\n"
    "  upload-image  import DIR/kettle-gcp.tar.gz (default DIR build/image) as the boot image, guest OS features\n"
    "                UEFI_COMPATIBLE,TDX_CAPABLE, named kettle-boot-<sha256> (or N), and the shared blank-output\n"
    "                image; each is skipped when it already exists (--small-disks-for-testing: the 1 MiB blank\n"
    "                image of `kettle run --small-disks-for-testing`, for a fake gcloud only)\n"
    "  list          the Kettle resources in the project: instances, disks and images labelled kettle-run, and\n"
    "                the shared kettle-boot-* and kettle-blank-* images\n"
    "  cleanup OUT   delete what the run whose --out was OUT still lists in OUT/cloud-resources.json (a run that\n"
    "                was killed); every deleted resource is marked there\n"
    "\n"
    "exit codes: 0 done, 2 usage or input error, 3 gcloud failed or resources are left\n";

struct CloudArgs {
    GcpOptions g;
    std::string image = "build/image", dir;
};

CloudArgs parse_cloud_args(const Args& args, std::size_t from) {
    CloudArgs c;
    for (std::size_t i = from; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--dry-run") { c.g.dry_run = true; continue; }
        if (a == "--small-disks-for-testing") { c.g.small_disks = true; continue; }
        if (a.rfind("--", 0) != 0) {
            if (!c.dir.empty()) throw Error("unexpected argument '" + a + "'");
            c.dir = a;
            continue;
        }
        std::string name = a, val;
        auto eq = a.find('=');
        if (eq != std::string::npos) { name = a.substr(0, eq); val = a.substr(eq + 1); }
        else if (i + 1 < args.size()) val = args[++i];
        else throw Error(a + " needs a value");
        if (name == "--project") c.g.target.project = val;
        else if (name == "--bucket") c.g.target.bucket = val;
        else if (name == "--zone") c.g.target.zone = val;
        else if (name == "--image") c.image = val;
        else if (name == "--image-name") c.g.image_name = val;
        else if (name == "--gcloud") c.g.target.gcloud = val;
        else throw Error("unknown option '" + name + "'");
    }
    return c;
}

int cloud_upload(CloudArgs& c, GcloudExec& g) {
    if (c.g.target.zone.empty()) c.g.target.zone = "unused";  // images are global
    check_target(c.g.target);
    if (!fs::is_regular_file(c.image + "/kettle-gcp.tar.gz"))
        throw Error("--image: " + c.image + "/kettle-gcp.tar.gz is missing (run `make image`)");
    gcloud_preflight(g, c.g.target);
    char tmpl[] = "/tmp/kettle-cloud.XXXXXX";
    if (!::mkdtemp(tmpl)) throw Error("cannot create a work directory");
    Ledger ledger("", c.g.target, "upload");
    Progress progress(stderr, false);
    std::pair<std::string, std::string> names;
    try {
        install_cloud_interrupt_handlers();
        names = ensure_shared_images(g, ledger, c.g, c.image, tmpl, progress);
    } catch (const std::exception& e) {
        cleanup_ledger(ledger, [&](const Argv& a) { return g.run(a, false).status; });
        fs::remove_all(tmpl);
        std::fprintf(stderr, "kettle cloud upload-image: %s\n", e.what());
        return kInfra;
    }
    fs::remove_all(tmpl);
    std::printf("boot image: %s\nblank output image: %s\n", names.first.c_str(), names.second.c_str());
    return kOk;
}

int cloud_list(CloudArgs& c, GcloudExec& g) {
    c.g.target.zone = "unused";
    c.g.target.bucket = "unused";
    check_target(c.g.target);
    int rc = kOk;
    for (const char* kind : {"instances", "disks", "images"}) {
        std::string filter = std::string(kind) == "images"
                                 ? "labels.kettle-run:* OR name~^kettle-boot- OR name~^kettle-blank-"
                                 : "labels.kettle-run:*";
        GcloudReply r = g.run(gcloud_list(c.g.target, kind, filter));
        if (r.status != 0) { std::fprintf(stderr, "kettle cloud list: %s: %s\n", kind, r.err.c_str()); rc = kInfra; continue; }
        std::printf("%s:\n", kind);
        std::size_t p = 0;
        while (p < r.out.size()) {
            auto nl = r.out.find('\n', p);
            std::string line = r.out.substr(p, nl == std::string::npos ? std::string::npos : nl - p);
            if (!line.empty()) std::printf("  %s\n", printable(line, 300).c_str());
            if (nl == std::string::npos) break;
            p = nl + 1;
        }
    }
    return rc;
}

int cloud_cleanup(CloudArgs& c, GcloudExec& g) {
    if (c.dir.empty()) throw Error("cleanup needs the run's output directory");
    Ledger ledger = Ledger::load(c.dir + "/cloud-resources.json");
    auto left = cleanup_ledger(ledger, [&](const Argv& a) {
        Argv b = a;
        b[0] = c.g.target.gcloud;
        return g.run(b, false).status;
    });
    if (!left.empty()) {
        for (auto& l : left) std::fprintf(stderr, "kettle cloud cleanup: could not delete %s\n", l.c_str());
        return kInfra;
    }
    std::fprintf(stderr, "kettle cloud cleanup: nothing of run %s is left\n", ledger.run_id().c_str());
    return kOk;
}

}  // namespace

int cmd_cloud(const Args& args) {
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
        std::fputs(kCloudHelp, args.empty() ? stderr : stdout);
        return args.empty() ? kUsage : kOk;
    }
    CloudArgs c;
    try {
        c = parse_cloud_args(args, 1);
        GcloudExec g(c.g.dry_run, stdout);
        if (args[0] == "upload-image") return cloud_upload(c, g);
        if (args[0] == "list") return cloud_list(c, g);
        if (args[0] == "cleanup") return cloud_cleanup(c, g);
    } catch (const Error& e) {
        std::fprintf(stderr, "kettle cloud %s: %s\n(see `kettle cloud --help`)\n", args[0].c_str(), e.what());
        return kUsage;
    }
    std::fprintf(stderr, "kettle cloud: unknown subcommand '%s'\n\n%s", args[0].c_str(), kCloudHelp);
    return kUsage;
}

}  // namespace kettle::cli
