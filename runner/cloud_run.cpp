// The gcp-tdx flow of `kettle run`. See cloud_run.hpp; the steps are described in docs/cloud.md.
#include "cloud_run.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cloud_disk.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/text.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/disk/format.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

namespace {

struct CloudFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct DryRunDone {};  // --dry-run: the plan is printed up to the download; nothing to read back

// The last `n` bytes of gcloud's stderr, without trailing white space, for a one-line message.
std::string tail(const std::string& s, std::size_t n) {
    std::string t = s.size() > n ? s.substr(s.size() - n) : s;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    return t;
}

void check_interrupt() {
    if (cloud_interrupted()) throw CloudFailure("interrupted");
}

GcloudReply must(GcloudExec& g, const Argv& argv, const std::string& what) {
    GcloudReply r = g.run(argv);
    check_interrupt();
    if (r.status != 0)
        throw CloudFailure(what + " failed (gcloud exit " + std::to_string(r.status) + "): " + tail(r.err, 2000));
    return r;
}

// An image that exists and is READY is reused; otherwise its tar.gz is staged in the bucket, imported, unstaged.
void ensure_image(GcloudExec& g, Ledger& ledger, const GcpTarget& t, const std::string& name, const std::string& tar_gz,
                  bool bootable, const std::string& label, const std::string& description, Progress& progress) {
    GcloudReply d = g.run(gcloud_image_describe(t, name));
    check_interrupt();
    if (d.status == 0 && d.out.rfind("READY", 0) == 0) {
        progress.note("image " + name + " is already in project " + t.project + ": reused");
        return;
    }
    progress.note("uploading image " + name + " (" + std::to_string(fs::file_size(tar_gz)) + " bytes)");
    const std::string obj = image_object(t, name);
    ledger.creating("objects", obj);
    must(g, gcloud_storage_cp(t, tar_gz, obj), "uploading " + tar_gz);
    ledger.set("objects", obj, "created");
    GcloudReply c = g.run(gcloud_image_create_from_uri(t, name, obj, bootable, label, description));
    check_interrupt();
    if (c.status != 0) {
        // Another run may have imported the same image meanwhile (parallel builds): then it is there and READY.
        GcloudReply again = g.run(gcloud_image_describe(t, name));
        check_interrupt();
        if (again.status != 0 || again.out.rfind("READY", 0) != 0)
            throw CloudFailure("creating image " + name + " failed (gcloud exit " + std::to_string(c.status) +
                               "): " + tail(c.err, 2000));
        progress.note("image " + name + " was imported by another run meanwhile: reused");
    }
    if (g.run(gcloud_storage_rm(t, obj), false).status == 0) ledger.set("objects", obj, "deleted");
}

// Grow, hash, package and import the input disk; returns the digest the guest must report. A dry run grows the
// disk only to know its size: it neither hashes nor packages it (at GCP's 10 GB minimum that alone takes minutes),
// and its plan names the digest by a placeholder.
Bytes stage_input(GcloudExec& g, Ledger& ledger, const GcpOptions& o, CloudBuild& b, const CloudNames& n,
                  std::uint64_t& input_units, Progress& progress) {
    const DiskSizing sz = o.sizing();
    input_units = pad_disk(b.input_raw, sz);
    const std::string size = std::to_string(input_units) + (o.small_disks ? " MiB" : " GiB");
    Bytes digest = o.dry_run ? Bytes() : sha256_file(b.input_raw);
    progress.note("input disk " + size + (o.dry_run ? " (dry run: not hashed)" : ", sha256 " + hex(digest)));
    const std::string tgz = b.work + "/input.tar.gz";
    if (!o.dry_run) pack_gcp_disk(b.input_raw, tgz, b.work + "/pack-input");
    const GcpTarget& t = o.target;
    ledger.creating("objects", n.input_object);
    must(g, gcloud_storage_cp(t, tgz, n.input_object), "uploading the input disk");
    ledger.set("objects", n.input_object, "created");
    ledger.creating("images", n.input_image);
    must(g, gcloud_image_create_from_uri(t, n.input_image, n.input_object, false, "kettle-run=" + n.run_id,
                                         "Kettle input disk sha256:" +
                                             (o.dry_run ? std::string("<computed in a real run>") : hex(digest))),
         "creating the input image");
    ledger.set("images", n.input_image, "created");
    if (g.run(gcloud_storage_rm(t, n.input_object), false).status == 0) ledger.set("objects", n.input_object, "deleted");
    return digest;
}

void create_vm(GcloudExec& g, Ledger& ledger, const GcpOptions& o, const CloudNames& n, const std::string& boot,
               const std::string& blank, std::uint64_t input_units, std::uint64_t output_units) {
    const GcpTarget& t = o.target;
    const std::string label = "kettle-run=" + n.run_id;
    ledger.creating("disks", n.input_disk);
    const DiskSizing sz = o.sizing();
    must(g, gcloud_disk_create(t, n.input_disk, n.input_image, sz.size_flag(input_units), label),
         "creating the input disk");
    ledger.set("disks", n.input_disk, "created");
    ledger.creating("disks", n.output_disk);
    must(g, gcloud_disk_create(t, n.output_disk, blank, sz.size_flag(output_units), label), "creating the output disk");
    ledger.set("disks", n.output_disk, "created");
    ledger.creating("instances", n.instance);
    must(g, gcloud_instance_create(t, n, boot, o.min_disk_gb), "creating the instance");
    ledger.set("instances", n.instance, "created");
}

// The serial console, read by polling get-serial-port-output from offset `next`.
struct Console {
    std::ofstream file;
    std::uint64_t next = 0, bytes = 0;
    std::string partial;
    void feed(const std::string& s, Progress& progress) {
        if (bytes < (64u << 20)) file.write(s.data(), static_cast<std::streamsize>(s.size()));
        bytes += s.size();
        partial += s;
        std::size_t p;
        while ((p = partial.find('\n')) != std::string::npos) {
            progress.on_console_line(std::string_view(partial).substr(0, p));
            partial.erase(0, p + 1);
        }
        if (partial.size() > 4096) partial.clear();  // a line that long is no marker
    }
    // One poll; a reply that is not the documented SerialPortOutput shape is ignored (the console is only progress).
    void poll(GcloudExec& g, const GcpTarget& t, const std::string& instance, Progress& progress) {
        GcloudReply r = g.run(gcloud_serial_output(t, instance, next));
        if (r.status != 0) return;
        try {
            Json j = parse_strict(r.out);
            if (!j.is_object() || !j.contains("contents") || !j["contents"].is_string()) return;
            std::uint64_t nx = next;
            if (j.contains("next") && j["next"].is_string()) nx = std::stoull(j["next"].get<std::string>());
            else if (j.contains("next") && j["next"].is_number_unsigned()) nx = j["next"].get<std::uint64_t>();
            feed(j["contents"].get<std::string>(), progress);
            if (nx > next) next = nx;
        } catch (const std::exception&) {
        }
    }
};

enum class VmEnd { stopped, timed_out };

VmEnd follow_vm(GcloudExec& g, const GcpOptions& o, const CloudNames& n, unsigned timeout_s, Console& con,
                Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        con.poll(g, o.target, n.instance, progress);
        check_interrupt();
        GcloudReply s = g.run(gcloud_instance_status(o.target, n.instance));
        check_interrupt();
        std::string st = s.out.substr(0, s.out.find('\n'));
        if (s.status == 0 && (st == "TERMINATED" || st == "STOPPED")) {
            con.poll(g, o.target, n.instance, progress);  // what is left, if the API still has it
            return VmEnd::stopped;
        }
        if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(timeout_s)) return VmEnd::timed_out;
        for (unsigned i = 0; i < o.poll_seconds * 10 && !cloud_interrupted(); ++i) {
            progress.tick();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        check_interrupt();
    }
}

