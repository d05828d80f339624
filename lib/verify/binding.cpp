// The bundle rows that tie the statement to the report: the REPORT_DATA binding and the DSSE signature under the
// bound key (see rows.hpp).
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/provenance/binding.hpp"
#include "kettle/provenance/dsse.hpp"
#include "rows.hpp"

namespace kettle::bundle::rows {

std::string binding(Context& c) {
    ReportData want = binding_report_data(c.payload, c.spki_der);
    if (!equal_ct(want, c.report_data))
        throw Error("binding: REPORT_DATA " + hex(c.report_data) + " != SHA-256(payload) || SHA-256(SPKI) " + hex(want));
    return "REPORT_DATA = SHA-256(statement) || SHA-256(signing key SPKI)";
}

std::string dsse_signature(Context& c) {
    std::string spki_hex = dsse_keyid(c.spki_der);
    if (!c.keyid.empty() && c.keyid != spki_hex) throw Error("dsse-signature: keyid " + c.keyid + " is not SHA-256(SPKI) " + spki_hex);
    Bytes digest = sha256(dsse_pae(kInTotoPayloadType, c.payload));
    if (!x509::ecdsa_verify_spki_der_sig(c.spki_der, digest, c.sig_der))
        throw Error("dsse-signature: ECDSA P-256 signature over PAE does not verify with the bound key");
    return std::string("ECDSA P-256 over PAE(application/vnd.in-toto+json, payload), keyid ") + spki_hex.substr(0, 16) + "...";
}

}  // namespace kettle::bundle::rows
