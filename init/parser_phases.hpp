// PID 1's ingest and checkout phases, each run in a parser child (parser_child.hpp, docs/formats.md §7).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "guest.hpp"
#include "kettle/core/json.hpp"
#include "kettle/disk/format.hpp"
#include "parser_child.hpp"

namespace kettle::init {

inline constexpr uid_t kParserUid = 900;  ///< uid and gid of the ingest and checkout children
inline constexpr gid_t kParserGid = 900;

/// Size in bytes for the /work tmpfs at boot: MemAvailable minus PID 1's reserve (64 MiB).
std::uint64_t workspace_tmpfs_bytes();

/// The paths every parser child must fail to open: configfs and its TSM report directory, /dev/sev-guest,
/// /dev/tdx_guest, the output and input disks, and the simulated AMD-SP's virtio port when there is one.
std::vector<std::string> parser_probes(const std::string& in_dev, const std::string& out_dev);

/// Ingest `in_dev` into /work/in through the ingest child (uid 900, memory.max = MemAvailable − 64 MiB, the
/// extraction budget and entry limit from ingest_limits_for), then chown /work/in to root. Sets
/// status["parser"]["ingest"] whatever happens. Throws Error ("input: ..." or "ingest: ...").
IngestResult ingest_phase(const std::string& in_dev, const std::vector<std::string>& probes,
                          const IngestProgress& progress, Json& status);

/// Resize /src to half of MemAvailable − 64 MiB, then check out `ref` from /work/in/source.git into /src through
/// the checkout child (which sees only those two). Sets status["parser"]["checkout"]. Throws Error("checkout: ...").
CheckoutResult checkout_phase(const std::string& ref, const std::vector<std::string>& probes, Json& status);

}  // namespace kettle::init
