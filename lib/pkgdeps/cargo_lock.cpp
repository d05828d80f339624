// Cargo.lock reader (kettle/pkgdeps/cargo.hpp): the lines cargo writes, nothing more.
#include <algorithm>
#include <set>

#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"
#include "kettle/pkgdeps/cargo.hpp"

namespace kettle::pkgdeps {

namespace {

constexpr std::string_view kCratesIo = "registry+https://github.com/rust-lang/crates.io-index";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool plain(std::string_view s) {
    if (s.empty() || s.size() > 256) return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '/') return false;
    return true;
}

struct Raw {
    std::string name, version, source, checksum;
    std::size_t line = 0;
};

LockedPackage finish(const Raw& r) {
    auto bad = [&](const std::string& why) {
        return Error("Cargo.lock: package at line " + std::to_string(r.line) + " (" + printable(r.name, 100) + "): " + why);
    };
    if (!plain(r.name) || !plain(r.version)) throw bad("name or version missing or not plain text");
    if (r.source.rfind("git+", 0) == 0) throw bad("git dependencies are not supported (only crates.io packages pinned by checksum)");
    if (r.source != kCratesIo) throw bad("source " + quote_text(r.source) + " is not the crates.io registry");
    if (r.checksum.size() != 64 || r.checksum.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw bad("checksum missing or not 64 lower-case hex digits");
    LockedPackage p;
    p.name = r.name;
    p.version = r.version;
    p.alg = "sha256";
    p.digest = unhex(r.checksum);
    p.resolved = "https://static.crates.io/crates/" + r.name + "/" + r.name + "-" + r.version + ".crate";
    return p;
}

}  // namespace

std::vector<LockedPackage> parse_cargo_lock(std::string_view text, const DepsLimits& limits) {
    if (text.size() > limits.max_lockfile_bytes) throw Error("Cargo.lock: larger than the limit");
    std::vector<Raw> raws;
    bool in_array = false, versioned = false;
    std::size_t pos = 0, n = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++n;
        if (in_array) {
            in_array = line != "]";
            continue;
        }
        if (line.empty() || line[0] == '#') continue;
        if (line == "[[package]]") {
            if (raws.size() >= limits.max_packages) throw Error("Cargo.lock: more than the limit of " + std::to_string(limits.max_packages) + " packages");
            raws.push_back({});
            raws.back().line = n;
            continue;
        }
        if (line[0] == '[') throw Error("Cargo.lock: line " + std::to_string(n) + ": unexpected table " + quote_text(line));
        auto eq = line.find(" = ");
        if (eq == std::string_view::npos) throw Error("Cargo.lock: line " + std::to_string(n) + ": not key = value");
        std::string_view key = line.substr(0, eq), val = line.substr(eq + 3);
        if (key == "dependencies") {
            in_array = val == "[";
            if (!in_array && (val.empty() || val.front() != '[' || val.back() != ']'))
                throw Error("Cargo.lock: line " + std::to_string(n) + ": bad dependencies array");
            continue;
        }
        if (key == "version" && raws.empty()) {
            if (val != "3" && val != "4") throw Error("Cargo.lock: lockfile version " + quote_text(val) + " is not 3 or 4");
            versioned = true;
            continue;
        }
        if (raws.empty() || val.size() < 2 || val.front() != '"' || val.back() != '"' ||
            val.substr(1, val.size() - 2).find_first_of("\"\\") != std::string_view::npos)
            throw Error("Cargo.lock: line " + std::to_string(n) + ": not a package's key = \"string\"");
        std::string v(val.substr(1, val.size() - 2));
        Raw& r = raws.back();
        std::string* slot = key == "name" ? &r.name : key == "version" ? &r.version : key == "source" ? &r.source
                          : key == "checksum" ? &r.checksum : nullptr;
        if (!slot) throw Error("Cargo.lock: line " + std::to_string(n) + ": unknown key " + quote_text(key));
        if (!slot->empty()) throw Error("Cargo.lock: line " + std::to_string(n) + ": " + std::string(key) + " given twice");
        *slot = std::move(v);
    }
    if (!versioned) throw Error("Cargo.lock: no \"version = 3\" or 4 line (older lockfiles keep checksums elsewhere)");
    std::vector<LockedPackage> out;
    std::set<std::string> seen;
    for (const auto& r : raws) {
        if (r.source.empty() && r.checksum.empty()) continue;  // a workspace member
        LockedPackage p = finish(r);
        if (!seen.insert(p.name + "@" + p.version).second)
            throw Error("Cargo.lock: " + p.name + "@" + p.version + " listed twice");
        out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.name != b.name ? a.name < b.name : a.version < b.version;
    });
    return out;
}

}  // namespace kettle::pkgdeps
