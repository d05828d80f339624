// The deps phase of PID 1 around its parser child (deps_phase.hpp).
#include "deps_phase.hpp"

#include "jail.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/pkgdeps/debian.hpp"
#include "kettle/pkgdeps/package.hpp"
#include "parser_child.hpp"
#include "parser_phases.hpp"

namespace kettle::init {

namespace {

constexpr std::uint64_t kPid1Reserve = std::uint64_t{64} << 20;
constexpr std::uint64_t kMinChildMemory = std::uint64_t{32} << 20;
/// The recipe `kettle run` puts on the input disk beside a `kettle toolchain debian` toolchain (extra input).
constexpr const char* kDebianRecipe = "/work/in/files/toolchain.recipe.json";

/// The child's work: every ecosystem checked and laid out, the result encoded as a deps reply.
std::string check_all(const std::vector<std::string>& ecosystems, const std::string& toolchain_root,
                      const std::vector<std::string>& probes) {
    std::vector<DepLockfile> locks;
    std::vector<DepPackage> pkgs;
    for (const auto& eco : ecosystems) {
        // debian: the toolchain's own packages, the host's recipe checked against its dpkg database.
        pkgdeps::VerifiedSet v = eco == "debian"
                                     ? pkgdeps::verify_debian(kDebianRecipe, toolchain_root)
                                     : pkgdeps::verify_and_lay_out(eco, "/src", "/work/in/deps/" + eco);
        locks.push_back({v.ecosystem, v.lockfile, v.lockfile_sha256, v.files, v.bytes});
        for (auto& p : v.packages) pkgs.push_back({p.purl, p.alg, p.hex});
        if (pkgs.size() > kDepPackagesMax)
            throw Error("deps: more than " + std::to_string(kDepPackagesMax) + " packages in all (a dependency set "
                        "this large is refused)");
    }
    return encode_deps_reply(locks, pkgs, probes);
}

Json report_json(const ParserReport& r, const ParserJail& j) {
    Json probes = Json::array();
    for (const auto& p : r.probes) probes.push_back(Json{{"path", p.path}, {"child", p.child}, {"pid1_opened", p.pid1_opened}});
    return Json{{"uid", j.uid}, {"memory_max", r.memory_max}, {"milliseconds", r.milliseconds}, {"probes", probes}};
}

}  // namespace

DepsResult deps_phase(const std::vector<std::string>& ecosystems, const std::string& toolchain_root,
                      const std::vector<std::string>& probes, Json& status) {
    ParserJail j;
    j.name = "deps";
    j.uid = kParserUid;
    j.gid = kParserGid;
    j.memory_max = memory_for_child(kPid1Reserve, kMinChildMemory);
    j.timeout_seconds = 1800;  // tens of thousands of files under TCG
    j.probes = probes;
    bool debian = false, packages = false;
    for (const auto& e : ecosystems) (e == "debian" ? debian : packages) = true;
    if (packages) j.paths.push_back({"/work/in/deps", false});
    if (debian) j.paths.push_back({"/work/in/files", false}), j.paths.push_back({toolchain_root, false});
    j.paths.push_back({"/src", true});
    ParserReport report;
    ParserReply r;
    try {
        r = run_parser_child_probed(
            j, ReplyKind::deps, "deps: ",
            [&](const std::vector<std::string>& lines) { return check_all(ecosystems, toolchain_root, lines); }, &report);
    } catch (...) {
        status["parser"]["deps"] = report_json(report, j);
        throw;
    }
    status["parser"]["deps"] = report_json(report, j);
    if (!r.ok) throw Error(r.error);
    Json locks = Json::array();
    for (const auto& l : r.lockfiles)
        locks.push_back(Json{{"ecosystem", l.ecosystem}, {"path", l.path}, {"sha256", hex(l.sha256)},
                             {"files", l.files}, {"bytes", l.bytes}});
    status["dependencies"] = Json{{"lockfiles", locks}, {"packages", r.packages.size()}};
    return {std::move(r.lockfiles), std::move(r.packages)};
}

}  // namespace kettle::init
