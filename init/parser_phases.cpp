// The ingest and checkout phases of PID 1 around their parser children: the directories each child may write, the
// limits sized from the memory and inodes actually available, the ownership handed back afterwards, and the
// "parser" record of status.json (docs/formats.md §7 and §1.7).
#include "parser_phases.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail.hpp"
#include "kettle/attest/attest.hpp"
#include "kettle/core/error.hpp"

namespace kettle::init {

namespace {

/// Memory PID 1 keeps for itself when it sizes a parser child and the tmpfs mounts (status, build log, output
/// writer, attestation).
constexpr std::uint64_t kPid1Reserve = std::uint64_t{64} << 20;
constexpr std::uint64_t kMinChildMemory = std::uint64_t{32} << 20;

Json report_json(const ParserReport& r, const ParserJail& j) {
    Json probes = Json::array();
    for (const auto& p : r.probes) probes.push_back(Json{{"path", p.path}, {"child", p.child}, {"pid1_opened", p.pid1_opened}});
    return Json{{"uid", j.uid}, {"memory_max", r.memory_max}, {"milliseconds", r.milliseconds}, {"probes", probes}};
}

void chown_or_throw(const char* path, uid_t uid, gid_t gid) {
    if (::chown(path, uid, gid) != 0) throw Error(std::string("chown ") + path + ": " + std::strerror(errno));
}

/// What the ingest child left in `dest` must be exactly the directories PID 1 and the sandbox later use (rootfs/
/// only when the toolchain came as a tarball), none
/// of them a symbolic link: the child (which PID 1 does not trust) must not be able to point a later bind mount of
/// PID 1 (the checkout child's source.git, the build's rootfs and /inputs) somewhere else.
void check_ingest_tree(const std::string& dest, bool with_rootfs) {
    DIR* d = ::opendir(dest.c_str());
    if (!d) throw Error("ingest: cannot list " + dest + ": " + std::strerror(errno));
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d))
        if (std::strcmp(de->d_name, ".") && std::strcmp(de->d_name, "..")) names.emplace_back(de->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    // A request with a toolchain image (docs/formats.md §5) has no toolchain member, so no rootfs/.
    const std::vector<std::string> want = with_rootfs
                                              ? std::vector<std::string>{"deps", "files", "rootfs", "source.git"}
                                              : std::vector<std::string>{"deps", "files", "source.git"};
    if (names != want)
        throw Error("ingest: the ingest child left something other than deps/, files/, " +
                    std::string(with_rootfs ? "rootfs/ " : "") + "and source.git/ in " + dest);
    for (const auto& n : names) {
        struct stat st {};
        if (::lstat((dest + "/" + n).c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            throw Error("ingest: " + dest + "/" + n + " is not a directory");
    }
}

ParserJail jail(const char* name, const std::vector<std::string>& probes) {
    ParserJail j;
    j.name = name;
    j.uid = kParserUid;
    j.gid = kParserGid;
    j.memory_max = memory_for_child(kPid1Reserve, kMinChildMemory);
    j.probes = probes;
    return j;
}

}  // namespace

std::uint64_t workspace_tmpfs_bytes() { return memory_for_child(kPid1Reserve, kMinChildMemory); }

std::vector<std::string> parser_probes(const std::string& in_dev, const std::string& out_dev) {
    std::vector<std::string> p{"/sys/kernel/config", "/sys/kernel/config/tsm/report", "/dev/sev-guest",
                               "/dev/tdx_guest", out_dev, in_dev};
    std::string sim = find_virtio_port("/sys/class/virtio-ports", "/dev");
    if (!sim.empty()) p.push_back(sim);
    return p;
}

IngestResult ingest_phase(const std::string& in_dev, const std::vector<std::string>& probes,
                          const IngestProgress& progress, Json& status) {
    const std::string dest = "/work/in";
    if (::mkdir(dest.c_str(), 0700) != 0 && errno != EEXIST) throw Error("mkdir " + dest + ": " + std::strerror(errno));
    chown_or_throw(dest.c_str(), kParserUid, kParserGid);
    ParserJail j = jail("ingest", probes);
    j.paths = {{dest, true}};
    IngestLimits limits = ingest_limits_for(j, dest);
    ParserReport report;
    struct Record {
        Json& status;
        ParserReport& r;
        ParserJail& j;
        IngestLimits& l;
        ~Record() {
            status["parser"]["ingest"] = report_json(r, j);
            status["parser"]["ingest"]["max_total_bytes"] = l.max_total_bytes;
            status["parser"]["ingest"]["max_entries"] = l.max_entries;
        }
    } rec{status, report, j, limits};
    IngestResult res = ingest_in_child(in_dev, dest, limits, j, progress, &report);
    check_ingest_tree(dest, !res.request.toolchain_image);
    chown_tree(dest, 0, 0);  // extracted files are owned by root (docs/formats.md 1.1), as if PID 1 had written them
    return res;
}

CheckoutResult checkout_phase(const std::string& ref, const std::vector<std::string>& probes, Json& status) {
    // /src gets half of what is available now, so a build that fills it meets ENOSPC before its memory.max.
    std::uint64_t avail = memory_for_child(kPid1Reserve, kMinChildMemory);
    std::string opts = "mode=0755,size=" + std::to_string(avail / 2);
    if (::mount(nullptr, "/src", nullptr, MS_REMOUNT | MS_NOSUID | MS_NODEV, opts.c_str()) != 0)
        throw Error(std::string("checkout: cannot size /src: ") + std::strerror(errno));
    chown_or_throw("/src", kParserUid, kParserGid);
    ParserJail j = jail("checkout", probes);
    j.paths = {{"/work/in/source.git", false}, {"/src", true}};
    ParserReport report;
    struct Record {
        Json& status;
        ParserReport& r;
        ParserJail& j;
        ~Record() { status["parser"]["checkout"] = report_json(r, j); }
    } rec{status, report, j};
    return checkout_in_child("/work/in/source.git", ref, "/src", j, &report);
}

}  // namespace kettle::init
