// `kettle`: the host CLI. Dispatches to the subcommands declared in commands.hpp.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "commands.hpp"
#include "kettle/core/error.hpp"
#include "kettle/version.hpp"

using namespace kettle::cli;

static const char* kUsageText =
    "usage: kettle <command> [options]\n"
    "\n"
    "Attested builds in a one-shot confidential VM (AMD SEV-SNP, Intel TDX).\n"
    "\n"
    "commands:\n"
    "  run            build a source tree inside the measured VM and collect the bundle\n"
    "  measure        recompute the SEV-SNP launch digest or the TDX MRTD/RTMRs of an image\n"
    "  verify         verify a build bundle offline (chain, signature, policy, binding, artifacts)\n"
    "  verify-report  verify a bare SNP report or TDX quote\n"
    "  inspect        print a report, quote, certificate, envelope or bundle\n"
    "  toolchain      make a reproducible toolchain rootfs (Debian)\n"
    "  cloud          Google Cloud helpers for the gcp-tdx profile: upload-image, list, cleanup\n"
    "\n"
    "options:\n"
    "  -h, --help     this text; `kettle <command> --help` for a command\n"
    "  --version      the version and the SHA-256 of the lock file it was built from\n"
    "\n"
    "exit codes: 0 ok, 1 failed (build or verification), 2 usage or input error, 3 VM or infrastructure failure\n";

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsageText, stderr);
        return kUsage;
    }
    std::string cmd = argv[1];
    Args args(argv + 2, argv + argc);
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        std::fputs(kUsageText, stdout);
        return kOk;
    }
    if (cmd == "--version" || cmd == "version") {
        std::printf("kettle %s\nlock sha256:%s\n", kettle::kVersion, kettle::kLockSha256);
        return kOk;
    }
    try {
        if (cmd == "run") return cmd_run(args);
        if (cmd == "measure") return cmd_measure(args);
        if (cmd == "verify") return cmd_verify(args);
        if (cmd == "verify-report") return cmd_verify_report(args);
        if (cmd == "inspect") return cmd_inspect(args);
        if (cmd == "toolchain") return cmd_toolchain(args);
        if (cmd == "cloud") return cmd_cloud(args);
    } catch (const kettle::Error& e) {
        std::fprintf(stderr, "kettle %s: %s\n", cmd.c_str(), e.what());
        return kUsage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kettle %s: internal error: %s\n", cmd.c_str(), e.what());
        return kInfra;
    }
    std::fprintf(stderr, "kettle: unknown command '%s'\n\n%s", cmd.c_str(), kUsageText);
    return kUsage;
}
