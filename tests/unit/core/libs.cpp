// One binary links every C library Kettle uses; each is exercised against an outside oracle
// (host tar+zstd, openssl, git, and public SEV-SNP fixtures).
#include <algorithm>
#include <fstream>
#include <map>
#include <string>

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch_test_macros.hpp>
#include <git2.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"
#include "test_support.hpp"

using namespace kettle;

TEST_CASE("libarchive reads a .tar.zst made by host tar --zstd", "[libs][libarchive]") {
    test::TempDir d;
    std::filesystem::create_directories(d / "in/sub");
    write_file(d / "in/a.txt", std::string_view("alpha\n"));
    std::string big(200000, 'z');
    write_file(d / "in/sub/big.bin", big);
    test::run_host("cd " + d.str() + "/in && tar --zstd --sort=name -cf ../t.tar.zst a.txt sub");

    archive* a = archive_read_new();
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
    REQUIRE(archive_read_open_filename(a, (d.str() + "/t.tar.zst").c_str(), 65536) == ARCHIVE_OK);
    std::map<std::string, std::string> got;
    archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        if (archive_entry_filetype(e) != AE_IFREG) continue;
        Hasher h(HashAlg::sha256);
        const void* buf;
        size_t len;
        la_int64_t off;
        while (archive_read_data_block(a, &buf, &len, &off) == ARCHIVE_OK)
            h.update(ByteView(static_cast<const std::uint8_t*>(buf), len));
        got[archive_entry_pathname(e)] = hex(h.finish());
    }
    CHECK(std::string(archive_filter_name(a, 0)) == "zstd");
    archive_read_free(a);
    REQUIRE(got.size() == 2);
    CHECK(got["a.txt"] == test::run_host("printf 'alpha\\n' | sha256sum").substr(0, 64));
    CHECK(got["sub/big.bin"] == hex(sha256(std::string_view(big))));
}

// Verify an ECDSA P-384 signature with mbedTLS: `pub` from an X.509 certificate, (r, s) big-endian.
static bool ecdsa_p384_verify(mbedtls_x509_crt& crt, ByteView digest, ByteView r_be, ByteView s_be) {
    REQUIRE(mbedtls_pk_get_type(&crt.pk) == MBEDTLS_PK_ECKEY);
    mbedtls_ecp_keypair* kp = mbedtls_pk_ec(crt.pk);
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    REQUIRE(mbedtls_ecp_export(kp, &grp, nullptr, &q) == 0);
    CHECK(grp.id == MBEDTLS_ECP_DP_SECP384R1);
    REQUIRE(mbedtls_mpi_read_binary(&r, r_be.data(), r_be.size()) == 0);
    REQUIRE(mbedtls_mpi_read_binary(&s, s_be.data(), s_be.size()) == 0);
    int rc = mbedtls_ecdsa_verify(&grp, digest.data(), digest.size(), &q, &r, &s);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc == 0;
}

TEST_CASE("mbedTLS verifies an ECDSA P-384 signature made by openssl", "[libs][mbedtls]") {
    test::TempDir d;
    std::string k = d.str() + "/k.pem", c = d.str() + "/c.der", m = d.str() + "/msg", sig = d.str() + "/sig.der";
    write_file(m, std::string_view("kettle attests builds"));
    test::run_host("openssl ecparam -name secp384r1 -genkey -noout -out " + k + " 2>/dev/null && openssl req -new -x509 -key " +
                   k + " -subj /CN=t -days 1 -outform DER -out " + c + " && openssl dgst -sha384 -sign " + k + " -out " +
                   sig + " " + m);
    Bytes der = read_file(c), sigder = read_file(sig);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    REQUIRE(mbedtls_x509_crt_parse_der(&crt, der.data(), der.size()) == 0);
    Bytes digest = sha384(as_bytes("kettle attests builds"));
    CHECK(mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA384, digest.data(), digest.size(), sigder.data(), sigder.size()) == 0);
    digest[0] ^= 1;
    CHECK(mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA384, digest.data(), digest.size(), sigder.data(), sigder.size()) != 0);
    mbedtls_x509_crt_free(&crt);
}

TEST_CASE("mbedTLS verifies a real SEV-SNP report signature under its VCEK", "[libs][mbedtls]") {
    const std::string sample = test::fixture("snp/virtee-sev-milan-v2");
    Bytes report = read_file(sample + "/report.bin");
    Bytes vcek = read_file(sample + "/vcek.der");
    REQUIRE(report.size() == 0x4A0);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    REQUIRE(mbedtls_x509_crt_parse_der(&crt, vcek.data(), vcek.size()) == 0);
    // Signed region 0x000..0x29F; r and s are 72-byte little-endian fields at 0x2A0 and 0x2E8.
    Bytes r(report.begin() + 0x2A0, report.begin() + 0x2A0 + 48), s(report.begin() + 0x2E8, report.begin() + 0x2E8 + 48);
    std::reverse(r.begin(), r.end());
    std::reverse(s.begin(), s.end());
    Bytes digest = sha384(ByteView(report.data(), 0x2A0));
    CHECK(ecdsa_p384_verify(crt, digest, r, s));
    report[21] ^= 0x80;  // the upstream negative test: flip bit 7 of byte 21
    CHECK_FALSE(ecdsa_p384_verify(crt, sha384(ByteView(report.data(), 0x2A0)), r, s));
    mbedtls_x509_crt_free(&crt);
}

TEST_CASE("libgit2 reads the tree id of HEAD as git does", "[libs][libgit2]") {
    test::TempDir d;
    std::string repo = d.str() + "/r";
    test::run_host("git init -q " + repo + " && cd " + repo +
                   " && printf 'one\\n' > a && mkdir -p s && printf 'two\\n' > s/b"
                   " && git add -A && GIT_AUTHOR_DATE='2025-01-01T00:00:00Z' GIT_COMMITTER_DATE='2025-01-01T00:00:00Z'"
                   " git -c user.name=t -c user.email=t@t commit -qm one");
    std::string want_tree = test::run_host("git -C " + repo + " rev-parse 'HEAD^{tree}'").substr(0, 40);
    std::string want_head = test::run_host("git -C " + repo + " rev-parse HEAD").substr(0, 40);

    git_libgit2_init();
    git_repository* r = nullptr;
    REQUIRE(git_repository_open(&r, repo.c_str()) == 0);
    git_oid head;
    REQUIRE(git_reference_name_to_id(&head, r, "HEAD") == 0);
    git_commit* c = nullptr;
    REQUIRE(git_commit_lookup(&c, r, &head) == 0);
    char buf[GIT_OID_HEXSZ + 1];
    CHECK(std::string(git_oid_tostr(buf, sizeof buf, &head)) == want_head);
    CHECK(std::string(git_oid_tostr(buf, sizeof buf, git_commit_tree_id(c))) == want_tree);
    git_commit_free(c);
    git_repository_free(r);
    git_libgit2_shutdown();
}
