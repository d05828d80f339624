// The simulated AMD-SP: test chain generation, report building and the line protocol. See sim_amdsp.hpp.
#include "sim_amdsp.hpp"

#include "kettle/core/base64.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "qemu.hpp"  // base64

namespace fs = std::filesystem;

namespace kettle::runner {

namespace {

std::string mbed_err(int rc) { return "mbedTLS error -0x" + [&] {
    char b[16]; std::snprintf(b, sizeof b, "%04x", static_cast<unsigned>(-rc)); return std::string(b); }(); }

void check(int rc, const char* what) {
    if (rc != 0) throw Error(std::string("sim AMD-SP: ") + what + ": " + mbed_err(rc));
}

struct Rng {
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    Rng() {
        mbedtls_entropy_init(&ent);
        mbedtls_ctr_drbg_init(&drbg);
        static const char pers[] = "kettle-sim-amdsp";
        check(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, reinterpret_cast<const unsigned char*>(pers),
                                    sizeof pers - 1), "seeding the DRBG");
    }
    ~Rng() { mbedtls_ctr_drbg_free(&drbg); mbedtls_entropy_free(&ent); }
    Rng(const Rng&) = delete;
    Rng& operator=(const Rng&) = delete;
};

struct Pk {
    mbedtls_pk_context pk;
    Pk() { mbedtls_pk_init(&pk); }
    ~Pk() { mbedtls_pk_free(&pk); }
    Pk(const Pk&) = delete;
    Pk& operator=(const Pk&) = delete;
};

// ---- minimal DER helpers for re-signing a certificate with RSASSA-PSS ----

void der_len(Bytes& out, std::size_t n) {
    if (n < 0x80) { out.push_back(static_cast<std::uint8_t>(n)); return; }
    std::uint8_t tmp[8]; int k = 0;
    while (n) { tmp[k++] = static_cast<std::uint8_t>(n & 0xff); n >>= 8; }
    out.push_back(static_cast<std::uint8_t>(0x80 | k));
    while (k) out.push_back(tmp[--k]);
}

Bytes der_wrap(std::uint8_t tag, ByteView content) {
    Bytes out{tag};
    der_len(out, content.size());
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

// One TLV at `off` in `b`: returns {header length, content length}. Throws on malformed input.
std::pair<std::size_t, std::size_t> der_tlv(ByteView b, std::size_t off) {
    if (off + 2 > b.size()) throw Error("sim AMD-SP: DER truncated");
    std::size_t hl = 2, len = b[off + 1];
    if (len & 0x80) {
        std::size_t k = len & 0x7f;
        if (k == 0 || k > 4 || off + 2 + k > b.size()) throw Error("sim AMD-SP: DER length");
        len = 0;
        for (std::size_t i = 0; i < k; ++i) len = (len << 8) | b[off + 2 + i];
        hl += k;
    }
    if (off + hl + len > b.size()) throw Error("sim AMD-SP: DER truncated");
    return {hl, len};
}

// AlgorithmIdentifier for RSASSA-PSS with SHA-384, MGF1-SHA-384, salt length 48 (RFC 4055 section 3.1);
// byte for byte the encoding of AMD's ARK/ASK certificates (checked by a test against the real Milan chain).
const std::uint8_t kPssSha384Alg[] = {
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,  // id-RSASSA-PSS
    0x30, 0x39,
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,  // sha384
    0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,  // id-mgf1
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,  // sha384
    0xa2, 0x03, 0x02, 0x01, 0x30,  // saltLength 48
    0xa3, 0x03, 0x02, 0x01, 0x01,  // trailerField 1 (explicit, as in AMD's certificates)
};

// mbedTLS writes certificates signed with PKCS#1 v1.5 only. Take its DER, replace the signature
// AlgorithmIdentifier in the TBSCertificate by the PSS one, and sign the new TBS with RSASSA-PSS.
Bytes resign_pss(ByteView cert, mbedtls_pk_context& issuer, Rng& rng) {
    auto [ohl, olen] = der_tlv(cert, 0);
    std::size_t tbs_off = ohl;
    auto [thl, tlen] = der_tlv(cert, tbs_off);
    ByteView tbs_content = slice(cert, tbs_off + thl, tlen, "tbs");
    // TBS: [0] version, serial, signature AlgorithmIdentifier, rest.
    std::size_t p = 0;
    Bytes new_tbs_content;
    int idx = 0;
    while (p < tbs_content.size()) {
        auto [hl, len] = der_tlv(tbs_content, p);
        ByteView elem = slice(tbs_content, p, hl + len, "tbs element");
        if (idx == 2) new_tbs_content.insert(new_tbs_content.end(), std::begin(kPssSha384Alg), std::end(kPssSha384Alg));
        else new_tbs_content.insert(new_tbs_content.end(), elem.begin(), elem.end());
        p += hl + len;
        ++idx;
    }
    Bytes tbs = der_wrap(0x30, new_tbs_content);
    Bytes h = sha384(tbs);
    mbedtls_rsa_context* rsa = mbedtls_pk_rsa(issuer);
    check(mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA384), "PSS padding");
    Bytes sig(mbedtls_rsa_get_len(rsa));
    int rc = mbedtls_rsa_rsassa_pss_sign_ext(rsa, mbedtls_ctr_drbg_random, &rng.drbg, MBEDTLS_MD_SHA384, 48, h.data(),
                                             48, sig.data());
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
    check(rc, "RSASSA-PSS signing");
    Bytes bits{0x00};
    bits.insert(bits.end(), sig.begin(), sig.end());
    Bytes body = tbs;
    body.insert(body.end(), std::begin(kPssSha384Alg), std::end(kPssSha384Alg));
    Bytes bs = der_wrap(0x03, bits);
    body.insert(body.end(), bs.begin(), bs.end());
    return der_wrap(0x30, body);
}

Bytes der_int_small(unsigned v) {
    if (v < 0x80) return {0x02, 0x01, static_cast<std::uint8_t>(v)};
    return {0x02, 0x02, static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v & 0xff)};
}

