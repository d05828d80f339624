// Hook for the attestation step (SLSA statement, DSSE envelope, report request). PID 1 calls it once, after every
// process of the build is dead and the artifacts are collected and hashed, before status.json is written.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kettle/disk/artifacts.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/disk/parser_reply.hpp"
#include "kettle/core/json.hpp"
#include "kettle/provenance/evidence.hpp"

namespace kettle::init {

/// Everything PID 1 measured about this build. Digests were computed inside the guest.
struct BuildRecord {
    const IngestResult* inputs = nullptr;  ///< request, request.json / toolchain / files digests, device digest
    std::string commit_id;                 ///< hex object id of the checked-out commit
    std::string tree_id;                   ///< hex object id of its tree
    std::vector<Artifact> artifacts;       ///< sorted by name; name is relative to /src
    int exit_code = -1;                    ///< the build's exit code (0 when attestation runs on success)
    std::uint64_t vm_memory_bytes = 0;     ///< MemTotal from /proc/meminfo
    unsigned vcpus = 0;                    ///< online CPUs
    std::string kernel_cmdline;            ///< /proc/cmdline as read
    Json limits = Json::object();          ///< memory.max, pids.max, timeout (internalParameters)
    Json sandbox = Json::object();         ///< sandbox settings (internalParameters)
    std::int64_t started_unix = 0;         ///< CLOCK_REALTIME when PID 1 started (seconds)
    const std::string* build_log = nullptr;  ///< the exact build.log bytes written to the output disk
    std::vector<DepLockfile> lockfiles;    ///< the deps phase's lockfiles (empty without "dependencies")
    std::vector<DepPackage> packages;      ///< the deps phase's verified packages
    BootEvidence boot;                     ///< event logs and register values captured at boot (init/boot_log.cpp)
};

/// Produce the attestation files and add them to the output disk with `out.add_bytes(name, ...)` (top-level
/// names, for example "provenance.intoto.jsonl", "evidence.json"). May add keys to `status` (under
/// "attestation"). Throws Error on failure; PID 1 then reports phase "attest" as failed.
/// Adds provenance.intoto.jsonl and evidence.json, and status["attestation"] (attested, mode, platform,
/// backend, keyid, host_data_matches, error). A backend failure is not thrown: the statement then says mode
/// "none" and status["attestation"]["attested"] is false.
void attest_and_write(const BuildRecord& record, OutputWriter& out, Json& status);

}  // namespace kettle::init
