// Fuzz target: X.509 through Kettle's helpers over mbedTLS: load_certs (PEM blocks or one DER), Cert::parse and
// every accessor the verifiers and `kettle inspect` use, the AMD VCEK/VLEK extension decoder
// (1.3.6.1.4.1.3704.1.*, VCEK spec 57230), the Intel PCK SGX extension decoder (1.2.840.113741.1.13.1), the DER
// INTEGER/string helpers on every extension value, and a self-signature check of self-issued certificates (the
// RSASSA-PSS parameter handling of AMD's chain).
#include "fuzz.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/snp/verify.hpp"
#include "kettle/tdx/quote.hpp"

using namespace kettle;

namespace {
void exercise(const Bytes& der) {
    x509::Cert c;
    if (!fuzz::accepts([&] { c = x509::Cert::parse(der); })) return;
    KETTLE_FUZZ_CHECK(c.der() == der, "Cert::der() differs from the input");
    std::string text = c.subject() + c.issuer() + c.subject_cn() + c.issuer_cn() + c.info() + c.signature_algorithm() +
                       c.key_description();
    KETTLE_FUZZ_CHECK(c.fingerprint().size() == 32, "fingerprint size");
    (void)c.is_ca();
    (void)c.is_pss_sha384_salt48();
    fuzz::accepts([&] { x509::format_rfc3339(c.not_before()); });
    fuzz::accepts([&] { c.spki_der(); });
    for (const auto& e : c.extensions()) {
        fuzz::accepts([&] { x509::der_integer(e.value, "fuzz"); });
        fuzz::accepts([&] { x509::der_string(e.value, "fuzz"); });
        KETTLE_FUZZ_CHECK(c.extension(e.oid) != nullptr, e.oid);
    }
    fuzz::accepts([&] { snp::decode_vek_extensions(c); });
    fuzz::accepts([&] { tdx::decode_pck_extension(der); });
    if (c.self_issued()) fuzz::accepts([&] { x509::verify_signed_by(c, c, "fuzz"); });
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteView in(data, size);
    std::vector<Bytes> certs;
    if (!fuzz::accepts([&] { certs = x509::load_certs(in); })) return 0;
    for (const Bytes& der : certs) exercise(der);
    return 0;
}