// AMD VCEK extension OIDs: 1.3.6.1.4.1.3704.1.<tail>, content octets only.
Bytes amd_oid(std::initializer_list<std::uint8_t> tail) {
    Bytes o{0x2b, 0x06, 0x01, 0x04, 0x01, 0x9c, 0x78, 0x01};
    o.insert(o.end(), tail);
    return o;
}

struct CertSpec {
    std::string subject, issuer;
    unsigned char serial;
    bool ca;
};

Bytes write_cert(const CertSpec& s, mbedtls_pk_context& subject_key, mbedtls_pk_context& issuer_key, Rng& rng,
                 const SimPlatform* vcek_plat) {
    mbedtls_x509write_cert crt;
    mbedtls_x509write_crt_init(&crt);
    struct Free { mbedtls_x509write_cert* c; ~Free() { mbedtls_x509write_crt_free(c); } } fr{&crt};
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA384);
    mbedtls_x509write_crt_set_subject_key(&crt, &subject_key);
    mbedtls_x509write_crt_set_issuer_key(&crt, &issuer_key);
    check(mbedtls_x509write_crt_set_subject_name(&crt, s.subject.c_str()), "subject name");
    check(mbedtls_x509write_crt_set_issuer_name(&crt, s.issuer.c_str()), "issuer name");
    unsigned char serial[1] = {s.serial};
    check(mbedtls_x509write_crt_set_serial_raw(&crt, serial, 1), "serial");
    check(mbedtls_x509write_crt_set_validity(&crt, "20240101000000", "20491231235959"), "validity");
    if (s.ca) {
        check(mbedtls_x509write_crt_set_basic_constraints(&crt, 1, -1), "basic constraints");
        check(mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN),
              "key usage");
    }
    if (vcek_plat) {
        auto ext = [&](Bytes oid, Bytes val) {
            check(mbedtls_x509write_crt_set_extension(&crt, reinterpret_cast<const char*>(oid.data()), oid.size(), 0,
                                                      val.data(), val.size()), "VCEK extension");
        };
        ext(amd_oid({0x01}), der_int_small(0));  // struct version
        std::string product = "Milan-B0";
        Bytes ia5{0x16, static_cast<std::uint8_t>(product.size())};
        ia5.insert(ia5.end(), product.begin(), product.end());
        ext(amd_oid({0x02}), ia5);
        ext(amd_oid({0x03, 0x01}), der_int_small(vcek_plat->bl_spl));
        ext(amd_oid({0x03, 0x02}), der_int_small(vcek_plat->tee_spl));
        ext(amd_oid({0x03, 0x03}), der_int_small(vcek_plat->snp_spl));
        for (std::uint8_t r = 4; r <= 7; ++r) ext(amd_oid({0x03, r}), der_int_small(0));
        ext(amd_oid({0x03, 0x08}), der_int_small(vcek_plat->ucode_spl));
        ext(amd_oid({0x04}), vcek_plat->chip_id);  // hwID: raw bytes, no DER tag (as AMD does)
    }
    Bytes buf(16384);
    int n = mbedtls_x509write_crt_der(&crt, buf.data(), buf.size(), mbedtls_ctr_drbg_random, &rng.drbg);
    if (n < 0) check(n, "writing a certificate");
    ByteView der(buf.data() + buf.size() - n, static_cast<std::size_t>(n));
    return resign_pss(der, issuer_key, rng);
}

