// The simulated AMD-SP: its reports verify under its KETTLE-SIM chain with mbedTLS (chain links with
// RSASSA-PSS SHA-384 salt 48, report signature ECDSA P-384 over bytes 0x000..0x29F with R/S as 72-byte
// little-endian), the report fields sit at the offsets of AMD SEV-SNP ABI spec 56860 Table 23, the
// certificate table has the GHCB layout, and the line protocol rejects bad requests.
#include <catch2/catch_test_macros.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "test_support.hpp"
#include "qemu.hpp"
#include "sim_amdsp.hpp"

using namespace kettle;
using namespace kettle::runner;

namespace {

const SimChain& chain() {
    static SimChain c = SimChain::load_or_create(SimChain::default_dir());
    return c;
}

struct Crt {
    mbedtls_x509_crt c;
    explicit Crt(const Bytes& der) {
        mbedtls_x509_crt_init(&c);
        REQUIRE(mbedtls_x509_crt_parse_der(&c, der.data(), der.size()) == 0);
    }
    ~Crt() { mbedtls_x509_crt_free(&c); }
};

std::string cn(const mbedtls_x509_crt& c) {
    char buf[512];
    mbedtls_x509_dn_gets(buf, sizeof buf, &c.subject);
    return buf;
}

// child signed by parent with RSASSA-PSS(SHA-384, MGF1-SHA-384, salt 48)?
bool pss_signed_by(const mbedtls_x509_crt& child, mbedtls_x509_crt& parent) {
    Bytes h = sha384(ByteView(child.tbs.p, child.tbs.len));
    mbedtls_pk_rsassa_pss_options opt{MBEDTLS_MD_SHA384, 48};
    return mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &opt, &parent.pk, MBEDTLS_MD_SHA384, h.data(), h.size(),
                                 child.MBEDTLS_PRIVATE(sig).p, child.MBEDTLS_PRIVATE(sig).len) == 0;
}

// ECDSA P-384 check of a report with the VCEK public key.
bool report_verifies(const Bytes& report, mbedtls_x509_crt& vcek) {
    Bytes h = sha384(ByteView(report.data(), kSnpSignedSize));
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    mbedtls_mpi_read_binary_le(&r, report.data() + 0x2A0, 72);
    mbedtls_mpi_read_binary_le(&s, report.data() + 0x2E8, 72);
    mbedtls_ecp_keypair* kp = mbedtls_pk_ec(vcek.pk);
    mbedtls_ecp_group grp;
    mbedtls_mpi d;
    mbedtls_ecp_point q;
    mbedtls_ecp_group_init(&grp);
    mbedtls_mpi_init(&d);
    mbedtls_ecp_point_init(&q);
    int rc = mbedtls_ecp_export(kp, &grp, &d, &q);
    if (rc == 0) rc = mbedtls_ecdsa_verify(&grp, h.data(), h.size(), &q, &r, &s);
    mbedtls_ecp_group_free(&grp);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&q);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return rc == 0;
}

}  // namespace

TEST_CASE("sim chain: KETTLE-SIM names, RSA-4096 ARK/ASK, P-384 VCEK, PSS links", "[sim]") {
    Crt ark(chain().ark_der()), ask(chain().ask_der()), vcek(chain().vcek_der());
    CHECK(cn(ark.c).find("CN=ARK-Milan KETTLE-SIM") != std::string::npos);
    CHECK(cn(ask.c).find("CN=SEV-Milan KETTLE-SIM") != std::string::npos);
    CHECK(cn(vcek.c).find("CN=SEV-VCEK KETTLE-SIM") != std::string::npos);
    CHECK(mbedtls_pk_get_type(&ark.c.pk) == MBEDTLS_PK_RSA);
    CHECK(mbedtls_pk_get_bitlen(&ark.c.pk) == 4096);
    CHECK(mbedtls_pk_get_bitlen(&ask.c.pk) == 4096);
    CHECK(mbedtls_pk_get_type(&vcek.c.pk) == MBEDTLS_PK_ECKEY);
    CHECK(mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(vcek.c.pk)) == MBEDTLS_ECP_DP_SECP384R1);
    // Every certificate is signed with RSASSA-PSS, like AMD's.
    for (auto* c : {&ark.c, &ask.c, &vcek.c}) CHECK(c->MBEDTLS_PRIVATE(sig_pk) == MBEDTLS_PK_RSASSA_PSS);
    CHECK(pss_signed_by(ark.c, ark.c));
    CHECK(pss_signed_by(ask.c, ark.c));
    CHECK(pss_signed_by(vcek.c, ask.c));
    CHECK_FALSE(pss_signed_by(vcek.c, ark.c));
}

