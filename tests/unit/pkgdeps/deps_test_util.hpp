// Shared by the npm and cargo dependency tests (npm.cpp, cargo.cpp): file helpers, the checkout-and-package-files
// fixture both run the guest's check over, and the hostile archive entries that every package archive must refuse
// (lib/pkgdeps/package_tar.hpp extracts both ecosystems' archives).
#pragma once
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "guest_test_util.hpp"
#include "kettle/core/error.hpp"
#include "kettle/pkgdeps/package.hpp"

namespace kettle::test::deps {

inline std::string slurp(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

inline void spit(const std::string& p, const std::string& data) {
    std::ofstream f(p, std::ios::binary);
    f << data;
}

/// `s` with the first `from` replaced by `to`; fails the test when `from` is not there.
inline std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

/// The message of the Error that pkgdeps::verify_and_lay_out(ecosystem, src, pkgs, limits) throws; "" when it
/// passes.
inline std::string lay_out_error(const std::string& ecosystem, const std::string& src, const std::string& pkgs,
                                 const pkgdeps::DepsLimits& limits = {}) {
    try {
        pkgdeps::verify_and_lay_out(ecosystem, src, pkgs, limits);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

/// A temporary checkout (src/) and host package directory (pkgs/), both empty; `lockfile` names the checkout's
/// lockfile for lock()/set_lock().
struct DepsDirs {
    TempDir t;
    std::string ecosystem, lockfile;
    std::string src = t.path + "/src", pkgs = t.path + "/pkgs";
    DepsDirs(std::string eco, std::string lock) : ecosystem(std::move(eco)), lockfile(std::move(lock)) {
        std::filesystem::create_directories(src);
        std::filesystem::create_directories(pkgs);
    }
    std::string lock() const { return slurp(src + "/" + lockfile); }
    void set_lock(const std::string& s) const { spit(src + "/" + lockfile, s); }
    std::string error(const pkgdeps::DepsLimits& l = {}) const { return lay_out_error(ecosystem, src, pkgs, l); }
};

/// One package archive through the guest's check, again and again in the same directories: `run(data)` writes
/// `data` as pkgs/<member>, the lockfile `pin(data)` (which pins exactly those bytes), removes the previous layout
/// (`layout` below src/) and returns the error ("" when accepted).
struct OnePackage : DepsDirs {
    std::string member, layout;
    std::function<std::string(const std::string&)> pin;
    OnePackage(std::string eco, std::string lock, std::string member_, std::string layout_,
               std::function<std::string(const std::string&)> pin_)
        : DepsDirs(std::move(eco), std::move(lock)), member(std::move(member_)), layout(std::move(layout_)),
          pin(std::move(pin_)) {}
    std::string run(const std::string& data, const pkgdeps::DepsLimits& l = {}) const {
        spit(pkgs + "/" + member, data);
        set_lock(pin(data));
        std::filesystem::remove_all(src + "/" + layout);
        return error(l);
    }
};

/// A valid package archive with extra entries added by the callback.
using PackWith = std::function<std::string(const std::function<void(TarBuilder&)>&)>;

/// The hostile entries every package archive must refuse, each added to an otherwise valid archive made by `pack`
/// whose top directory is `top` and whose manifest (a file `pack` writes) is `manifest`: traversal, an absolute
/// path, a symbolic and a hard link, a device, the manifest twice; and a bomb past max_extracted_bytes.
inline void check_hostile_entries(const OnePackage& p, const PackWith& pack, const std::string& top,
                                  const std::string& manifest) {
    using Catch::Matchers::ContainsSubstring;
    CHECK(p.run(pack({})).empty());
    CHECK_THAT(p.run(pack([&](TarBuilder& b) { b.file(top + "/../../escape", "x"); })), ContainsSubstring("\"..\" in path"));
    CHECK_THAT(p.run(pack([](TarBuilder& b) { b.file("/etc/passwd", "x"); })), ContainsSubstring("absolute path"));
    CHECK_THAT(p.run(pack([&](TarBuilder& b) { b.symlink(top + "/l", "/etc"); })),
               ContainsSubstring("links are not allowed"));
    CHECK_THAT(p.run(pack([&](TarBuilder& b) { b.hardlink(top + "/h", top + "/" + manifest); })),
               ContainsSubstring("links are not allowed"));
    CHECK_THAT(p.run(pack([&](TarBuilder& b) { b.node(top + "/null", AE_IFCHR); })),
               ContainsSubstring("neither a regular file nor a directory"));
    CHECK_THAT(p.run(pack([&](TarBuilder& b) { b.file(top + "/" + manifest, "x"); })), ContainsSubstring("appears twice"));
    pkgdeps::DepsLimits l;
    l.max_extracted_bytes = 1000;
    CHECK_THAT(p.run(pack([&](TarBuilder& b) { b.file(top + "/big", std::string(5000, 'a')); }), l),
               ContainsSubstring("more than 1000 bytes"));
}

}  // namespace kettle::test::deps
