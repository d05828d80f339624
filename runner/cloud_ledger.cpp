// The resource list of a cloud run. See cloud_ledger.hpp.
#include "cloud_ledger.hpp"

#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/json.hpp"

namespace fs = std::filesystem;

namespace kettle::runner {

Ledger::Ledger(std::string path, GcpTarget target, std::string run_id)
    : path_(std::move(path)), target_(std::move(target)), run_id_(std::move(run_id)) {}

void Ledger::save() const {
    if (path_.empty()) return;
    Json res = Json::array();
    for (const auto& e : entries_) res.push_back({{"kind", e.kind}, {"name", e.name}, {"state", e.state}});
    Json j{{"version", 1}, {"project", target_.project}, {"zone", target_.zone}, {"bucket", target_.bucket},
           {"run_id", run_id_}, {"resources", res}};
    write_file(path_ + ".tmp", dump_text(j, 2) + "\n");
    fs::rename(path_ + ".tmp", path_);
}

void Ledger::creating(const std::string& kind, const std::string& name) {
    entries_.push_back({kind, name, "creating"});
    save();
}

void Ledger::set(const std::string& kind, const std::string& name, const std::string& state) {
    for (auto& e : entries_)
        if (e.kind == kind && e.name == name) e.state = state;
    save();
}

namespace {

std::string str_member(const Json& j, const char* k) {
    if (!j.is_object() || !j.contains(k) || !j[k].is_string()) throw Error(std::string("'") + k + "' must be a string");
    return j[k].get<std::string>();
}

void check_entry(const LedgerEntry& e, const GcpTarget& t, const std::string& run_id) {
    if (e.kind == "objects") {
        const std::string run_prefix = "gs://" + t.bucket + "/kettle/" + run_id + "/";
        const std::string img_prefix = "gs://" + t.bucket + "/kettle/images/";
        bool ok = e.name.rfind(run_prefix, 0) == 0 || e.name.rfind(img_prefix, 0) == 0;
        for (char c : e.name) ok = ok && c > 0x20 && c < 0x7f && c != '*' && c != '?' && c != '[';
        if (!ok || e.name.find("..") != std::string::npos)
            throw Error("object '" + e.name + "' is not one of this run's objects");
        return;
    }
    if (e.kind != "instances" && e.kind != "disks" && e.kind != "images") throw Error("unknown kind '" + e.kind + "'");
    check_gce_name(e.name, e.kind.c_str());
    if (e.name.rfind("kettle-", 0) != 0) throw Error(e.kind + " '" + e.name + "' is not a Kettle resource");
    if (e.state != "creating" && e.state != "created" && e.state != "deleted")
        throw Error("unknown state '" + e.state + "'");
}

}  // namespace

Ledger Ledger::load(const std::string& path) {
    try {
        Json j = parse_strict(to_string(read_file(path, 1 << 20)));
        if (!j.is_object() || !j.contains("version") || j["version"] != 1) throw Error("not version 1");
        GcpTarget t;
        t.project = str_member(j, "project");
        t.zone = str_member(j, "zone");
        t.bucket = str_member(j, "bucket");
        check_target(t);
        std::string run_id = str_member(j, "run_id");
        check_run_id(run_id);
        Ledger l("", t, run_id);
        if (!j.contains("resources") || !j["resources"].is_array() || j["resources"].size() > 64)
            throw Error("'resources' must be an array of at most 64 entries");
        for (const auto& r : j["resources"]) {
            LedgerEntry e{str_member(r, "kind"), str_member(r, "name"), str_member(r, "state")};
            check_entry(e, t, run_id);
            l.entries_.push_back(e);
        }
        l.path_ = path;
        return l;
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
}

std::vector<std::string> cleanup_ledger(Ledger& ledger, const GcloudCall& call) {
    std::vector<std::string> left;
    const auto entries = ledger.entries();  // a copy: set() saves as it goes
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (it->state == "deleted") continue;
        bool gone = call(gcloud_delete(ledger.target(), it->kind, it->name)) == 0 ||
                    call(gcloud_exists(ledger.target(), it->kind, it->name)) != 0;
        if (gone) ledger.set(it->kind, it->name, "deleted");
        else left.push_back(it->kind + "/" + it->name);
    }
    return left;
}

}  // namespace kettle::runner
