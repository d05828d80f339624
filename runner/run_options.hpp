// Options of `kettle run`: parsing (flags and --request FILE), validation and the --help text.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kettle/core/json.hpp"
#include "kettle/disk/verity.hpp"
#include "qemu.hpp"

namespace kettle::runner {

/// The QEMU -cpu model whose SNP launch digest the simulated AMD-SP reports (the snp profile's default).
inline constexpr const char* kSimVcpuType = "EPYC-v4";

struct RunOptions {
    bool help = false, json = false, allow_dirty = false, keep_disks = false;
    bool require_artifacts = false;  ///< a pattern that records nothing fails the build (else a warning)
    /// --input-disk: boot with this input disk exactly as given (replay, or testing the guest's defences).
    std::string input_disk;
    std::string source, rev = "HEAD", toolchain, out, image = "build/image", nonce, workdir, source_uri;
    std::vector<std::string> files, artifacts, command;
    /// --deps: ecosystems whose packages go onto the input disk ("npm"; "none" turns auto-detection off);
    /// empty: auto-detect from the lockfiles in the commit (runner/deps_fetch.hpp).
    std::vector<std::string> deps;
    std::string deps_cache;  ///< --deps-cache DIR (default $KETTLE_DEPS_CACHE, else ~/.cache/kettle-deps)
    std::map<std::string, std::string> env;
    unsigned timeout = 0;       ///< build timeout inside the VM, seconds; 0 = default_build_timeout(profile)
    unsigned vm_timeout = 0;    ///< wall-clock limit for QEMU; 0 = timeout + 600
    Profile profile = Profile::tcg;
    unsigned vcpus = 2;
    std::uint64_t memory_mib = 2048;
    std::uint64_t output_size = std::uint64_t{2} << 30;  ///< bytes
    std::string qemu = "qemu-system-x86_64", qgs, sim_chain_dir;
    /// "direct" (-kernel kettle.efi, virtio-blk disks) or "disk" (tcg/kvm: the firmware boots
    /// kettle-disk.raw, every disk on NVMe: the cloud layout, docs/formats.md §0).
    std::string boot = "direct";
    std::string tpm_socket;  ///< tcg/kvm: a TPM 2.0 emulator's control socket; the firmware becomes ovmf-tpm.fd
};

/// The firmware file in the image directory that `o` boots: ovmf-amdsev.fd (snp), ovmf-tpm.fd (with a TPM),
/// ovmf.fd (otherwise).
std::string firmware_name(const RunOptions& o);

/// Parse `kettle run` arguments. A `--request FILE` is applied first, then the flags (so flags
/// override the file). Throws Error naming the bad flag or value (exit code 2).
RunOptions parse_run_args(const std::vector<std::string>& args);
/// --source-uri / "source_uri": at most 4096 bytes of UTF-8 without control characters (it goes into the
/// statement as the host's claim of where the source can be fetched). Throws Error.
void check_source_uri(const std::string& uri);
/// Apply a JSON request object (same names as the long flags, with '_' for '-'; see --help).
void apply_request_json(RunOptions& o, const Json& j);
/// Input checks that need the file system: --source is a directory, --toolchain a rootfs tarball (*.tar,
/// *.tar.zst, *.tar.gz) or a toolchain image (toolchain_kind), every --file a regular file, the image files
/// present, --out absent or an empty directory. Throws Error.
void validate_run_options(const RunOptions& o);
/// The --source/--toolchain/--file part of validate_run_options (not used with --input-disk).
void validate_build_inputs(const RunOptions& o);
/// True when `path` ends in .tar, .tar.zst or .tar.gz: a rootfs tarball for the input disk.
bool is_tarball_name(const std::string& path);
enum class ToolchainKind { tarball, image };
/// What --toolchain names: a rootfs tarball (by its name) or else a toolchain image, whose identity is read
/// (read_toolchain_image) into `*image` when given. Throws Error("--toolchain: ...") when the file is missing or
/// neither.
ToolchainKind toolchain_kind(const std::string& path, ToolchainImageInfo* image = nullptr);
/// "2G", "512M", "512MiB", "1GiB"; a bare number means MiB. Returns bytes. Throws Error.
std::uint64_t parse_size(const std::string& s, const char* what);
const char* run_help_text();
/// The value following `flag` in argv, or "".
std::string argv_value(const std::vector<std::string>& argv, const std::string& flag);
/// 0 when status.json reports success, 1 otherwise. Success: "ok": true, or "exit_code": 0 with no
/// "ok" member, or "result" equal to "success".
int build_exit_code(const Json& status);
/// Why a build that the guest reports as successful must still not count (exit 1), or "" when nothing is wrong:
/// the guest's input-disk digest (status "inputs"."device_sha256") is absent or differs from
/// `committed_sha256_hex`, the digest the host put in HOST_DATA / MRCONFIGID and run.json; or the guest was
/// attested and saw HOST_DATA differ from what it read ("attestation"."host_data_matches" false).
std::string input_disk_problem(const Json& status, const std::string& committed_sha256_hex);

}  // namespace kettle::runner