// Export the stopped VM's output disk (disk -> image -> gs:// tar.gz -> local), then read it defensively.
OutputDisk read_back(GcloudExec& g, Ledger& ledger, const GcpOptions& o, CloudBuild& b, const CloudNames& n,
                     std::uint64_t output_bytes, Progress& progress) {
    const GcpTarget& t = o.target;
    progress.note("exporting the output disk (images create + images export: a few minutes)");
    ledger.creating("images", n.output_image);
    must(g, gcloud_image_create_from_disk(t, n.output_image, n.output_disk, "kettle-run=" + n.run_id),
         "creating an image of the output disk");
    ledger.set("images", n.output_image, "created");
    ledger.creating("objects", n.output_object);
    must(g, gcloud_image_export(t, n.output_image, n.output_object), "exporting the output image");
    ledger.set("objects", n.output_object, "created");
    const std::string tgz = b.work + "/output.tar.gz", raw = b.work + "/output.raw";
    must(g, gcloud_storage_cp(t, n.output_object, tgz), "downloading the exported output disk");
    if (g.dry_run()) throw DryRunDone{};
    extract_gcp_disk(tgz, raw, output_bytes);
    const std::string staged = b.work + "/bundle";
    fs::create_directories(staged);
    OutputDisk od = read_output_disk(raw, staged);
    for (const auto& e : fs::directory_iterator(staged))
        fs::copy(e.path(), b.out + "/" + e.path().filename().string(), fs::copy_options::recursive);
    return od;
}

}  // namespace

