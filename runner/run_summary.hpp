// What `kettle run` tells the user around a run: the build timeout derived from the profile, the VM shape the
// launch measurement is computed for, and the end-of-run summary (measurement, the `kettle verify` command line,
// the guest's warnings, how much of the timeout the build used, the tail of build.log of a failed build).
#pragma once
#include <cstdio>
#include <string>

#include "kettle/core/json.hpp"
#include "qemu.hpp"
#include "run_options.hpp"

namespace kettle::runner {

/// Default build timeout (seconds) when neither --timeout nor the request gives one: 3600 under tcg (every
/// instruction is emulated; a small C project's configure and make take 5-20 minutes there), 600 otherwise.
unsigned default_build_timeout(Profile p);

/// The VM shape the launch measurement belongs to, for run.json "measured_shape" and `kettle verify`:
/// {"vcpus": N, "vcpu_type": "EPYC-v4", "qemu_cpu": <the -cpu QEMU ran with>, "note": why they differ}. Under tcg
/// and kvm QEMU runs `-cpu max`/`host`, but the simulated AMD-SP signs the SNP launch digest for kSimVcpuType
/// (as the snp profile, which runs EPYC-v4); the vCPU type changes only the VMSA, i.e. only the digest.
Json measured_shape(const RunOptions& o, const std::string& qemu_cpu);

/// `KETTLE verify OUT --image IMAGE --vcpus N --vcpu-type T (--nonce X | --no-nonce) [--allow-sim]`, each word
/// shell-quoted when needed: the command that verifies the bundle this run wrote (`kettle`: the program to name).
std::string verify_command(const RunOptions& o, const Json& shape, const std::string& kettle = "kettle");

/// The path of the running executable (/proc/self/exe), or "kettle" when it cannot be read.
std::string self_path();

/// The guest's warnings (status.json "warnings": artifact patterns that matched nothing, links skipped), one
/// "kettle run: warning: ..." line each, printable ASCII only, at most 50 lines.
void print_guest_warnings(const Json& status, std::FILE* to);

/// The end of a run that produced a bundle: the measurement (`meas` as run.json "sim_amdsp"."measurement", or
/// unavailable), the measured shape and the `kettle verify` command line (naming this executable by its path).
void print_verify_hint(const RunOptions& o, const Json& meas, const Json& shape, std::FILE* to);

/// "build used 412 s of its 3600 s timeout" from the phases in run.json ("build" to the next phase's start);
/// "" when the build phase is not there.
std::string timeout_use(const Json& run, unsigned timeout_seconds);

/// A failed build: the exit code (status.json "exit_code" when the build ran) and the last `lines` lines of
/// OUT/build.log, each made printable; nothing when build.log is absent or empty.
void print_log_tail(const std::string& out_dir, const Json& status, std::FILE* to, std::size_t lines = 20);

}  // namespace kettle::runner
