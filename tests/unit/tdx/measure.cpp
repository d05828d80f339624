// TDX: CCEL replay against a hardware TD quote (tests/data/tdx, google/go-tdx-guest COS-113 vector),
// Authenticode against osslsigncode (tests/data/authenticode-oracle.json), MRTD against regression
// values recorded for Debian 12 OVMF.fd (docs/measurement.md, "How this is tested").
#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/pe.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/tdx/measure.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::boot;
using namespace kettle::tdx;

namespace {

std::string ccel_dir() {
    return test::fixture("tdx/go-tdx-guest/ccel");
}

// TD quote v4: 48-byte header, then the TD report body: TEE_TCB_SVN(16) MRSEAM(48) MRSIGNERSEAM(48)
// SEAMATTRIBUTES(8) TDATTRIBUTES(8) XFAM(8) MRTD(48) MRCONFIGID(48) MROWNER(48) MROWNERCONFIG(48) RTMR0..3.
std::string quote_rtmr(const Bytes& quote, int i) {
    REQUIRE(le16(quote, 0) == 4);
    return hex(slice(quote, 48 + 328 + 48 * std::size_t(i), 48));
}

std::string data_file(const char* name) { return std::string(KETTLE_SOURCE_DIR) + "/tests/data/" + name; }

}  // namespace

TEST_CASE("CCEL table of the COS-113 TD", "[tdx][measure]") {
    auto t = parse_ccel_table(read_file(ccel_dir() + "/ccel_table.dat"));
    CHECK(t.cc_type == 2);
    CHECK(t.laml == 0x40000);
    CHECK(t.lasa == 0xbedbf000);
    Bytes bad = read_file(ccel_dir() + "/ccel_table.dat");
    bad[40] ^= 1;  // checksum no longer sums to zero
    CHECK_THROWS_AS(parse_ccel_table(bad), Error);
}

TEST_CASE("CCEL replay reproduces the RTMRs of the COS-113 hardware quote", "[tdx][measure]") {
    const std::string dir = ccel_dir();
    const auto events = parse_ccel_log(read_file(dir + "/ccel_data_trimmed.dat"));
    CHECK(events.size() == 43);
    const auto r = replay_rtmrs(events);
    const Bytes quote = read_file(dir + "/cos-113-tdx-quote.dat");
    for (int i = 0; i < 4; ++i) CHECK(hex(r[i]) == quote_rtmr(quote, i));
    CHECK(hex(r[0]) ==
          "3fa2f61f395b7f5feefb4ec2df61297f109ad8abcd6410c1b7df60f21f37b19297fc35e544039c7e1edece752afd17f6");
    CHECK(hex(r[3]) == std::string(96, '0'));
}

TEST_CASE("the fixed OVMF boot events of RTMR1 match a hardware event log", "[tdx][measure]") {
    // EV_EFI_ACTION and EV_SEPARATOR digests are SHA-384 of their event data; the boot prediction (kettle/boot/measured_boot.hpp) relies on it.
    const auto events = parse_ccel_log(read_file(ccel_dir() + "/ccel_data_trimmed.dat"));
    int actions = 0, separators = 0;
    for (const auto& e : events) {
        if (e.event_type == 0x80000007) {
            CHECK(hex(e.digest) == hex(sha384(e.data)));
            ++actions;
        }
        if (e.event_type == 0x4) {
            CHECK(hex(e.data) == "00000000");
            CHECK(hex(e.digest) == hex(sha384(e.data)));
            ++separators;
        }
    }
    CHECK(actions == 3);
    CHECK(separators == 2);
}

TEST_CASE("hostile CCEL logs fail closed", "[tdx][measure]") {
    const Bytes log = read_file(ccel_dir() + "/ccel_data_trimmed.dat");
    CHECK_THROWS_AS(parse_ccel_log(Bytes(10, 0)), Error);
    Bytes t = log;
    t[28] = 0xff;  // Spec ID event size
    t[29] = 0xff;
    t[30] = 0xff;
    CHECK_THROWS_AS(parse_ccel_log(t), Error);
    // Truncated in the middle of an event: an error, never a silent partial replay.
    CHECK_THROWS_AS(parse_ccel_log(ByteView(log).first(5000)), Error);
    // Any single-byte corruption either parses or throws kettle::Error.
    for (std::size_t off = 0; off < 2000; off += 3) {
        Bytes c = log;
        c[off] ^= 0x5a;
        try {
            (void)parse_ccel_log(c);
        } catch (const Error&) {
        }
    }
}

