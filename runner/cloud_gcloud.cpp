// gcloud command lines and resource names of the gcp-tdx profile. See cloud_gcloud.hpp.
#include "cloud_gcloud.hpp"

#include <cstdio>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"

namespace kettle::runner {

namespace {

bool only(const std::string& s, const char* extra) {
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        for (const char* e = extra; !ok && *e; ++e) ok = c == *e;
        if (!ok) return false;
    }
    return true;
}

Argv base(const GcpTarget& t, std::initializer_list<const char*> words) {
    Argv a{t.gcloud};
    for (const char* w : words) a.emplace_back(w);
    return a;
}

std::string flag(const char* name, const std::string& value) { return std::string(name) + "=" + value; }

}  // namespace

void check_run_id(const std::string& id) {
    if (id.empty() || id.size() > 32 || !only(id, "-") || id.front() == '-' || id.back() == '-')
        throw Error("--run-id: '" + id + "' must be 1..32 characters of a-z, 0-9 and '-', not starting or ending "
                    "with '-'");
}

std::string new_run_id() {
    std::FILE* f = std::fopen("/dev/urandom", "rb");
    unsigned char b[6];
    bool ok = f && std::fread(b, 1, sizeof b, f) == sizeof b;
    if (f) std::fclose(f);
    if (!ok) throw Error("cannot read /dev/urandom for a run id");
    return "r" + hex(ByteView(b, sizeof b));
}

void check_gce_name(const std::string& n, const char* what) {
    if (n.empty() || n.size() > 63 || !only(n, "-") || !(n[0] >= 'a' && n[0] <= 'z') || n.back() == '-')
        throw Error(std::string(what) + ": '" + n + "' is not a Compute Engine name (1..63 of a-z, 0-9, '-', "
                    "starting with a letter, not ending with '-')");
}

void check_target(const GcpTarget& t) {
    if (t.project.empty()) throw Error("--project is required for the gcp-tdx profile");
    if (t.zone.empty()) throw Error("--zone is required for the gcp-tdx profile (e.g. us-central1-a)");
    if (t.bucket.empty()) throw Error("--bucket is required for the gcp-tdx profile (a Cloud Storage bucket name)");
    if (t.project.size() > 64 || !only(t.project, "-"))
        throw Error("--project: '" + t.project + "' is not a project id (lower-case letters, digits and '-', as "
                    "`gcloud projects list` shows in PROJECT_ID; not the project's display name)");
    if (t.zone.size() > 64 || !only(t.zone, "-")) throw Error("--zone: '" + t.zone + "' is not a zone name");
    if (t.bucket.size() > 222 || !only(t.bucket, "-._") || t.bucket.front() == '.' || t.bucket.front() == '-')
        throw Error("--bucket: '" + t.bucket + "' is not a bucket name (give the name, without gs://)");
    if (t.machine_type.empty() || t.machine_type.size() > 64 || !only(t.machine_type, "-"))
        throw Error("--machine-type: '" + t.machine_type + "' is not a machine type");
    if (t.disk_type.empty() || t.disk_type.size() > 64 || !only(t.disk_type, "-"))
        throw Error("--disk-type: '" + t.disk_type + "' is not a disk type");
}

void check_zone(const std::string& zone) {
    // REGION-LETTER, REGION = AREA-LOCATION<digits> (us-central1, europe-west4, northamerica-northeast1).
    std::size_t last = zone.rfind('-');
    std::size_t mid = last == std::string::npos || last == 0 ? std::string::npos : zone.rfind('-', last - 1);
    bool ok = last != std::string::npos && mid != std::string::npos && mid > 0 && last + 2 == zone.size() &&
              zone.back() >= 'a' && zone.back() <= 'z' && last > mid + 1 && zone[last - 1] >= '0' && zone[last - 1] <= '9';
    if (!ok)
        throw Error("--zone: '" + zone + "' is not a zone: a zone is a region and a letter, e.g. us-central1-a (a region "
                    "such as us-central1 is not enough; `gcloud compute zones list` shows them)");
}