void write_private(const fs::path& p, ByteView data) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw Error("sim AMD-SP: cannot create " + p.string() + ": " + std::strerror(errno));
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t w = ::write(fd, data.data() + off, data.size() - off);
        if (w <= 0) { ::close(fd); throw Error("sim AMD-SP: cannot write " + p.string()); }
        off += static_cast<std::size_t>(w);
    }
    ::close(fd);
}

Bytes pem_of(mbedtls_pk_context& pk) {
    Bytes buf(16384);
    check(mbedtls_pk_write_key_pem(&pk, buf.data(), buf.size()), "writing a private key");
    buf.resize(std::strlen(reinterpret_cast<char*>(buf.data())));
    return buf;
}

void generate_chain(const fs::path& dir) {
    Rng rng;
    Pk ark, ask, vcek;
    for (Pk* k : {&ark, &ask}) {
        check(mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), "RSA key setup");
        check(mbedtls_rsa_gen_key(mbedtls_pk_rsa(k->pk), mbedtls_ctr_drbg_random, &rng.drbg, 4096, 65537),
              "RSA-4096 key generation");
    }
    check(mbedtls_pk_setup(&vcek.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "EC key setup");
    check(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1, mbedtls_pk_ec(vcek.pk), mbedtls_ctr_drbg_random, &rng.drbg),
          "P-384 key generation");
    const std::string org = ",O=Kettle simulated AMD-SP (not AMD),OU=Engineering,C=US";
    std::string ark_dn = "CN=ARK-Milan KETTLE-SIM" + org, ask_dn = "CN=SEV-Milan KETTLE-SIM" + org,
                vcek_dn = "CN=SEV-VCEK KETTLE-SIM" + org;
    SimPlatform plat;
    Bytes ark_der = write_cert({ark_dn, ark_dn, 1, true}, ark.pk, ark.pk, rng, nullptr);
    Bytes ask_der = write_cert({ask_dn, ark_dn, 2, true}, ask.pk, ark.pk, rng, nullptr);
    Bytes vcek_der = write_cert({vcek_dn, ask_dn, 3, false}, vcek.pk, ask.pk, rng, &plat);
    write_file((dir / "ark.der").string(), ark_der);
    write_file((dir / "ask.der").string(), ask_der);
    write_file((dir / "vcek.der").string(), vcek_der);
    write_private(dir / "vcek.key.pem", pem_of(vcek.pk));
    write_private(dir / "ask.key.pem", pem_of(ask.pk));
    write_private(dir / "ark.key.pem", pem_of(ark.pk));
    write_file((dir / "README").string(),
               "Test certificate chain of Kettle's simulated AMD-SP (KETTLE-SIM). Not AMD's: never trust it.\n");
}

}  // namespace

struct SimChain::Key {
    Pk pk;
    Rng rng;
};

SimChain::SimChain() : key_(std::make_unique<Key>()) {}
SimChain::SimChain(SimChain&&) noexcept = default;
SimChain& SimChain::operator=(SimChain&&) noexcept = default;
SimChain::~SimChain() = default;