TEST_CASE("Authenticode digests match osslsigncode", "[tdx][measure]") {
    const Json o = parse_strict(to_string(read_file(data_file("authenticode-oracle.json"))));
    for (const auto& f : o.at("files")) {
        const Bytes pe = read_file(data_file(f.at("file").get<std::string>().c_str()));
        REQUIRE(pe.size() == f.at("size").get<std::size_t>());
        // osslsigncode pads the image to a multiple of 8 before hashing (it appends the signature there);
        // for 8-aligned files both variants coincide.
        CHECK(hex(authenticode_digest(pe, HashAlg::sha384, /*pad_to_8=*/true)) == f.at("sha384").get<std::string>());
        if (pe.size() % 8 == 0)
            CHECK(hex(authenticode_digest(pe, HashAlg::sha384, false)) == f.at("sha384").get<std::string>());
        if (f.contains("sha256"))
            CHECK(hex(authenticode_digest(pe, HashAlg::sha256)) == f.at("sha256").get<std::string>());
    }
}

TEST_CASE("Authenticode excludes CheckSum and rejects malformed PEs", "[tdx][measure]") {
    Bytes pe = read_file(data_file("synthetic-pe-aligned.efi"));
    const auto base = authenticode_digest(pe);
    Bytes t = pe;
    t[0x98 + 64] ^= 0xff;  // CheckSum
    CHECK(authenticode_digest(t) == base);
    t = pe;
    t[0x500] ^= 1;  // inside .text
    CHECK(authenticode_digest(t) != base);
    t = pe;
    t[0] = 'X';
    CHECK_THROWS_AS(authenticode_digest(t), Error);
    t = pe;
    t[0x3c] = 0xf0;  // e_lfanew past the end
    t[0x3d] = 0xff;
    CHECK_THROWS_AS(authenticode_digest(t), Error);
    CHECK_THROWS_AS(authenticode_digest(ByteView(pe).first(0x300)), Error);
}

TEST_CASE("MRTD of Debian 12 OVMF.fd (recorded regression values)", "[tdx][measure]") {
    const char* env = std::getenv("KETTLE_DEBIAN_OVMF");
    std::string path = env ? env : "/usr/share/ovmf/OVMF.fd";
    if (!std::filesystem::exists(path)) SKIP("Debian 12 OVMF.fd not present (apt-get install ovmf, or KETTLE_DEBIAN_OVMF)");
    const Bytes fw = read_file(path);
    if (hex(sha256(fw)) != "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773")
        SKIP("OVMF.fd is not ovmf 2022.11-6+deb12u2");
    const auto secs = parse_tdvf_metadata(fw);
    REQUIRE(secs.size() == 6);
    CHECK(secs[0].gpa == 0xffe20000);
    CHECK(secs[0].mem_size == 0x1e0000);
    CHECK(secs[0].attributes == 1);
    CHECK(secs[4].type == 2);  // TD_HOB
    CHECK(hex(mrtd(fw, MrtdOrder::single_pass)) ==
          "4c7206f0f483c524f12c366c711e9049030a8d47c471ee5aa9c4999a08de4057fb887fed0744d5631a212967fb231c47");
    CHECK(hex(mrtd(fw, MrtdOrder::two_pass)) ==
          "acccbcc870a381adab0d3919d90a7f268ac3b0364771f202ed4bb4e892d045b33db3b32e6924cba830a724eed443f7e1");
}

TEST_CASE("TDVF metadata is required and bounded", "[tdx][measure]") {
    CHECK_THROWS_AS(mrtd(Bytes(8192, 0), MrtdOrder::single_pass), Error);
}