CloudNames cloud_names(const std::string& id, const std::string& bucket) {
    check_run_id(id);
    CloudNames n;
    n.run_id = id;
    n.instance = "kettle-" + id;
    n.input_image = n.input_disk = "kettle-" + id + "-input";
    n.output_image = n.output_disk = "kettle-" + id + "-output";
    n.input_object = "gs://" + bucket + "/kettle/" + id + "/input.tar.gz";
    n.output_object = "gs://" + bucket + "/kettle/" + id + "/output.tar.gz";
    return n;
}

std::string boot_image_name(const std::string& sha) { return "kettle-boot-" + sha.substr(0, 48); }
std::string blank_image_name(const std::string& sha) { return "kettle-blank-" + sha.substr(0, 48); }
std::string image_object(const GcpTarget& t, const std::string& image) {
    return "gs://" + t.bucket + "/kettle/images/" + image + ".tar.gz";
}

Argv gcloud_auth_check(const GcpTarget& t) {
    return base(t, {"auth", "list", "--filter=status:ACTIVE", "--format=value(account)"});
}

Argv gcloud_zone_describe(const GcpTarget& t) {
    Argv a = base(t, {"compute", "zones", "describe"});
    a.insert(a.end(), {t.zone, flag("--project", t.project), "--format=value(status)"});
    return a;
}

Argv gcloud_image_describe(const GcpTarget& t, const std::string& image) {
    Argv a = base(t, {"compute", "images", "describe"});
    a.insert(a.end(), {image, flag("--project", t.project), "--format=value(status)"});
    return a;
}

Argv gcloud_storage_cp(const GcpTarget& t, const std::string& src, const std::string& dst) {
    Argv a = base(t, {"storage", "cp"});
    a.insert(a.end(), {src, dst, flag("--project", t.project)});
    return a;
}

Argv gcloud_storage_rm(const GcpTarget& t, const std::string& url) {
    Argv a = base(t, {"storage", "rm"});
    a.insert(a.end(), {url, flag("--project", t.project)});
    return a;
}

Argv gcloud_image_create_from_uri(const GcpTarget& t, const std::string& image, const std::string& uri, bool bootable,
                                  const std::string& label, const std::string& description) {
    Argv a = base(t, {"compute", "images", "create"});
    a.insert(a.end(), {image, flag("--project", t.project), flag("--source-uri", uri)});
    // A TDX boot image must say so; UEFI_COMPATIBLE because the disk is GPT + ESP booted by the firmware.
    if (bootable) a.push_back("--guest-os-features=UEFI_COMPATIBLE,TDX_CAPABLE");
    a.push_back(flag("--labels", label));
    a.push_back(flag("--description", description));
    return a;
}

Argv gcloud_image_create_from_disk(const GcpTarget& t, const std::string& image, const std::string& disk,
                                   const std::string& label) {
    Argv a = base(t, {"compute", "images", "create"});
    a.insert(a.end(), {image, flag("--project", t.project), flag("--source-disk", disk),
                       flag("--source-disk-zone", t.zone), flag("--labels", label)});
    return a;
}

Argv gcloud_image_export(const GcpTarget& t, const std::string& image, const std::string& uri) {
    Argv a = base(t, {"compute", "images", "export"});
    a.insert(a.end(), {flag("--image", image), flag("--destination-uri", uri), flag("--project", t.project),
                       flag("--zone", t.zone)});
    return a;
}

Argv gcloud_disk_create(const GcpTarget& t, const std::string& disk, const std::string& image, const std::string& size,
                        const std::string& label) {
    Argv a = base(t, {"compute", "disks", "create"});
    a.insert(a.end(), {disk, flag("--project", t.project), flag("--zone", t.zone), flag("--image", image),
                       flag("--image-project", t.project), flag("--size", size),
                       flag("--type", t.disk_type), flag("--labels", label)});
    return a;
}