std::string SimChain::default_dir() {
    // "-v2": the VCEK's TCB extensions must equal SimPlatform's, whose SNP SPL became 0x18 (the built-in Milan TCB
    // floor); a chain cached under the old name carries SNP SPL 8 and is left to the code that made it.
    if (const char* c = std::getenv("KETTLE_CACHE"); c && *c) return std::string(c) + "/sim-chain-v2";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/tmp") + "/.cache/kettle/sim-chain-v2";
}

SimChain SimChain::load_or_create(const std::string& dir_s) {
    fs::path dir(dir_s);
    if (!fs::exists(dir / "vcek.key.pem")) {
        fs::create_directories(dir.parent_path());
        fs::path tmp = dir.parent_path() / (dir.filename().string() + ".tmp." + std::to_string(::getpid()));
        fs::remove_all(tmp);
        fs::create_directories(tmp);
        ::chmod(tmp.c_str(), 0700);
        generate_chain(tmp);
        std::error_code ec;
        fs::rename(tmp, dir, ec);  // fails when another process won the race: use theirs
        if (ec) fs::remove_all(tmp);
    }
    SimChain c;
    c.ark_ = read_file((dir / "ark.der").string(), 1 << 16);
    c.ask_ = read_file((dir / "ask.der").string(), 1 << 16);
    c.vcek_ = read_file((dir / "vcek.der").string(), 1 << 16);
    Bytes pem = read_file((dir / "vcek.key.pem").string(), 1 << 16);
    pem.push_back(0);
    int rc = mbedtls_pk_parse_key(&c.key_->pk.pk, pem.data(), pem.size(), nullptr, 0, mbedtls_ctr_drbg_random,
                                  &c.key_->rng.drbg);
    if (rc != 0) throw Error("sim AMD-SP: cannot parse " + (dir / "vcek.key.pem").string() + ": " + mbed_err(rc));
    if (!mbedtls_pk_can_do(&c.key_->pk.pk, MBEDTLS_PK_ECKEY) ||
        mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(c.key_->pk.pk)) != MBEDTLS_ECP_DP_SECP384R1)
        throw Error("sim AMD-SP: " + (dir / "vcek.key.pem").string() + " is not a P-384 key");
    return c;
}

std::pair<Bytes, Bytes> SimChain::sign_p384(ByteView msg) const {
    Bytes h = sha384(msg);
    mbedtls_ecp_group grp;
    mbedtls_mpi d, r, s;
    mbedtls_ecp_point q;
    mbedtls_ecp_group_init(&grp); mbedtls_mpi_init(&d); mbedtls_mpi_init(&r); mbedtls_mpi_init(&s);
    mbedtls_ecp_point_init(&q);
    Bytes rb(72), sb(72);
    int rc = mbedtls_ecp_export(mbedtls_pk_ec(key_->pk.pk), &grp, &d, &q);
    if (rc == 0) rc = mbedtls_ecdsa_sign(&grp, &r, &s, &d, h.data(), h.size(), mbedtls_ctr_drbg_random, &key_->rng.drbg);
    if (rc == 0) rc = mbedtls_mpi_write_binary_le(&r, rb.data(), rb.size());
    if (rc == 0) rc = mbedtls_mpi_write_binary_le(&s, sb.data(), sb.size());
    mbedtls_ecp_group_free(&grp); mbedtls_mpi_free(&d); mbedtls_mpi_free(&r); mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    check(rc, "ECDSA P-384 signing");
    return {rb, sb};
}

SimPlatform::SimPlatform() : chip_id(64) {
    static const char tag[] = "KETTLE-SIM chip id";
    for (std::size_t i = 0; i < chip_id.size(); ++i)
        chip_id[i] = i < sizeof tag - 1 ? static_cast<std::uint8_t>(tag[i]) : static_cast<std::uint8_t>(0xA5 ^ i);
}

std::uint64_t SimPlatform::tcb() const {
    return std::uint64_t{bl_spl} | (std::uint64_t{tee_spl} << 8) | (std::uint64_t{snp_spl} << 48) |
           (std::uint64_t{ucode_spl} << 56);
}

