// DSSE: PAE (spec vector), envelopes, ephemeral P-256 signing checked with openssl, REPORT_DATA layout,
// base64 and evidence.json.
#include <catch2/catch_test_macros.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <mbedtls/x509_crt.h>

#include "kettle/core/base64.hpp"
#include "kettle/provenance/binding.hpp"
#include "kettle/provenance/dsse.hpp"
#include "kettle/core/error.hpp"
#include "kettle/provenance/evidence.hpp"
#include "kettle/core/hash.hpp"

#include "test_support.hpp"

using namespace kettle;
namespace fs = std::filesystem;

namespace {


bool have_openssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("PAE matches the DSSE spec's own test vector", "[dsse]") {
    // secure-systems-lab/dsse protocol.md
    Bytes p = dsse_pae("http://example.com/HelloWorld", as_bytes("hello world"));
    CHECK(to_string(p) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    CHECK(to_string(dsse_pae(kInTotoPayloadType, as_bytes("{}"))) == "DSSEv1 28 application/vnd.in-toto+json 2 {}");
    CHECK(to_string(dsse_pae("", {})) == "DSSEv1 0  0 ");
}

TEST_CASE("base64 follows RFC 4648 and is strict", "[dsse]") {
    // RFC 4648 section 10 test vectors.
    CHECK(base64_encode(as_bytes("")) == "");
    CHECK(base64_encode(as_bytes("f")) == "Zg==");
    CHECK(base64_encode(as_bytes("fo")) == "Zm8=");
    CHECK(base64_encode(as_bytes("foobar")) == "Zm9vYmFy");
    CHECK(to_string(base64_decode("Zm9vYg==")) == "foob");
    CHECK(to_string(base64_decode("Zm9vYg", "t", true)) == "foob");      // unpadded URL-safe form
    CHECK(base64_decode("-_8=", "t", true) == Bytes{0xfb, 0xff});
    CHECK_THROWS_AS(base64_decode("-_8="), Error);                      // URL-safe not allowed here
    CHECK_THROWS_AS(base64_decode("Zm9vYg"), Error);                    // missing padding
    CHECK_THROWS_AS(base64_decode("Zm9v\nYg=="), Error);                // whitespace
    CHECK_THROWS_AS(base64_decode("Zh=="), Error);                      // non-zero trailing bits
    CHECK_THROWS_AS(base64_decode("Zm9vYmFy", "t", false, 5), Error);   // bound
}

TEST_CASE("REPORT_DATA = SHA-256(S) || SHA-256(SPKI DER)", "[dsse][binding]") {
    // SHA-256("abc") and SHA-256("") from FIPS 180-2 / well-known values.
    ReportData rd = binding_report_data(as_bytes("abc"), {});
    CHECK(hex(ByteView(rd.data(), 32)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex(ByteView(rd.data() + 32, 32)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(binding_matches(ByteView(rd.data(), 64), as_bytes("abc"), {}));
    ReportData bad = rd;
    bad[63] ^= 1;
    CHECK_FALSE(binding_matches(ByteView(bad.data(), 64), as_bytes("abc"), {}));
    CHECK_FALSE(binding_matches(ByteView(rd.data(), 63), as_bytes("abc"), {}));
    CHECK(std::string(kBindingLayout) == "kettle-binding/v1");
}

TEST_CASE("sign -> envelope -> verify round trip, checked with the openssl CLI", "[dsse]") {
    EcdsaP256Key key = EcdsaP256Key::generate();
    Bytes spki = key.spki_der();
    CHECK(spki.size() == 91);
    CHECK(key.keyid() == hex(sha256(spki)));
    std::string pem = key.public_pem();
    CHECK(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
    CHECK(public_pem_to_spki_der(pem) == spki);

    const std::string payload = R"({"_type":"https://in-toto.io/Statement/v1","subject":[]})";
    DsseEnvelope env = dsse_sign(kInTotoPayloadType, as_bytes(payload), key);
    std::string line = dsse_envelope_jsonl(env);
    CHECK(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);

    DsseEnvelope back = dsse_parse_envelope(line);
    CHECK(back.payload_type == kInTotoPayloadType);
    CHECK(to_string(back.payload) == payload);
    REQUIRE(back.signatures.size() == 1);
    CHECK(back.signatures[0].keyid == key.keyid());
    CHECK(dsse_verify(as_bytes(pem), back.payload_type, back.payload, back.signatures[0].sig));
    CHECK(dsse_verify(spki, back.payload_type, back.payload, back.signatures[0].sig));
    Bytes tampered = back.payload;
    tampered[5] ^= 1;
    CHECK_FALSE(dsse_verify(spki, back.payload_type, tampered, back.signatures[0].sig));
    CHECK_FALSE(dsse_verify(spki, "application/vnd.in-toto.provenance+json", back.payload, back.signatures[0].sig));
    EcdsaP256Key other = EcdsaP256Key::generate();
    CHECK(other.keyid() != key.keyid());
    CHECK_FALSE(dsse_verify(other.spki_der(), back.payload_type, back.payload, back.signatures[0].sig));

    if (!have_openssl()) SKIP("openssl CLI not present");
    test::TempDir t;
    write_file(t / "key.pem", pem);
    write_file(t / "pae.bin", dsse_pae(kInTotoPayloadType, as_bytes(payload)));
    write_file(t / "sig.der", back.signatures[0].sig);
    std::string verify = "openssl dgst -sha256 -verify " + (t / "key.pem") + " -signature " + (t / "sig.der") + " " +
                         (t / "pae.bin") + " >/dev/null 2>&1";
    CHECK(std::system(verify.c_str()) == 0);
    // keyid: openssl's own DER encoding of the PEM key, hashed by openssl.
    std::string cmd = "openssl pkey -pubin -in " + (t / "key.pem") + " -outform DER | openssl dgst -sha256 -r > " +
                      (t / "kid.txt");
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(to_string(read_file(t / "kid.txt")).substr(0, 64) == key.keyid());
    // And a signature made by openssl with its own key verifies in ours (DER interop both ways).
    std::string mk = "openssl ecparam -name prime256v1 -genkey -noout -out " + (t / "o.key") +
                     " && openssl ec -in " + (t / "o.key") + " -pubout -out " + (t / "o.pub") +
                     " 2>/dev/null && openssl dgst -sha256 -sign " + (t / "o.key") + " -out " + (t / "o.sig") + " " +
                     (t / "pae.bin");
    REQUIRE(std::system(mk.c_str()) == 0);
    CHECK(dsse_verify(read_file(t / "o.pub"), kInTotoPayloadType, as_bytes(payload), read_file(t / "o.sig")));
}

TEST_CASE("envelope parsing is strict", "[dsse]") {
    CHECK_THROWS_AS(dsse_parse_envelope(R"({"payload":"e30=","payloadType":"x","signatures":[]})"), Error);
    CHECK_THROWS_AS(dsse_parse_envelope(R"({"payload":"e30=","signatures":[{"sig":"AA=="}]})"), Error);
    CHECK_THROWS_AS(dsse_parse_envelope(R"({"payload":"e30=","payload":"e30=","payloadType":"x","signatures":[{"sig":"AA=="}]})"),
                    Error);
    auto env = dsse_parse_envelope(R"({"payload":"e30","payloadType":"x","signatures":[{"sig":"_w"}],"extra":1})");
    CHECK(to_string(env.payload) == "{}");
    CHECK(env.signatures[0].sig == Bytes{0xff});
    CHECK_THROWS_AS(public_pem_to_spki_der("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), Error);
}

TEST_CASE("evidence.json round trip and strictness", "[evidence]") {
    Evidence ev;
    ev.platform = "sim-snp";
    ev.report = Bytes(1184, 0x5a);
    ev.certificates = {{"vcek", Bytes{1, 2, 3}}, {"ark", Bytes{4}}};
    ev.signing_key_pem = "-----BEGIN PUBLIC KEY-----\nX\n-----END PUBLIC KEY-----\n";
    std::string j = evidence_json(ev);
    CHECK(j.rfind(R"({"boot_event_logs":[],"ccel_table":"","certificates":[{"der":"AQID","type":"vcek"},{"der":"BA==","type":"ark"}],)"
                  R"("guest_registers":{"rtmrs":[],"tpm_pcrs":{}},"platform":"sim-snp",)", 0) == 0);
    CHECK(j.find(R"("report_data_layout":"kettle-binding/v1","schema":"kettle-evidence/v1")") != std::string::npos);
    Evidence back = parse_evidence(j);
    CHECK(back.platform == "sim-snp");
    CHECK(back.report == ev.report);
    CHECK(back.certificates.size() == 2);
    CHECK(back.certificates[1].type == "ark");
    CHECK(back.signing_key_pem == ev.signing_key_pem);
    ev.platform = "sgx";
    CHECK_THROWS_AS(evidence_json(ev), Error);
    CHECK_THROWS_AS(parse_evidence(R"({"schema":"kettle-evidence/v2"})"), Error);
    std::string bad = j;
    bad.replace(bad.find("\"vcek\""), 6, "\"vlekx\"");
    CHECK_THROWS_AS(parse_evidence(bad), Error);
}

TEST_CASE("evidence.json boot members: round trip, optional, bounded", "[evidence]") {
    Evidence ev;
    ev.platform = "tdx";
    ev.report = Bytes(100, 1);
    ev.signing_key_pem = "k";
    ev.boot.logs.push_back({"ccel", "tcg2-crypto-agile", Bytes{1, 2, 3}, false});
    ev.boot.logs.push_back({"tpm", "tcg2-crypto-agile", Bytes(5, 9), true});
    ev.boot.ccel_table = Bytes(56, 7);
    ev.boot.registers.tpm_pcrs["sha256"][4] = Bytes(32, 0xab);
    ev.boot.registers.tpm_pcrs["sha384"][23] = Bytes(48, 0xcd);
    ev.boot.registers.rtmrs = {Bytes(48, 1), Bytes(48, 2), Bytes(48, 3), Bytes(48, 4)};
    const std::string j = evidence_json(ev);
    CHECK(j.find(R"("boot_event_logs":[{"data":"AQID","format":"tcg2-crypto-agile","source":"ccel","truncated":false},)") !=
          std::string::npos);
    CHECK(j.find(R"("sha256":{"4":")" + hex(Bytes(32, 0xab)) + "\"}") != std::string::npos);
    const Evidence back = parse_evidence(j);
    REQUIRE(back.boot.logs.size() == 2);
    CHECK(back.boot.logs[1].truncated);
    CHECK(back.boot.logs[0].data == Bytes({1, 2, 3}));
    CHECK(back.boot.ccel_table == ev.boot.ccel_table);
    CHECK(back.boot.registers.tpm_pcrs.at("sha384").at(23) == Bytes(48, 0xcd));
    CHECK(back.boot.registers.rtmrs[3] == Bytes(48, 4));
    // Written before the boot members existed: still accepted.
    CHECK(parse_evidence(R"({"certificates":[],"platform":"none","report":"","report_data_layout":"kettle-binding/v1",)"
                         R"("schema":"kettle-evidence/v1","signing_key":"k"})").boot.logs.empty());
    auto bad = [&](const std::string& from, const std::string& to) {
        std::string t = j;
        const auto p = t.find(from);
        REQUIRE(p != std::string::npos);
        t.replace(p, from.size(), to);
        return t;
    };
    CHECK_THROWS_AS(parse_evidence(bad(R"("source":"ccel")", R"("source":"uefi")")), Error);
    CHECK_THROWS_AS(parse_evidence(bad(R"("format":"tcg2-crypto-agile","source":"ccel")", R"("format":"tcg1","source":"ccel")")), Error);
    CHECK_THROWS_AS(parse_evidence(bad(R"("sha384":{"23")", R"("sha384":{"24")")), Error);
    CHECK_THROWS_AS(parse_evidence(bad(R"("sha384":{"23")", R"("sha384":{"07")")), Error);
    CHECK_THROWS_AS(parse_evidence(bad(R"("sha256":{"4":")", R"("sm3":{"4":")")), Error);
    CHECK_THROWS_AS(parse_evidence(bad(R"("truncated":false)", R"("truncated":"no")")), Error);
    CHECK_THROWS_AS(parse_evidence(bad(R"("rtmrs":[")", R"("rtmrs":["00",")")), Error);
    Evidence big = ev;
    big.boot.logs[0].data.resize(kMaxBootEventLog + 1);
    CHECK_THROWS_AS(evidence_json(big), Error);
}

TEST_CASE("SNP certificate table: GUID layout, bounds, ASVK told apart by subject", "[evidence]") {
    // Hand-built table: one VCEK entry with the GHCB GUID in RFC 4122 byte order, then the terminator.
    Bytes t = unhex("63da758de6644564adc5f4b93be8accd" "30000000" "03000000");
    t.resize(48, 0);
    t.push_back(0xaa); t.push_back(0xbb); t.push_back(0xcc);
    auto e = parse_snp_cert_table(t);
    REQUIRE(e.size() == 1);
    CHECK(e[0].type == "vcek");
    CHECK(e[0].der == Bytes{0xaa, 0xbb, 0xcc});
    CHECK(build_snp_cert_table(e) == t);
    CHECK(parse_snp_cert_table({}).empty());
    CHECK(parse_snp_cert_table(Bytes(4096, 0)).empty());

    Bytes oob = t;
    oob[20] = 4;  // length 4 runs past the end
    CHECK_THROWS_AS(parse_snp_cert_table(oob), Error);
    Bytes noterm(t.begin(), t.begin() + 24);
    CHECK_THROWS_AS(parse_snp_cert_table(noterm), Error);
    Bytes huge = t;
    huge[16] = 0xff; huge[17] = 0xff; huge[18] = 0xff; huge[19] = 0xff;  // offset 0xffffffff
    CHECK_THROWS_AS(parse_snp_cert_table(huge), Error);
    Bytes unknown = t;
    unknown[0] ^= 0xff;  // unknown GUID: skipped
    CHECK(parse_snp_cert_table(unknown).empty());

    const std::string shared = test::fixture("snp");
    // Real AMD certificates: the Milan VLEK chain (ASVK "SEV-VLEK-Milan", then ARK) and a VLEK.
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    std::string path = shared + "/roots/ask_ark_milan_vlek.pem";
    REQUIRE(mbedtls_x509_crt_parse_file(&chain, path.c_str()) == 0);
    REQUIRE(chain.next != nullptr);
    Bytes asvk(chain.raw.p, chain.raw.p + chain.raw.len);
    Bytes ark(chain.next->raw.p, chain.next->raw.p + chain.next->raw.len);
    mbedtls_x509_crt_free(&chain);
    Bytes vlek = read_file(shared + "/trustee-milan-vlek-v3/vlek.der");
    Bytes table = build_snp_cert_table({{"vlek", vlek}, {"ask", asvk}, {"ark", ark}});
    auto got = parse_snp_cert_table(table);
    REQUIRE(got.size() == 3);
    CHECK(got[0].type == "vlek");
    CHECK(got[1].type == "asvk");
    CHECK(got[1].der == asvk);
    CHECK(got[2].type == "ark");
    CHECK(got[2].der == ark);
}