void gcloud_preflight(GcloudExec& g, const GcpTarget& t) {
    GcloudReply r = g.run(gcloud_auth_check(t));
    if (r.status == -1)
        throw Error("'" + t.gcloud + "' is not on PATH: install the Google Cloud CLI "
                    "(cloud.google.com/sdk/docs/install) and run `gcloud auth login`");
    if (r.status != 0 || r.out.find_first_not_of(" \n") == std::string::npos)
        throw Error("gcloud has no active account (`gcloud auth list` shows none): run `gcloud auth login`" +
                    (r.err.empty() ? std::string() : ": " + tail(r.err, 500)));
}

void gcloud_zone_check(GcloudExec& g, const GcpTarget& t) {
    GcloudReply r = g.run(gcloud_zone_describe(t));
    if (r.status != 0)
        throw Error("zone " + t.zone + " in project " + t.project + " cannot be used (`gcloud compute zones describe` " +
                    "failed: a zone that does not exist, a project id that does not exist, or no access to it): " +
                    tail(r.err, 1000));
    std::string st = r.out.substr(0, r.out.find('\n'));
    if (!g.dry_run() && st != "UP") throw Error("zone " + t.zone + " is " + (st.empty() ? "not UP" : printable(st, 40)));
}

std::pair<std::string, std::string> ensure_shared_images(GcloudExec& g, Ledger& ledger, const GcpOptions& o,
                                                         const std::string& image_dir, const std::string& work,
                                                         Progress& progress) {
    const std::string boot_tgz = image_dir + "/kettle-gcp.tar.gz";
    const std::string boot_sha = hex(sha256_file(boot_tgz));
    const std::string boot = o.image_name.empty() ? boot_image_name(boot_sha) : o.image_name;
    check_gce_name(boot, "--image-name");
    ensure_image(g, ledger, o.target, boot, boot_tgz, true, "kettle=boot",
                 "Kettle boot disk (kettle-gcp.tar.gz) sha256:" + boot_sha, progress);
    const std::string blank_raw = work + "/blank.raw", blank_tgz = work + "/blank.tar.gz";
    write_blank_output_raw(blank_raw, o.sizing().unit);
    pack_gcp_disk(blank_raw, blank_tgz, work + "/pack-blank");
    const std::string blank_sha = hex(sha256_file(blank_tgz));
    const std::string blank = blank_image_name(blank_sha);
    ensure_image(g, ledger, o.target, blank, blank_tgz, false, "kettle=blank-output",
                 std::string("Kettle blank output disk (1 ") + (o.small_disks ? "MiB" : "GiB") +
                     ", KETTLE-BLANK-OUT label) sha256:" + blank_sha,
                 progress);
    return {boot, blank};
}

