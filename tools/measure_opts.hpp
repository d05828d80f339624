// Option parsing and image-manifest access shared by the `kettle measure` subcommands (measure_cmd.cpp,
// measure_boot_cmd.cpp).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "commands.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"

namespace kettle::cli {

struct MeasureOpts {
    std::map<std::string, std::string> kv;
    std::set<std::string> flags;
    bool help = false;
};

/// Parse `--key value`, `--key=value` (for `valued`) and bare `flags`; `-h`/`--help` sets help. Throws Error for
/// an unknown option, a missing value or an option given twice.
MeasureOpts parse_measure_opts(const Args& a, const std::set<std::string>& valued, const std::set<std::string>& flags);

/// A decimal (or 0x-prefixed with base 0) unsigned number; Error naming `what` otherwise.
std::uint64_t parse_uint(const std::string& s, const char* what, int base = 0);

/// `j` pretty-printed (2 spaces) and a newline on stdout.
void print_json(const Json& j);

/// DIR/manifest.json (schema kettle-image-manifest/v1), parsed strictly. Throws Error.
Json read_image_manifest(const std::string& dir);

/// The SHA-256 recorded for `name` under "files" of the manifest; Error when missing.
std::string manifest_sha256(const Json& manifest, const std::string& dir, const std::string& name);

/// Read DIR/NAME whole (at most `max_bytes`) and require its SHA-256 to equal the manifest's. Throws Error
/// naming the file and both digests on a mismatch (a stale or swapped file).
Bytes read_manifest_file(const std::string& dir, const Json& manifest, const std::string& name, std::size_t max_bytes);

/// Stream DIR/NAME through SHA-256 (any size), require the manifest's digest, and return its first `head`
/// bytes (fewer when the file is shorter).
Bytes read_manifest_file_head(const std::string& dir, const Json& manifest, const std::string& name, std::size_t head);

/// `kettle measure boot` and `kettle measure event-log` (measure_boot_cmd.cpp); Error propagates to cmd_measure.
int cmd_measure_boot(const Args& args);
int cmd_measure_event_log(const Args& args);

}  // namespace kettle::cli
