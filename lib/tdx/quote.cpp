// Intel TDX DCAP quote v4/v5 parsing, the built-in Intel root and the PCK certificate's SGX extension (see
// kettle/tdx/quote.hpp). The checks over a parsed quote are the rows in checks.cpp; collateral in collateral.cpp.
#include "kettle/tdx/quote.hpp"

#include <algorithm>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/x509.hpp"

namespace kettle::tdx {

namespace {

// Intel SGX Root CA (public; https://certificates.trustedservices.intel.com/IntelSGXRootCA.der), pinned by
// kIntelRootSha256.
const char* const kIntelRootPem = R"pem(-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
)pem";

template <std::size_t N>
void get(std::array<std::uint8_t, N>& a, ByteView b, std::size_t off, const char* what) {
    auto s = slice(b, off, N, what);
    std::copy(s.begin(), s.end(), a.begin());
}

TdReportBody parse_body(ByteView b, bool td15) {
    TdReportBody r;
    const char* w = "quote: TD report body";
    get(r.tee_tcb_svn, b, 0x000, w);
    get(r.mr_seam, b, 0x010, w);
    get(r.mr_signer_seam, b, 0x040, w);
    get(r.seam_attributes, b, 0x070, w);
    get(r.td_attributes, b, 0x078, w);
    get(r.xfam, b, 0x080, w);
    get(r.mr_td, b, 0x088, w);
    get(r.mr_config_id, b, 0x0B8, w);
    get(r.mr_owner, b, 0x0E8, w);
    get(r.mr_owner_config, b, 0x118, w);
    for (std::size_t i = 0; i < 4; ++i) get(r.rtmr[i], b, 0x148 + 0x30 * i, w);
    get(r.report_data, b, 0x208, w);
    r.td15 = td15;
    if (td15) {
        get(r.tee_tcb_svn2, b, 0x248, w);
        get(r.mr_service_td, b, 0x258, w);
    }
    return r;
}

const char* kSgxExt = "1.2.840.113741.1.13.1";

}  // namespace

const Bytes& intel_root_der() {
    static const Bytes der = [] {
        auto v = x509::pem_blocks(kIntelRootPem, "CERTIFICATE");
        if (v.size() != 1 || hex(sha256(v[0])) != kIntelRootSha256) throw Error("built-in Intel SGX Root CA is damaged");
        return v[0];
    }();
    return der;
}

Quote Quote::parse(ByteView b) {
    if (b.size() > (1u << 20)) throw Error("quote: larger than 1 MiB");
    Quote q;
    q.version = le16(b, 0);
    q.att_key_type = le16(b, 2);
    q.tee_type = le32(b, 4);
    get(q.qe_vendor_id, b, 12, "quote: header");
    get(q.user_data, b, 28, "quote: header");
    std::size_t body_off;
    if (q.version == 4) {
        body_off = 48;
        q.body_type = 2;
        q.body_size = 584;
    } else if (q.version == 5) {
        q.body_type = le16(b, 48);
        q.body_size = le32(b, 50);
        body_off = 54;
        if (!((q.body_type == 2 && q.body_size == 584) || (q.body_type == 3 && q.body_size == 648)))
            throw Error("quote: v5 body type " + std::to_string(q.body_type) + " size " + std::to_string(q.body_size) +
                        " is not a TD 1.0 (2/584) or TD 1.5 (3/648) report");
    } else {
        throw Error("quote: version " + std::to_string(q.version) + " is not 4 or 5");
    }
    ByteView body = slice(b, body_off, q.body_size, "quote: body");
    q.body = parse_body(body, q.body_type == 3);
    std::size_t end = body_off + q.body_size;
    auto signed_view = slice(b, 0, end, "quote");
    q.signed_region.assign(signed_view.begin(), signed_view.end());
    std::uint32_t sig_len = le32(b, end);
    ByteView sd = slice(b, end + 4, sig_len, "quote: signature data");
    get(q.signature, sd, 0, "quote: signature");
    get(q.attestation_key, sd, 64, "quote: attestation key");
    q.cert_type = le16(sd, 128);
    std::uint32_t cert_size = le32(sd, 130);
    ByteView cd = slice(sd, 134, cert_size, "quote: certification data");
    if (q.cert_type != 6) throw Error("quote: certification data type " + std::to_string(q.cert_type) + " is not 6 (QE report)");
    get(q.qe_report, cd, 0, "quote: QE report");
    get(q.qe_report_signature, cd, 384, "quote: QE report signature");
    std::uint16_t auth_len = le16(cd, 448);
    ByteView auth = slice(cd, 450, auth_len, "quote: QE auth data");
    q.qe_auth_data.assign(auth.begin(), auth.end());
    std::size_t p = 450 + auth_len;
    q.pck_cert_type = le16(cd, p);
    std::uint32_t inner = le32(cd, p + 2);
    ByteView pem = slice(cd, p + 6, inner, "quote: PCK certification data");
    q.pck_chain_pem.assign(pem.begin(), pem.end());
    return q;
}

