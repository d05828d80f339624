// Offline verification of a Kettle build bundle (see kettle/verify/bundle.hpp): the tables of checks.
//
// verify_bundle runs the evidence row, which names the platform; the platform's entry then prepares the platform
// verifier's inputs and gives its table of the remaining checks. Every row is a function over one Context
// (rows.hpp), defined next to what it checks: evidence.cpp, platform_snp.cpp, platform_tdx.cpp, binding.cpp,
// statement.cpp, artifacts.cpp; the SNP and TDX rows reuse the platform verifiers' own row functions
// (lib/snp/checks.cpp, lib/tdx/checks.cpp); the measured-boot rows of disk boot paths are in boot_chain.cpp. The
// tables are built from groups of rows that several of them share (table_of). To add a check: write its function,
// add one line to the group (or table) that needs it, and list it in docs/verify.md.
#include "kettle/verify/bundle.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <span>

#include "kettle/core/error.hpp"
#include "rows.hpp"

namespace fs = std::filesystem;

namespace kettle::bundle {

namespace {

// A row that is exactly one row of the SNP (TDX) verifier, run on the bundle's SNP (TDX) context.
template <std::string (*Row)(snp::VerifyContext&)>
std::string snp_row(Context& c) {
    return Row(c.snp);
}
template <std::string (*Row)(tdx::VerifyContext&)>
std::string tdx_row(Context& c) {
    return Row(c.tdx);
}

// Each table below is built from groups of rows that several tables share, so that a shared row is written once and
// stands in the same place relative to its group in every table (docs/verify.md gives the order; --json keeps it).
using BundleRow = CheckRow<Context>;

// One table: the rows of each group, the groups in the order given (at compile time).
template <std::size_t... N>
constexpr auto table_of(const std::array<BundleRow, N>&... groups) {
    std::array<BundleRow, (N + ...)> out{};
    std::size_t at = 0;
    ((std::copy(groups.begin(), groups.end(), out.begin() + static_cast<std::ptrdiff_t>(at)), at += N), ...);
    return out;
}

// Check 1, common to every platform.
constexpr auto kEvidenceRows = std::to_array<BundleRow>({
    {"evidence", rows::evidence},
});

// Checks 2-6 of SEV-SNP evidence (platforms snp and sim-snp): the report is well-formed and AMD signed it.
constexpr auto kSnpReportRows = std::to_array<BundleRow>({
    {"report-format", rows::snp_report_format},
    {"product", snp_row<snp::rows::product>},
    {"chain", rows::snp_chain},
    {"vek-extensions", snp_row<snp::rows::vek_extensions>},
    {"report-signature", rows::snp_report_signature},
});

// Checks 2-6 of a TDX quote: well-formed, signed by a QE Intel vouches for, TCB accepted.
constexpr auto kTdxQuoteRows = std::to_array<BundleRow>({
    {"quote-format", rows::tdx_quote_format},
    {"pck-chain", tdx_row<tdx::rows::pck_chain>},
    {"qe-report", tdx_row<tdx::rows::qe_report>},
    {"quote-signature", tdx_row<tdx::rows::quote_signature>},
    {"tcb", rows::tdx_tcb},
});

// Once the report or quote is authentic, `binding` and `dsse-signature` authenticate the statement's bytes before
// any row reads a field of it (the platform's policy row reads the input-disk digest; statement, artifacts and
// nonce the rest).
constexpr auto kBindingRows = std::to_array<BundleRow>({
    {"binding", rows::binding},
    {"dsse-signature", rows::dsse_signature},
});
constexpr auto kSnpPolicyRows = std::to_array<BundleRow>({{"policy", rows::snp_policy}});
constexpr auto kTdxPolicyRows = std::to_array<BundleRow>({{"policy", rows::tdx_policy}});
constexpr auto kStatementRows = std::to_array<BundleRow>({
    {"statement", rows::statement},
    {"artifacts", rows::artifacts},
    {"nonce", rows::nonce},
});

// The measured boot of a disk boot path: the log replays to the registers and holds exactly the image's events.
constexpr auto kBootLogRows = std::to_array<BundleRow>({
    {"event-log", rows::event_log},
    {"boot-image", rows::boot_image},
});

// Checks 2-12 of SEV-SNP evidence.
constexpr auto kSnpRows = table_of(kSnpReportRows, kBindingRows, kSnpPolicyRows, kStatementRows);

// Checks 2-12 of a TDX quote.
constexpr auto kTdxRows = table_of(kTdxQuoteRows, kBindingRows, kTdxPolicyRows, kStatementRows);

// Checks 2-16 of a TDX quote of a disk-booted TD (boot path gcp-tdx): once the quote and its TCB are accepted, MRTD
// is Google's firmware (firmware: an endorsement, or the policy's list), the CCEL replays to its RTMRs (event-log)
// and RTMR1/RTMR2 hold exactly the image's events (boot-image).
constexpr auto kTdxFirmwareRows = std::to_array<BundleRow>({{"firmware", rows::tdx_firmware}});
constexpr auto kTdxDiskRows =
    table_of(kTdxQuoteRows, kTdxFirmwareRows, kBootLogRows, kBindingRows, kTdxPolicyRows, kStatementRows);

// Checks of SEV-SNP evidence of a disk boot with a vTPM (boot paths azure, gcp-snp, aws-snp): the report
// authenticates the firmware only; the TPM log is replayed and held to the image, and tpm-quote fails closed.
constexpr auto kTpmQuoteRows = std::to_array<BundleRow>({{"tpm-quote", rows::tpm_quote}});
constexpr auto kSnpVtpmRows = table_of(kSnpReportRows, kBootLogRows, kTpmQuoteRows);

constexpr auto kBootPathMismatchRows = std::to_array<BundleRow>({
    {"boot-path", rows::boot_path_mismatch},
});

// An evidence.json "platform" (accepted by the evidence row), how its verifier's inputs are prepared, its table.
struct Platform {
    const char* name;
    void (*prepare)(Context&);
    std::span<const CheckRow<Context>> rows;
};

const Platform kPlatforms[] = {
    {"snp", prepare_snp, kSnpRows},
    {"sim-snp", prepare_snp, kSnpRows},
    {"tdx", prepare_tdx, kTdxRows},
};

const Platform kDiskPlatforms[] = {
    {"snp", prepare_snp, kSnpVtpmRows},
    {"sim-snp", prepare_snp, kSnpVtpmRows},
    {"tdx", prepare_tdx_disk, kTdxDiskRows},
};

void prepare_nothing(Context&) {}
const Platform kMismatch = {"", prepare_nothing, kBootPathMismatchRows};

// The table for the evidence's platform on the boot path: direct boot has one per platform; gcp-tdx fits only TDX
// evidence, the vTPM paths only SEV-SNP evidence.
const Platform& platform_named(const std::string& name, BootPath path) {
    const bool tdx = name == "tdx";
    if (path != BootPath::direct && tdx != (path == BootPath::gcp_tdx)) return kMismatch;
    for (const Platform& p : path == BootPath::direct ? std::span<const Platform>(kPlatforms) : kDiskPlatforms)
        if (name == p.name) return p;
    throw Error("evidence: no table of checks for platform '" + name + "'");  // the evidence row admits none such
}

}  // namespace

Summary verify_bundle(const std::string& dir, const Options& opts) {
    Summary s;
    if (!fs::is_directory(dir)) throw Error("bundle '" + dir + "': not a directory");
    Context c(dir, opts, s);
    s.boot_path = boot_path_name(opts.boot_path);
    s.image_vouched_by = image_vouched_by(opts.boot_path);
    if (!run_checks(kEvidenceRows, c, s.checks)) return s;
    const Platform& platform = platform_named(s.platform, opts.boot_path);
    platform.prepare(c);
    s.ok = run_checks(platform.rows, c, s.checks);
    return s;
}

}  // namespace kettle::bundle