// The whole flow; the cleanup runs whatever happened (see the header). This is the one place that
// orders the steps and guarantees the cleanup and the run.json; each step is its own function above.
CloudOutcome run_gcp_build(const GcpOptions& o, CloudBuild& b, Progress& progress) {
    CloudOutcome res;
    GcloudExec g(o.dry_run, stdout);
    const CloudNames n = cloud_names(o.run_id.empty() ? new_run_id() : o.run_id, o.target.bucket);
    Ledger ledger(o.dry_run ? "" : b.out + "/cloud-resources.json", o.target, n.run_id);
    ledger.save();
    install_cloud_interrupt_handlers();
    const DiskSizing sz = o.sizing();
    const std::uint64_t output_units = sz.units_for(b.output_bytes);
    Console con;
    if (!o.dry_run) con.file.open(b.out + "/console.log", std::ios::binary);
    Json gcp{{"project", o.target.project}, {"zone", o.target.zone}, {"machine_type", o.target.machine_type},
             {"disk_type", o.target.disk_type}, {"run_id", n.run_id}, {"instance", n.instance},
             {"input_disk", n.input_disk}, {"output_disk", n.output_disk},
             {"disk_size_unit", o.small_disks ? "MiB (--small-disks-for-testing)" : "GiB"},
             {"output_disk_size", output_units}};
    double vm_seconds = 0;
    bool timed_out = false;
    std::string started_vm;
    try {
        gcloud_preflight(g, o.target);
        gcloud_zone_check(g, o.target);
        auto [boot, blank] = ensure_shared_images(g, ledger, o, b.image_dir, b.work, progress);
        gcp["boot_image"] = boot;
        gcp["blank_image"] = blank;
        std::uint64_t input_units = 0;
        res.input_digest = stage_input(g, ledger, o, b, n, input_units, progress);
        gcp["input_disk_size"] = input_units;
        started_vm = x509::format_rfc3339(x509::now_seconds());
        const auto t_vm = std::chrono::steady_clock::now();
        create_vm(g, ledger, o, n, boot, blank, input_units, output_units);
        progress.note("instance " + n.instance + " (" + o.target.machine_type + ", " + o.target.zone + ") started");
        VmEnd end = follow_vm(g, o, n, b.vm_timeout, con, progress);
        vm_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_vm).count();
        progress.finish();
        if (end == VmEnd::timed_out) {
            timed_out = true;
            throw CloudFailure("the VM did not stop within " + std::to_string(b.vm_timeout) + " s; it is deleted");
        }
        OutputDisk od = read_back(g, ledger, o, b, n, output_units * sz.unit, progress);
        res.status = od.status;
        res.code = 0;
        b.run["output_disk"] = {{"payload_bytes", od.payload_length}, {"payload_sha256", hex(od.payload_sha256)},
                                {"members", od.members.size()}};
    } catch (const DryRunDone&) {
        res.code = 0;
    } catch (const std::exception& e) {
        progress.finish();
        res.code = 3;
        res.message = e.what();
    }
    if (o.dry_run) progress.note("dry run: the cleanup deletes what the run would have created:");
    std::vector<std::string> left = cleanup_ledger(ledger, [&](const Argv& a) { return g.run(a, false).status; });
    if (!left.empty()) {
        std::string names;
        for (auto& l : left) names += " " + l;
        res.message += (res.message.empty() ? "" : "; ") + std::string("could not delete") + names +
                       " (retry with `kettle cloud cleanup " + b.out + "`)";
        if (res.code == 0) res.code = 3;
    }
    gcp["started_vm_on"] = started_vm;
    gcp["finished_on"] = x509::format_rfc3339(x509::now_seconds());
    gcp["gcloud_commands"] = g.log();
    gcp["left_behind"] = left;
    b.run["gcp"] = gcp;
    b.run["timings"]["vm_seconds"] = std::round(vm_seconds * 1000) / 1000;
    b.run["timings"]["timeout_seconds"] = b.vm_timeout;
    b.run["timings"]["timed_out"] = timed_out;
    b.run["console"] = {{"bytes", con.bytes}, {"truncated", con.bytes > (64u << 20)},
                        {"source", "gcloud compute instances get-serial-port-output (polled)"}};
    return res;
}

}  // namespace kettle::runner
