// Issue 12 item 5: RFC 5280 §4.2 "A certificate-using system MUST reject the certificate if it encounters a
// critical extension it does not recognize". The certificates are made here with mbedTLS's writer.
#include <catch2/catch_test_macros.hpp>

#include "kettle/core/error.hpp"
#include "kettle/core/x509.hpp"
#include "test_pki.hpp"

using namespace kettle;

TEST_CASE("certificates with an unknown critical extension are refused", "[x509]") {
    test::Rng rng;
    test::Key k(rng, MBEDTLS_ECP_DP_SECP256R1);
    const char* dn = "CN=critical test,O=Kettle test";
    const Bytes value = {0x04, 0x02, 0xca, 0xfe};  // an OCTET STRING
    test::CertSpec s;
    s.exts = {{"1.3.6.1.4.1.99999.1", value}};
    x509::Cert ok = x509::Cert::parse(test::make_cert(rng, k, k, dn, dn, s));
    REQUIRE(ok.extension("1.3.6.1.4.1.99999.1"));
    CHECK_FALSE(ok.extension("1.3.6.1.4.1.99999.1")->critical);

    s.exts.clear();
    s.critical_exts = {{"1.3.6.1.4.1.99999.1", value}};
    CHECK_THROWS_AS(x509::Cert::parse(test::make_cert(rng, k, k, dn, dn, s)), Error);
    // The same unknown extension on a vendor OID we read (AMD's hwID) is refused too when critical.
    s.critical_exts = {{"1.3.6.1.4.1.3704.1.4", Bytes(64, 1)}};
    CHECK_THROWS_AS(x509::Cert::parse(test::make_cert(rng, k, k, dn, dn, s)), Error);
}
