// The bundle's "artifacts" row: the files under artifacts/ and the byproducts against the statement (see rows.hpp).
#include <filesystem>
#include <set>

#include "fields.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "rows.hpp"

namespace fs = std::filesystem;

namespace kettle::bundle {

namespace {

// A subject name must be a plain relative path inside artifacts/: at most 4096 bytes, no leading "/", no "\" or
// NUL, and no empty, "." or ".." component.
bool safe_relative_path(const std::string& n) {
    if (n.empty() || n.size() > 4096 || n[0] == '/' || n.find('\\') != std::string::npos ||
        n.find('\0') != std::string::npos)
        return false;
    std::size_t start = 0;
    while (true) {
        std::size_t e = n.find('/', start);
        std::string part = n.substr(start, e == std::string::npos ? std::string::npos : e - start);
        if (part.empty() || part == "." || part == "..") return false;
        if (e == std::string::npos) break;
        start = e + 1;
    }
    return true;
}

// Subject `sub` is the regular file adir/<name>, reached through no symbolic link, with the statement's sha256.
void check_subject_file(const std::string& adir, const Subject& sub) {
    if (!safe_relative_path(sub.name)) throw Error("artifacts: subject name '" + sub.name + "' is not a safe relative path");
    std::error_code ec;
    std::string p = adir + "/" + sub.name;
    // No component of the path may be a symlink.
    std::string acc = adir;
    std::size_t start = 0;
    while (true) {
        std::size_t e = sub.name.find('/', start);
        acc += "/" + sub.name.substr(start, e == std::string::npos ? std::string::npos : e - start);
        auto lst = fs::symlink_status(acc, ec);
        if (ec || fs::is_symlink(lst)) throw Error("artifacts: '" + sub.name + "' is missing or goes through a symlink");
        if (e == std::string::npos) break;
        start = e + 1;
    }
    if (!fs::is_regular_file(fs::symlink_status(p, ec))) throw Error("artifacts: '" + sub.name + "' is missing or not a regular file");
    std::string got = hex(sha256_file(p));
    if (got != sub.sha256) throw Error("artifacts: '" + sub.name + "' has sha256 " + got + ", the statement says " + sub.sha256);
}

// Everything under adir that is not a directory is a regular file listed as a subject.
void check_nothing_unlisted(const std::string& adir, const std::set<std::string>& listed) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(adir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        auto lst = it->symlink_status();
        if (fs::is_directory(lst)) continue;
        std::string rel = it->path().lexically_relative(adir).generic_string();
        if (!fs::is_regular_file(lst)) throw Error("artifacts: '" + rel + "' is not a regular file");
        if (!listed.count(rel)) throw Error("artifacts: '" + rel + "' is not listed as a subject");
    }
    if (ec) throw Error("artifacts: cannot list " + adir + ": " + ec.message());
}

// Byproducts (the build log) are covered by the statement too: each runDetails.byproducts entry with a name and a
// sha256 is a plain file at the bundle's top level with that sha256. Returns how many were checked.
std::size_t check_byproducts(const std::string& dir, const Json& st) {
    std::size_t byproducts = 0;
    std::error_code ec;
    const Json* pred = member(st, "predicate");
    const Json* rd = pred ? member(*pred, "runDetails") : nullptr;
    const Json* bps = rd ? member(*rd, "byproducts") : nullptr;
    if (bps && bps->is_array())
        for (const Json& b : *bps) {
            const Json* n = member(b, "name");
            const Json* dg = member(b, "digest");
            const Json* h = dg ? member(*dg, "sha256") : nullptr;
            if (!n || !n->is_string() || !h || !h->is_string()) continue;
            std::string name = n->get<std::string>();
            if (!safe_relative_path(name) || name.find('/') != std::string::npos)
                throw Error("artifacts: byproduct name '" + name + "' is not a plain file name");
            std::string p = dir + "/" + name;
            if (!fs::is_regular_file(fs::symlink_status(p, ec)))
                throw Error("artifacts: byproduct '" + name + "' is missing or not a regular file");
            std::string got = hex(sha256_file(p));
            if (got != h->get<std::string>())
                throw Error("artifacts: byproduct '" + name + "' has sha256 " + got + ", the statement says " +
                            h->get<std::string>());
            ++byproducts;
        }
    return byproducts;
}

}  // namespace

namespace rows {

std::string artifacts(Context& c) {
    const std::vector<Subject>& subjects = c.summary.subjects;
    std::string adir = c.dir + "/artifacts";
    std::error_code ec;
    auto ast = fs::symlink_status(adir, ec);
    if (ec || !fs::is_directory(ast)) throw Error("artifacts: " + adir + " is not a directory");
    std::set<std::string> listed;
    for (auto& sub : subjects) {
        check_subject_file(adir, sub);
        listed.insert(sub.name);
    }
    check_nothing_unlisted(adir, listed);
    std::size_t byproducts = check_byproducts(c.dir, c.statement);
    return std::to_string(subjects.size()) + " file(s) match their subjects, none unlisted; " +
           std::to_string(byproducts) + " byproduct(s) match";
}

}  // namespace rows

}  // namespace kettle::bundle