namespace {
void put_at(Bytes& r, std::size_t off, std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) r[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void copy_at(Bytes& r, std::size_t off, ByteView b, std::size_t width, const char* what) {
    if (b.size() != width) throw Error(std::string("sim report: ") + what + " must be " + std::to_string(width) + " bytes");
    std::memcpy(r.data() + off, b.data(), width);
}
}  // namespace

// Field offsets: AMD SEV-SNP ABI spec 56860, Table 23 ATTESTATION_REPORT (version 3). Written here by offset until the
// core library's snp_report.hpp serializer can be used instead.
Bytes build_sim_report(const SimChain& chain, const SimPlatform& plat, const SimLaunch& launch, ByteView report_data,
                       ByteView report_id32) {
    Bytes r(kSnpReportSize, 0);
    put_at(r, 0x000, 3, 4);                 // VERSION
    put_at(r, 0x004, 0, 4);                 // GUEST_SVN
    put_at(r, 0x008, launch.policy, 8);     // POLICY
    // 0x010 FAMILY_ID, 0x020 IMAGE_ID: no ID block -> zero
    put_at(r, 0x030, 0, 4);                 // VMPL 0
    put_at(r, 0x034, 1, 4);                 // SIGNATURE_ALGO: ECDSA P-384 with SHA-384
    put_at(r, 0x038, plat.tcb(), 8);        // CURRENT_TCB
    put_at(r, 0x040, 0x1, 8);               // PLATFORM_INFO: SMT_EN
    put_at(r, 0x048, 0, 4);                 // signer info: AUTHOR_KEY_EN 0, MASK_CHIP_KEY 0, SIGNING_KEY 0 (VCEK)
    copy_at(r, 0x050, report_data, 64, "REPORT_DATA");
    copy_at(r, 0x090, launch.measurement, 48, "MEASUREMENT");
    copy_at(r, 0x0C0, launch.host_data, 32, "HOST_DATA");
    // 0x0E0 ID_KEY_DIGEST, 0x110 AUTHOR_KEY_DIGEST: zero
    copy_at(r, 0x140, report_id32, 32, "REPORT_ID");
    std::memset(r.data() + 0x160, 0xff, 32);  // REPORT_ID_MA: no migration agent
    put_at(r, 0x180, plat.tcb(), 8);        // REPORTED_TCB
    r[0x188] = 0x19; r[0x189] = 0x01; r[0x18A] = 0x01;  // CPUID family 19h model 01h stepping 1 (Milan)
    copy_at(r, 0x1A0, plat.chip_id, 64, "CHIP_ID");
    put_at(r, 0x1E0, plat.tcb(), 8);        // COMMITTED_TCB
    r[0x1E8] = 21; r[0x1E9] = 55; r[0x1EA] = 1;  // CURRENT build 21, minor 55, major 1
    r[0x1EC] = 21; r[0x1ED] = 55; r[0x1EE] = 1;  // COMMITTED
    put_at(r, 0x1F0, plat.tcb(), 8);        // LAUNCH_TCB
    auto [rs, ss] = chain.sign_p384(ByteView(r.data(), kSnpSignedSize));
    std::memcpy(r.data() + 0x2A0, rs.data(), 72);
    std::memcpy(r.data() + 0x2E8, ss.data(), 72);
    return r;
}

Bytes sim_cert_table(const SimChain& chain) {
    // GUIDs as the GHCB spec prints them, stored in that byte order (AMD's sev-guest tools use uuid_parse).
    static const char* kGuids[3] = {"63da758d-e664-4564-adc5-f4b93be8accd",   // VCEK
                                    "4ab7b379-bbac-4fe4-a02f-05aef327c782",   // ASK
                                    "c0b406a4-a803-4952-9743-3fb6014cd0ae"};  // ARK
    const Bytes* certs[3] = {&chain.vcek_der(), &chain.ask_der(), &chain.ark_der()};
    Bytes t;
    std::uint32_t off = 24 * 4;
    for (int i = 0; i < 3; ++i) {
        std::string g = kGuids[i];
        std::string h;
        for (char c : g) if (c != '-') h += c;
        Bytes gb = unhex(h);
        t.insert(t.end(), gb.begin(), gb.end());
        put_le32(t, off);
        put_le32(t, static_cast<std::uint32_t>(certs[i]->size()));
        off += static_cast<std::uint32_t>(certs[i]->size());
    }
    t.resize(t.size() + 24, 0);
    for (auto* c : certs) t.insert(t.end(), c->begin(), c->end());
    return t;
}

// ---- the service ----

SimAmdSp::SimAmdSp(const SimChain& chain, SimPlatform plat, SimLaunch launch)
    : chain_(chain), plat_(std::move(plat)), launch_(std::move(launch)), table_(sim_cert_table(chain)) {}

SimAmdSp::~SimAmdSp() { stop(); }

static std::string error_line(const std::string& msg) {
    return dump_text(Json{{"type", "error"}, {"message", msg}});
}

std::string SimAmdSp::handle_line(std::string_view line) {
    try {
        if (line.size() > kMaxRequestLine) throw Error("request longer than " + std::to_string(kMaxRequestLine) + " bytes");
        Json req = parse_strict(line, 4);
        if (!req.is_object()) throw Error("request is not a JSON object");
        for (auto& [k, v] : req.items())
            if (k != "type" && k != "report_data") throw Error("unknown member '" + k + "'");
        if (!req.contains("type") || !req["type"].is_string() || req["type"] != "snp-report-request")
            throw Error("type must be \"snp-report-request\"");
        if (!req.contains("report_data") || !req["report_data"].is_string())
            throw Error("report_data (128 hex characters) is missing");
        std::string rd = req["report_data"];
        if (rd.size() != 128) throw Error("report_data must be 128 hex characters, got " + std::to_string(rd.size()));
        Bytes report_data = unhex(rd);
        Bytes report_id(32);
        {
            Rng rng;
            check(mbedtls_ctr_drbg_random(&rng.drbg, report_id.data(), report_id.size()), "REPORT_ID");
        }
        Bytes report = build_sim_report(chain_, plat_, launch_, report_data, report_id);
        served_++;
        return Json{{"type", "snp-report-response"}, {"report", base64_encode(report)}, {"cert_table", base64_encode(table_)}}.dump();
    } catch (const std::exception& e) {
        errors_++;
        return error_line(e.what());
    }
}

void SimAmdSp::start(const std::string& path) {
    if (listen_fd_ >= 0) throw Error("sim AMD-SP: already started");
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) throw Error("sim AMD-SP: socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw Error("sim AMD-SP: " + path + " exists and is not a socket");
        ::unlink(path.c_str());
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw Error(std::string("sim AMD-SP: socket: ") + std::strerror(errno));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 2) != 0) {
        int e = errno;
        ::close(fd);
        throw Error("sim AMD-SP: cannot listen on " + path + ": " + std::strerror(e));
    }
    if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) { ::close(fd); throw Error("sim AMD-SP: pipe failed"); }
    listen_fd_ = fd;
    path_ = path;
    thr_ = std::thread([this] { serve_loop(); });
}

