// The parser child (docs/formats.md §7): libarchive, zstd and libgit2 read host bytes in a confined child process,
// never in PID 1, the only process that may ask for a report. PID 1 reads and hashes the raw input device itself,
// streams those very bytes to the ingest child through a pipe, and receives from each child only a bounded reply
// (kettle/disk/parser_reply.hpp). A crash, an out-of-memory kill, a hang or a malformed reply of the child becomes
// an Error naming the phase; PID 1 then writes it as status.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "guest.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/disk/parser_reply.hpp"

namespace kettle::init {

/// How a parser child is confined. With `confine` (PID 1 always sets it) the child: joins its own cgroup
/// kettle-<name> (memory.max = memory_max, swap 0, oom.group, pids.max 16); gets new mount, IPC, UTS and network
/// namespaces; sees only `paths` (bind mounts on an otherwise empty read-only tmpfs root, nosuid, nodev, noexec);
/// keeps no file descriptor but the stream (fd 0) and the reply pipe (fd 1); runs with RLIMIT_NOFILE 1024,
/// RLIMIT_NPROC 16, no core dumps; and drops to `uid`/`gid` with no capabilities and no_new_privs.
struct ParserJail {
    std::string name;                ///< "ingest" or "checkout": names the cgroup and prefixes supervision errors
    uid_t uid = 900;
    gid_t gid = 900;
    std::uint64_t memory_max = 0;    ///< bytes: the child's heap and the tmpfs pages it writes
    unsigned timeout_seconds = 300;  ///< longest run (for ingest: counted from the last byte it was given)
    unsigned stall_seconds = 120;    ///< ingest: longest time the child may leave the stream unread
    struct Path {
        std::string path;  ///< absolute; visible at the same path inside
        bool writable;
    };
    std::vector<Path> paths;
    /// Paths the child tries to open (read and write) right after confinement; any success fails the phase.
    /// The outcomes are returned in ParserReport::probes.
    std::vector<std::string> probes;
    bool confine = true;  ///< false only in host unit tests and benchmarks (plain fork, no cgroup, same uid)
};

/// What PID 1 learnt about one child run, for status.json ("parser").
struct ParserReport {
    std::uint64_t memory_max = 0;
    std::uint64_t milliseconds = 0;
    /// (path, outcome): the child's "blocked: <reason>" or "OPENED", and whether PID 1 itself could open the path.
    struct Probe {
        std::string path, child;
        bool pid1_opened = false;
    };
    std::vector<Probe> probes;
};

/// Ingest in a child: PID 1 reads `device` front to back, hashes every byte (the input-disk digest: HOST_DATA /
/// MRCONFIGID), and writes the same bytes into a pipe from which the child runs ingest_stream into `dest`.
/// Returns the child's result with device_size and device_sha256 from PID 1. `progress` is called by PID 1 as
/// bytes are fed. Throws Error: "input: ..." (the child's refusal), "ingest: ..." (crash, out of memory, timeout,
/// stall, malformed reply, device read error).
IngestResult ingest_in_child(const std::string& device, const std::string& dest, const IngestLimits& limits,
                             const ParserJail& jail, const IngestProgress& progress, ParserReport* report);

/// checkout() in a child that sees only `repo_dir` (read-only) and `dest` (writable). Throws Error: "checkout: ..."
/// (the child's refusal, or a crash, out of memory, timeout or malformed reply).
CheckoutResult checkout_in_child(const std::string& repo_dir, const std::string& ref, const std::string& dest,
                                 const ParserJail& jail, ParserReport* report);

/// Run `work` (which returns an encoded reply, kettle/disk/parser_reply.hpp) in a child of `jail` with no input
/// stream, supervise it, and return the decoded reply of `kind`: the machinery of checkout_in_child. Throws
/// Error(prefix + ...) when the child crashes, runs out of memory, outlives jail.timeout_seconds, exits non-zero
/// or replies something malformed; an error reply is returned (ok false), not thrown.
ParserReply run_parser_child(const ParserJail& jail, ReplyKind kind, const std::string& prefix,
                             const std::function<std::string()>& work, ParserReport* report = nullptr);
/// run_parser_child whose `work` gets the child's probe lines ("<path>\t<outcome>"), to put into its reply.
ParserReply run_parser_child_probed(const ParserJail& jail, ReplyKind kind, const std::string& prefix,
                                    const std::function<std::string(const std::vector<std::string>& probes)>& work,
                                    ParserReport* report = nullptr);

/// The ingest limits for a child of `jail`: the ceilings of IngestLimits, with max_total_bytes lowered to
/// jail.memory_max minus the child's working memory (kParserHeapAllowance) and max_entries to the free inodes of the
/// file system holding `dest` (statvfs f_favail) minus a margin of 64.
IngestLimits ingest_limits_for(const ParserJail& jail, const std::string& dest);
/// Memory a parser child keeps for itself beside what it extracts (libarchive and zstd buffers, hashing slots).
inline constexpr std::uint64_t kParserHeapAllowance = std::uint64_t{48} << 20;

}  // namespace kettle::init
