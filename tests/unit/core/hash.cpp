// SHA-2 known answers from FIPS 180-4 / NIST CSRC examples ("abc", the 448-bit message, a million 'a').
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "test_support.hpp"

using namespace kettle;

TEST_CASE("SHA-256/384/512 of \"abc\" match NIST examples", "[hash]") {
    CHECK(hex(sha256(std::string_view("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex(sha384(std::string_view("abc"))) ==
          "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    CHECK(hex(sha512(as_bytes("abc"))) ==
          "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
          "454d4423643ce80e2a9ac94fa54ca49f");
}

TEST_CASE("SHA-256 of the 448-bit two-block message", "[hash]") {
    CHECK(hex(sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("streaming in odd-sized pieces equals one shot (a million 'a')", "[hash]") {
    std::string a(1000000, 'a');
    Hasher h(HashAlg::sha384);
    std::size_t off = 0, step = 1;
    while (off < a.size()) {
        std::size_t n = std::min(step, a.size() - off);
        h.update(std::string_view(a).substr(off, n));
        off += n;
        step = step * 3 + 1;
    }
    CHECK(hex(h.finish()) ==
          "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985");
    CHECK(hex(sha256(std::string_view(a))) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("a finished hasher refuses further use", "[hash]") {
    Hasher h(HashAlg::sha256);
    h.finish();
    CHECK_THROWS_AS(h.update(std::string_view("x")), Error);
}

TEST_CASE("sha256_file matches sha256sum", "[hash]") {
    test::TempDir d;
    std::string p = d.str() + "/f";
    std::string data;
    for (int i = 0; i < 300000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
    write_file(p, data);
    std::string want = test::run_host("sha256sum " + p).substr(0, 64);
    CHECK(hex(sha256_file(p)) == want);
    CHECK_THROWS_AS(sha256_file(d.str() + "/missing"), Error);
}

TEST_CASE("hex round trip and rejects", "[bytes]") {
    CHECK(hex(unhex("00ffA5")) == "00ffa5");
    CHECK_THROWS_AS(unhex("abc"), Error);
    CHECK_THROWS_AS(unhex("zz"), Error);
    Bytes b = unhex("0102030405060708");
    CHECK(le16(b, 0) == 0x0201);
    CHECK(le32(b, 4) == 0x08070605u);
    CHECK(le64(b, 0) == 0x0807060504030201ull);
    CHECK_THROWS_AS(le32(b, 5), Error);
    CHECK_THROWS_AS(slice(b, 4, 5), Error);
    CHECK(slice(b, 8, 0).empty());
}