void SimAmdSp::stop() {
    if (listen_fd_ < 0) return;
    char c = 'x';
    (void)!::write(stop_pipe_[1], &c, 1);
    if (thr_.joinable()) thr_.join();
    ::close(listen_fd_);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
    listen_fd_ = -1;
    ::unlink(path_.c_str());
}

void SimAmdSp::serve_loop() {
    for (;;) {
        pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) { if (errno == EINTR) continue; return; }
        if (p[1].revents) return;
        if (p[0].revents & POLLIN) {
            int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) { serve_conn(c); ::close(c); }
        }
    }
}

void SimAmdSp::serve_conn(int fd) {
    std::string buf;
    bool discarding = false;
    char tmp[4096];
    for (;;) {
        pollfd p[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) { if (errno == EINTR) continue; return; }
        if (p[1].revents) return;
        ssize_t n = ::read(fd, tmp, sizeof tmp);
        if (n <= 0) return;
        buf.append(tmp, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = buf.find('\n')) != std::string::npos) {
            std::string line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            std::string resp;
            if (discarding) { discarding = false; errors_++; resp = error_line("request longer than 4096 bytes"); }
            else if (line.empty()) continue;
            else resp = handle_line(line);
            resp += '\n';
            std::size_t off = 0;
            while (off < resp.size()) {
                ssize_t w = ::send(fd, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
                if (w <= 0) return;
                off += static_cast<std::size_t>(w);
            }
        }
        if (buf.size() > kMaxRequestLine) { buf.clear(); discarding = true; }
    }
}

}  // namespace kettle::runner