TEST_CASE("sim chain validates with mbedtls_x509_crt_verify", "[sim]") {
    mbedtls_x509_crt leaf, root;
    mbedtls_x509_crt_init(&leaf);
    mbedtls_x509_crt_init(&root);
    REQUIRE(mbedtls_x509_crt_parse_der(&leaf, chain().vcek_der().data(), chain().vcek_der().size()) == 0);
    REQUIRE(mbedtls_x509_crt_parse_der(&leaf, chain().ask_der().data(), chain().ask_der().size()) == 0);
    REQUIRE(mbedtls_x509_crt_parse_der(&root, chain().ark_der().data(), chain().ark_der().size()) == 0);
    std::uint32_t flags = 0;
    int rc = mbedtls_x509_crt_verify(&leaf, &root, nullptr, nullptr, &flags, nullptr, nullptr);
    CHECK(rc == 0);
    CHECK(flags == 0);
    mbedtls_x509_crt_free(&leaf);
    mbedtls_x509_crt_free(&root);
}

TEST_CASE("sim PSS AlgorithmIdentifier is byte-identical to AMD's real ARK", "[sim]") {
    const std::string shared = kettle::test::fixture("snp/roots");

    mbedtls_x509_crt amd;
    mbedtls_x509_crt_init(&amd);
    Bytes pem = read_file(shared + "/ask_ark_milan.pem");
    pem.push_back(0);
    REQUIRE(mbedtls_x509_crt_parse(&amd, pem.data(), pem.size()) == 0);
    // The outer signatureAlgorithm of AMD's ASK: the bytes after the TBS up to the BIT STRING.
    auto alg_of = [](const unsigned char* raw, std::size_t raw_len, std::size_t tbs_end) {
        (void)raw_len;
        const unsigned char* p = raw + tbs_end;
        std::size_t len = p[1];  // short form: 0x41
        return Bytes(p, p + 2 + len);
    };
    Bytes amd_alg = alg_of(amd.raw.p, amd.raw.len, static_cast<std::size_t>(amd.tbs.p + amd.tbs.len - amd.raw.p));
    Crt ask(chain().ask_der());
    Bytes our_alg = alg_of(ask.c.raw.p, ask.c.raw.len, static_cast<std::size_t>(ask.c.tbs.p + ask.c.tbs.len - ask.c.raw.p));
    CHECK(hex(amd_alg) == hex(our_alg));
    mbedtls_x509_crt_free(&amd);
}

TEST_CASE("sim report: v3 layout, fields, signature under the VCEK", "[sim]") {
    SimPlatform plat;
    SimLaunch launch;
    launch.measurement = Bytes(48, 0x11);
    launch.host_data = sha256(std::string_view("input disk"));
    Bytes rd(64);
    for (int i = 0; i < 64; ++i) rd[i] = static_cast<std::uint8_t>(i);
    Bytes rid(32, 0x42);
    Bytes r = build_sim_report(chain(), plat, launch, rd, rid);
    REQUIRE(r.size() == 1184);
    CHECK(le32(r, 0x000) == 3);
    std::uint64_t pol = le64(r, 0x008);
    CHECK((pol & (1u << 19)) == 0);  // DEBUG off
    CHECK((pol & (1u << 17)) != 0);
    CHECK(le32(r, 0x030) == 0);  // VMPL 0
    CHECK(le32(r, 0x034) == 1);  // ECDSA P-384 SHA-384
    CHECK(Bytes(r.begin() + 0x50, r.begin() + 0x90) == rd);
    CHECK(Bytes(r.begin() + 0x90, r.begin() + 0xC0) == launch.measurement);
    CHECK(Bytes(r.begin() + 0xC0, r.begin() + 0xE0) == launch.host_data);
    CHECK(Bytes(r.begin() + 0x1A0, r.begin() + 0x1E0) == plat.chip_id);
    CHECK(le64(r, 0x180) == plat.tcb());
    CHECK(r[0x180] == 3);    // BOOT_LOADER
    CHECK(r[0x186] == 0x18); // SNP (the built-in Milan floor, AMD-SB-3019)
    CHECK(r[0x187] == 115);  // MICROCODE
    CHECK(r[0x188] == 0x19);
    Crt vcek(chain().vcek_der());
    CHECK(report_verifies(r, vcek.c));
    Bytes bad = r;
    bad[0x50] ^= 1;  // flip a REPORT_DATA bit
    CHECK_FALSE(report_verifies(bad, vcek.c));
    // The signature field beyond R and S is zero.
    for (std::size_t i = 0x2A0 + 144; i < 0x4A0; ++i) REQUIRE(r[i] == 0);
}

