// The rows of the bundle verifier's tables (private to lib/verify/; the tables are in bundle.cpp, the checks in
// docs/verify.md "The checks, in order"). Every row is a function over one Context: it returns the detail of a
// passing check or throws Error("<check name>: ...").
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kettle/boot/eventlog.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/json.hpp"
#include "kettle/snp/checks.hpp"
#include "kettle/tdx/checks.hpp"
#include "kettle/verify/bundle.hpp"

namespace kettle::bundle {

/// What the rows of one verify_bundle call share: the inputs, what the evidence row read, the platform
/// verifier's own context, and the summary being filled.
struct Context {
    Context(const std::string& bundle_dir, const Options& options, Summary& out)
        : dir(bundle_dir), opts(options), summary(out) {}

    std::string dir;            ///< the bundle directory
    const Options& opts;
    Summary& summary;           ///< platform, simulated, measurement, tcb_status, builder_id, build_type, subjects
    // Read by the evidence row (bounded, decoded, not yet trusted).
    Bytes report;               ///< the SNP ATTESTATION_REPORT or TDX quote
    std::optional<Bytes> vek;   ///< the VCEK/VLEK carried in evidence.json (DER)
    std::vector<Bytes> certs;   ///< the ASK/ASVK/ARK carried in evidence.json (DER)
    Bytes spki_der;             ///< the DSSE key, SubjectPublicKeyInfo DER from signing_key
    Bytes payload;              ///< the statement bytes S exactly as received in the envelope
    Bytes sig_der;              ///< the envelope's one signature (DER ECDSA-Sig-Value)
    std::string keyid;          ///< its keyid, "" when absent
    std::string evidence_text;  ///< evidence.json as read (the boot rows parse its boot members)
    // Filled by the platform's rows.
    snp::VerifyContext snp;     ///< the SNP rows' context (prepare_snp)
    tdx::VerifyContext tdx;     ///< the TDX rows' context (prepare_tdx)
    tdx::Collateral collateral; ///< what tdx.collateral points to, when there is collateral
    Bytes report_data;          ///< REPORT_DATA (SNP) or REPORTDATA (TDX), 64 bytes, once the report is parsed
    std::optional<boot::EventLog> boot_log;  ///< the event log the event-log row replayed (disk boot paths)
    bool mrtd_endorsed = false; ///< gcp-tdx: the firmware row verified Google's endorsement of the quote's MRTD
    // Filled by the statement row.
    Json statement;             ///< S, parsed strictly
};

/// The SNP rows' inputs from the evidence and the options: the report, the VCEK/VLEK (evidence.json's, else
/// --vcek), the certificates offered (evidence.json's, then --chain), the policy with VMPL 0 unless it names one,
/// the product Milan for a v2 simulated report when the policy names none, and the chain options.
void prepare_snp(Context& c);
/// The TDX rows' inputs: the quote, the policy, the time, and the collateral of --collateral DIR, else of the
/// bundle's own collateral/ directory (a real directory, its files read without following links) if present.
/// Throws Error when a collateral file cannot be read.
void prepare_tdx(Context& c);

/// prepare_tdx, then for the gcp-tdx boot path the prediction's RTMR1 and RTMR2 as the expected values (when
/// Options::disk_boot is given).
void prepare_tdx_disk(Context& c);

/// SHA-256 (32 bytes) of the resolvedDependency named "input-disk" in the statement bytes `payload` (parsed
/// strictly here, before the statement row validates its structure, but only after binding and dsse-signature
/// authenticated the bytes). Throws Error("policy: ...") when there is not exactly one such dependency with a sha256.
Bytes input_disk_digest(const Bytes& payload);

namespace rows {

/// "evidence": evidence.json (at most 4 MiB, strict JSON) has schema kettle-evidence/v1, a platform snp, sim-snp or
/// tdx (`none` fails: nothing vouches for it), layout kettle-binding/v1 (docs/evidence.md), a report (SNP: exactly
/// 1184 bytes, ABI 56860 Table 23), at most 16 certificates of known types, at most one VCEK/VLEK, exactly one
/// PUBLIC KEY PEM; provenance.intoto.jsonl (at most 16 MiB) is one line holding one DSSE v1 envelope with
/// payloadType application/vnd.in-toto+json and exactly one signature. Neither file is read through a link.
std::string evidence(Context& c);

/// SNP "report-format": the report parses (snp::rows::evidence) and passes snp::rows::report_format (ABI 56860
/// Table 23). Records REPORT_DATA for the binding row.
std::string snp_report_format(Context& c);
/// SNP "chain": snp::rows::chain (VCEK spec 57230); a FAIL on platform sim-snp without --allow-sim says so. A chain
/// that is simulated on platform snp, or AMD's on platform sim-snp, fails here.
std::string snp_chain(Context& c);
/// SNP "report-signature": snp::rows::report_signature (ABI 56860 Table 23, ECDSA P-384/SHA-384). Once the report
/// is authentic the summary records its MEASUREMENT and whether the chain was the simulated AMD-SP.
std::string snp_report_signature(Context& c);
/// SNP "policy" (after binding and dsse-signature): an expected MEASUREMENT must be given; HOST_DATA must be the input-disk digest of the statement;
/// then snp::rows::policy (MEASUREMENT, TCB minimums, DEBUG, MIGRATE_MA, SMT, VMPL; ABI 56860 Tables 9 and 23).
std::string snp_policy(Context& c);

/// TDX "quote-format": the quote parses (tdx::rows::evidence) and passes tdx::rows::quote_format (Intel TDX DCAP
/// Quote Format, Appendix A). Records REPORTDATA for the binding row.
std::string tdx_quote_format(Context& c);
/// TDX "tcb": tdx::rows::tcb (Intel PCS v4 TCB info). Once the quote and its TCB are accepted the summary records
/// the TCB status and MRTD.
std::string tdx_tcb(Context& c);
/// gcp-tdx "firmware" (after tcb): the quote's MRTD is Google's firmware. With Options::gcp_endorsement:
/// tdx::verify_launch_endorsement under Options::gcp_tcb_root (else the endorsement's ca_bundle) at Options::now,
/// then tdx::check_root_pin:
/// the root's SHA-256 must be the policy's gcp_tcb_root_sha256 when given, else Google's GCE-cc-tcb-root_1
/// (tdx::kGceTcbRoot1Sha256, built in); the detail names the UEFI digest, the endorsement's time and SVN, the root's
/// fingerprint, the pin that matched and the instant the certificates were checked at. Without an endorsement the
/// policy's "mrtd" list must be given (policy checks it) and the policy must not pin a root (gcp_tcb_root_sha256);
/// otherwise: FAIL.
std::string tdx_firmware(Context& c);
/// TDX "policy" (after binding and dsse-signature): expected MRTD (unless firmware verified an endorsement), RTMR1
/// and RTMR2 must be given; tdx::check_td_attributes; MRTD and RTMR0-3 allowed; the statement names exactly one
/// input disk; MRCONFIGID (TD report body offset 0xB8, 48 bytes; Appendix A): on the gcp-tdx boot path all zero (GCP
/// cannot set it; the input disk is bound by the attested guest's digest in the statement), on every other path
/// [0:32] = the input-disk digest of the statement and [32:48] zero.
std::string tdx_policy(Context& c);

/// "event-log" (disk boot paths, after the report or quote is authentic; docs/verify.md "Measured boot").
/// gcp-tdx: evidence.json carries exactly one untruncated "ccel" log; its CCEL table (when given) has CC type 2
/// (TDX); the log parses (boot::parse_tcg2_log) with only padding (all 0xFF or all 0x00) after its last record; its
/// replay (tdx::check_ccel_replay, CC MR index 0 counted as RTMR0) equals the quote's RTMR0..3. vTPM paths: exactly
/// one untruncated "tpm" log, whose replay in its check bank equals the guest_registers.tpm_pcrs the guest read
/// (PCRs 4, 5, 9, 11, 12, 13 required) — values nothing signs, which the tpm-quote row says.
std::string event_log(Context& c);
/// "boot-image": the records that extend the registers covering the image are exactly the events
/// boot::predict_disk_boot predicts for Options::disk_boot (gcp-tdx: RTMR1, RTMR2; vTPM: PCRs 4, 5, 9, 11, 12, 13),
/// in order, nothing else; gcp-tdx also requires the quote's RTMR0 in the policy's rtmr0 allow-list.
std::string boot_image(Context& c);
/// "tpm-quote" (vTPM paths): always a FAIL in this version: evidence.json has no TPM quote or AK certificate, so
/// the PCRs cannot be authenticated (docs/verify.md says what full verification would need).
std::string tpm_quote(Context& c);
/// "boot-path": a FAIL for a boot path that does not fit the evidence's platform (gcp-tdx needs TDX evidence; the
/// vTPM paths SEV-SNP evidence).
std::string boot_path_mismatch(Context& c);

/// "binding": all 64 bytes of REPORT_DATA equal SHA-256(S as received) || SHA-256(SPKI DER) (kettle-binding/v1,
/// docs/evidence.md); nothing is stripped or re-serialized.
std::string binding(Context& c);
/// "dsse-signature": keyid (if given) = hex SHA-256(SPKI); the DER ECDSA P-256/SHA-256 signature over
/// PAE("application/vnd.in-toto+json", S) (DSSE v1 PAE) verifies under the bound key.
std::string dsse_signature(Context& c);
/// "statement": S is strict JSON already in RFC 8785 (JCS) form; an in-toto Statement v1 (unique named subjects
/// with sha256, DigestSet values of known algorithms as lowercase hex of the right length) with predicateType
/// SLSA provenance v1, Kettle's buildType (or the policy's), non-empty externalParameters, builder.id of the
/// evidence platform (and the policy's), and the policy's source URI and commit among resolvedDependencies.
/// Records subjects, buildType and builder.id in the summary.
std::string statement(Context& c);
/// "artifacts": every subject is a regular file under artifacts/ (no link on the way, no "..", no absolute path)
/// with its sha256; no other file is under artifacts/; every runDetails.byproducts entry (the build log) is a
/// plain file at the bundle's top level with its sha256 (SLSA provenance v1 byproducts).
std::string artifacts(Context& c);
/// "nonce": with a nonce requested, externalParameters.nonce is the same string, or both are hex of the same bytes;
/// with Options::no_nonce it passes as "skipped"; with neither, a statement carrying a non-empty nonce FAILs (the
/// caller must choose). Sets Summary::nonce.
std::string nonce(Context& c);

}  // namespace rows

}  // namespace kettle::bundle