PckInfo decode_pck_extension(ByteView pck_der) {
    x509::Cert c = x509::Cert::parse(pck_der, "PCK certificate");
    const x509::Extension* e = c.extension(kSgxExt);
    if (!e) throw Error("PCK certificate: no SGX extension 1.2.840.113741.1.13.1");
    PckInfo info;
    info.sgx_tcb.fill(-1);
    unsigned char* p = const_cast<unsigned char*>(e->value.data());
    const unsigned char* end = p + e->value.size();
    std::size_t len = 0;
    auto fail = [] { return Error("PCK certificate: malformed SGX extension"); };
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 || p + len != end) throw fail();
    auto oid_str = [&](unsigned char** q, const unsigned char* qend) {
        std::size_t l = 0;
        if (mbedtls_asn1_get_tag(q, qend, &l, MBEDTLS_ASN1_OID) != 0) throw fail();
        mbedtls_asn1_buf b{MBEDTLS_ASN1_OID, l, *q};
        char buf[96];
        if (mbedtls_oid_get_numeric_string(buf, sizeof buf, &b) < 0) throw fail();
        *q += l;
        return std::string(buf);
    };
    while (p < end) {
        if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) throw fail();
        const unsigned char* item_end = p + len;
        std::string oid = oid_str(&p, item_end);
        if (oid == std::string(kSgxExt) + ".2") {
            std::size_t l2 = 0;
            if (mbedtls_asn1_get_tag(&p, item_end, &l2, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) throw fail();
            while (p < item_end) {
                std::size_t l3 = 0;
                if (mbedtls_asn1_get_tag(&p, item_end, &l3, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) throw fail();
                const unsigned char* comp_end = p + l3;
                std::string coid = oid_str(&p, comp_end);
                std::string prefix = std::string(kSgxExt) + ".2.";
                if (coid.rfind(prefix, 0) == 0) {
                    int idx = std::stoi(coid.substr(prefix.size()));
                    if (idx >= 1 && idx <= 17) {
                        int v = 0;
                        if (mbedtls_asn1_get_int(&p, comp_end, &v) != 0) throw fail();
                        if (idx <= 16) info.sgx_tcb[static_cast<std::size_t>(idx - 1)] = v;
                        else info.pcesvn = v;
                    }
                }
                p = const_cast<unsigned char*>(comp_end);
            }
        } else if (oid == std::string(kSgxExt) + ".4") {
            std::size_t l2 = 0;
            if (mbedtls_asn1_get_tag(&p, item_end, &l2, MBEDTLS_ASN1_OCTET_STRING) != 0 || l2 != 6) throw fail();
            info.fmspc.assign(p, p + 6);
        }
        p = const_cast<unsigned char*>(item_end);
    }
    if (info.fmspc.size() != 6 || info.pcesvn < 0) throw fail();
    for (int v : info.sgx_tcb)
        if (v < 0) throw fail();
    return info;
}

}  // namespace kettle::tdx