TEST_CASE("sim certificate table: GHCB layout, RFC 4122 GUID bytes, zero terminator", "[sim]") {
    Bytes t = sim_cert_table(chain());
    CHECK(hex(ByteView(t.data(), 16)) == "63da758de6644564adc5f4b93be8accd");
    CHECK(hex(ByteView(t.data() + 24, 16)) == "4ab7b379bbac4fe4a02f05aef327c782");
    CHECK(hex(ByteView(t.data() + 48, 16)) == "c0b406a4a80349529743" "3fb6014cd0ae");
    CHECK(Bytes(t.begin() + 72, t.begin() + 96) == Bytes(24, 0));
    const Bytes* certs[3] = {&chain().vcek_der(), &chain().ask_der(), &chain().ark_der()};
    for (int i = 0; i < 3; ++i) {
        std::uint32_t off = le32(t, 24 * i + 16), len = le32(t, 24 * i + 20);
        REQUIRE(off + len <= t.size());
        CHECK(Bytes(t.begin() + off, t.begin() + off + len) == *certs[i]);
    }
}

TEST_CASE("sim protocol: a request gets a signed report binding its REPORT_DATA", "[sim]") {
    SimLaunch launch;
    launch.host_data = Bytes(32, 0xAB);
    SimAmdSp sp(chain(), SimPlatform{}, launch);
    std::string rd(128, '0');
    rd[127] = '7';
    Json resp = parse_strict(sp.handle_line(R"({"type":"snp-report-request","report_data":")" + rd + "\"}"));
    REQUIRE(resp["type"] == "snp-report-response");
    Bytes report = base64_decode(resp["report"].get<std::string>());
    REQUIRE(report.size() == 1184);
    CHECK(report[0x50 + 63] == 7);
    CHECK(Bytes(report.begin() + 0xC0, report.begin() + 0xE0) == Bytes(32, 0xAB));
    Crt vcek(chain().vcek_der());
    CHECK(report_verifies(report, vcek.c));
    CHECK(base64_decode(resp["cert_table"].get<std::string>()) == sim_cert_table(chain()));
    CHECK(sp.reports_served() == 1);
}

TEST_CASE("sim protocol: hostile requests get error responses", "[sim]") {
    SimAmdSp sp(chain(), SimPlatform{}, SimLaunch{});
    std::string good(128, 'a');
    for (std::string bad : {std::string("not json"), std::string("[]"), std::string(R"({"type":"x","report_data":")") + good + "\"}",
                            std::string(R"({"type":"snp-report-request"})"),
                            std::string(R"({"type":"snp-report-request","report_data":"abcd"})"),
                            std::string(R"({"type":"snp-report-request","report_data":")") + std::string(128, 'z') + "\"}",
                            std::string(R"({"type":"snp-report-request","report_data":")") + good + R"(","vmpl":1})",
                            std::string(R"({"type":"snp-report-request","type":"snp-report-request","report_data":")") + good + "\"}",
                            std::string(5000, ' ')}) {
        Json r = parse_strict(sp.handle_line(bad));
        CHECK(r["type"] == "error");
        CHECK(r["message"].is_string());
    }
    CHECK(sp.reports_served() == 0);
    CHECK(sp.errors_sent() == 9);
}

TEST_CASE("sim service over a unix socket, as QEMU's chardev connects to it", "[sim]") {
    std::string dir = std::filesystem::temp_directory_path().string() + "/kettle-sim-test-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    std::string path = dir + "/amdsp.sock";
    SimAmdSp sp(chain(), SimPlatform{}, SimLaunch{});
    sp.start(path);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strcpy(sa.sun_path, path.c_str());
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    std::string req = std::string(R"({"type":"snp-report-request","report_data":")") + std::string(128, 'f') + "\"}\n";
    // An over-long garbage line first: it must be answered with an error and not break the stream.
    std::string junk(6000, 'x');
    junk += '\n';
    REQUIRE(::write(fd, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
    REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
    std::string got;
    char buf[8192];
    while (std::count(got.begin(), got.end(), '\n') < 2) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        REQUIRE(n > 0);
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    sp.stop();
    auto nl = got.find('\n');
    CHECK(parse_strict(got.substr(0, nl))["type"] == "error");
    Json r = parse_strict(got.substr(nl + 1, got.find('\n', nl + 1) - nl - 1));
    CHECK(r["type"] == "snp-report-response");
    CHECK(base64_decode(r["report"].get<std::string>())[0x50] == 0xff);
    CHECK_FALSE(std::filesystem::exists(path));
    std::filesystem::remove_all(dir);
}