Argv gcloud_instance_create(const GcpTarget& t, const CloudNames& n, const std::string& boot_image, unsigned boot_gb) {
    Argv a = base(t, {"compute", "instances", "create"});
    a.insert(a.end(), {
        n.instance, flag("--project", t.project), flag("--zone", t.zone), flag("--machine-type", t.machine_type),
        "--confidential-compute-type=TDX", "--maintenance-policy=TERMINATE", "--no-restart-on-failure",
        // Our UKI is not signed for Google's default db: Secure Boot off (docs/cloud.md "Secure Boot").
        "--no-shielded-secure-boot",
        flag("--image", boot_image), flag("--image-project", t.project),
        flag("--boot-disk-size", std::to_string(boot_gb) + "GB"), flag("--boot-disk-type", t.disk_type),
        "--boot-disk-auto-delete",
        flag("--disk", "name=" + n.input_disk + ",mode=ro,boot=no,auto-delete=no"),
        flag("--disk", "name=" + n.output_disk + ",mode=rw,boot=no,auto-delete=no"),
        // GCE gives every instance a NIC (nic0); the guest kernel has no network driver, so nothing uses it.
        "--no-address", "--no-service-account", "--no-scopes",
        "--metadata=serial-port-logging-enable=true",
        flag("--labels", "kettle-run=" + n.run_id)});
    return a;
}

Argv gcloud_instance_status(const GcpTarget& t, const std::string& instance) {
    Argv a = base(t, {"compute", "instances", "describe"});
    a.insert(a.end(), {instance, flag("--project", t.project), flag("--zone", t.zone), "--format=value(status)"});
    return a;
}

Argv gcloud_serial_output(const GcpTarget& t, const std::string& instance, std::uint64_t start) {
    Argv a = base(t, {"compute", "instances", "get-serial-port-output"});
    a.insert(a.end(), {instance, flag("--project", t.project), flag("--zone", t.zone), "--port=1",
                       flag("--start", std::to_string(start)), "--format=json"});
    return a;
}

static void check_kind(const std::string& kind) {
    if (kind != "instances" && kind != "disks" && kind != "images")
        throw Error("unknown resource kind '" + kind + "'");
}

Argv gcloud_delete(const GcpTarget& t, const std::string& kind, const std::string& name) {
    if (kind == "objects") return gcloud_storage_rm(t, name);
    check_kind(kind);
    Argv a{t.gcloud, "compute", kind, "delete", name, flag("--project", t.project)};
    if (kind != "images") a.push_back(flag("--zone", t.zone));
    a.push_back("--quiet");
    return a;
}

Argv gcloud_exists(const GcpTarget& t, const std::string& kind, const std::string& name) {
    if (kind == "objects") return {t.gcloud, "storage", "ls", name, flag("--project", t.project)};
    check_kind(kind);
    Argv a{t.gcloud, "compute", kind, "describe", name, flag("--project", t.project)};
    if (kind != "images") a.push_back(flag("--zone", t.zone));
    a.push_back("--format=value(name)");
    return a;
}

Argv gcloud_list(const GcpTarget& t, const std::string& kind, const std::string& filter) {
    check_kind(kind);
    return {t.gcloud, "compute", kind, "list", flag("--project", t.project), flag("--filter", filter),
            "--format=value(name,labels.kettle-run)"};
}

std::string shell_line(const Argv& argv) {
    std::string out;
    for (const auto& w : argv) {
        if (!out.empty()) out += ' ';
        bool plain = !w.empty();
        for (char c : w)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  std::string_view("-_=.,/:@%+").find(c) != std::string_view::npos))
                plain = false;
        if (plain) { out += w; continue; }
        out += '\'';
        for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        out += '\'';
    }
    return out;
}

}  // namespace kettle::runner
