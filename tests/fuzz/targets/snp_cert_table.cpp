// Fuzz target: the SEV-SNP extended-report certificate table (GHCB spec 56421 / SNP_GET_EXT_REPORT; the auxblob
// the guest gets from configfs-tsm or /dev/sev-guest and copies into evidence.json), and each certificate in it
// through the X.509 helpers and the VCEK/VLEK extension decoder.
// Invariant: building a table from the parsed entries and parsing it again gives the same entries.
#include "fuzz.hpp"
#include "kettle/core/x509.hpp"
#include "kettle/provenance/evidence.hpp"
#include "kettle/snp/verify.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<EvidenceCert> certs;
    if (!fuzz::accepts([&] { certs = parse_snp_cert_table(ByteView(data, size)); })) return 0;
    Bytes built = build_snp_cert_table(certs);
    std::vector<EvidenceCert> again;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { again = parse_snp_cert_table(built); }), "rebuilt table refused");
    KETTLE_FUZZ_CHECK(again.size() == certs.size(), "entry count changed");
    for (std::size_t i = 0; i < certs.size(); ++i) {
        KETTLE_FUZZ_CHECK(again[i].type == certs[i].type && again[i].der == certs[i].der, "entry changed: " + certs[i].type);
        fuzz::accepts([&] { snp::decode_vek_extensions(x509::Cert::parse(certs[i].der)); });
    }
    return 0;
}
