// TCG2 crypto-agile event logs in every bank: the public COS-113 CCEL (google/go-tdx-guest, replayed against its
// hardware quote in tests/unit/tdx/measure.cpp) and hand-built multi-bank logs; hostile logs fail closed.
#include <catch2/catch_test_macros.hpp>

#include <cstring>

#include "kettle/boot/eventlog.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "tcg_log_builder.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::boot;
using kettle::test::event2;
using kettle::test::spec_id;

namespace {

Bytes cos_log() { return read_file(test::fixture("tdx/go-tdx-guest/ccel") + "/ccel_data_trimmed.dat"); }

}  // namespace

TEST_CASE("the COS-113 CCEL parses as one SHA-384 bank and stops at the 0xFF padding", "[boot][eventlog]") {
    const Bytes raw = cos_log();
    const EventLog l = parse_tcg2_log(raw);
    REQUIRE(l.algorithms.size() == 1);
    CHECK(l.algorithms[0].id == kTpmAlgSha384);
    CHECK(l.algorithms[0].digest_size == 48);
    CHECK(l.events.size() == 43);
    CHECK(l.used < raw.size());
    CHECK(raw[l.used] == 0xff);
    // The generic replay and the TDX-specific one agree (RTMR i = CC MR index i + 1).
    const auto regs = replay(l, kTpmAlgSha384);
    const auto ccel = parse_ccel_log(raw);
    REQUIRE(ccel.size() == l.events.size());
    CHECK(regs.count(0) == 0);  // nothing extends MRTD through the log
    CHECK(hex(regs.at(1)) ==
          "3fa2f61f395b7f5feefb4ec2df61297f109ad8abcd6410c1b7df60f21f37b19297fc35e544039c7e1edece752afd17f6");
    CHECK_THROWS_AS(replay(l, kTpmAlgSha256), Error);  // the log has no SHA-256 digests
}

TEST_CASE("a two-bank TPM log replays each bank, StartupLocality sets PCR 0's start", "[boot][eventlog]") {
    Bytes log = spec_id({{kTpmAlgSha256, 32}, {kTpmAlgSha384, 48}});
    Bytes locality(16, 0);
    std::memcpy(locality.data(), "StartupLocality", 15);
    locality.push_back(3);
    event2(log, 0, kEvNoAction, {{kTpmAlgSha256, Bytes(32, 0)}, {kTpmAlgSha384, Bytes(48, 0)}}, locality);
    const std::string text = "kettle";
    const Bytes d(text.begin(), text.end());
    event2(log, 0, 0x8, {{kTpmAlgSha256, sha256(d)}, {kTpmAlgSha384, sha384(d)}}, d);
    event2(log, 4, kEvSeparator, {{kTpmAlgSha384, sha384(Bytes(4, 0))}, {kTpmAlgSha256, sha256(Bytes(4, 0))}}, Bytes(4, 0));
    const EventLog l = parse_tcg2_log(log);
    REQUIRE(l.events.size() == 3);
    CHECK(l.used == log.size());
    auto extend = [](HashAlg a, Bytes reg, const Bytes& dig) {
        Hasher h(a);
        h.update(reg);
        h.update(dig);
        return h.finish();
    };
    Bytes pcr0(32, 0);
    pcr0[31] = 3;
    const auto r256 = replay(l, kTpmAlgSha256);
    CHECK(r256.at(0) == extend(HashAlg::sha256, pcr0, sha256(d)));
    CHECK(r256.at(4) == extend(HashAlg::sha256, Bytes(32, 0), sha256(Bytes(4, 0))));
    const auto r384 = replay(l, kTpmAlgSha384);
    Bytes pcr0_384(48, 0);
    pcr0_384[47] = 3;
    CHECK(r384.at(0) == extend(HashAlg::sha384, pcr0_384, sha384(d)));
    CHECK(*l.events[2].digest(kTpmAlgSha256) == sha256(Bytes(4, 0)));
}

TEST_CASE("hostile TCG2 logs fail closed", "[boot][eventlog]") {
    const Bytes one = Bytes(4, 0);
    Bytes base = spec_id({{kTpmAlgSha256, 32}});
    SECTION("an algorithm listed with the wrong size") { CHECK_THROWS_AS(parse_tcg2_log(spec_id({{kTpmAlgSha256, 48}})), Error); }
    SECTION("an algorithm listed twice") {
        CHECK_THROWS_AS(parse_tcg2_log(spec_id({{kTpmAlgSha256, 32}, {kTpmAlgSha256, 32}})), Error);
    }
    SECTION("an unlisted algorithm in a record") {
        event2(base, 4, kEvSeparator, {{kTpmAlgSha384, Bytes(48, 0)}}, one);
        CHECK_THROWS_AS(parse_tcg2_log(base), Error);
    }
    SECTION("the same algorithm twice in a record") {
        base = spec_id({{kTpmAlgSha256, 32}, {kTpmAlgSha384, 48}});
        event2(base, 4, kEvSeparator, {{kTpmAlgSha256, Bytes(32, 0)}, {kTpmAlgSha256, Bytes(32, 0)}}, one);
        CHECK_THROWS_AS(parse_tcg2_log(base), Error);
    }
    SECTION("more digests than banks") {
        event2(base, 4, kEvSeparator, {{kTpmAlgSha256, Bytes(32, 0)}, {kTpmAlgSha256, Bytes(32, 0)}}, one);
        CHECK_THROWS_AS(parse_tcg2_log(base), Error);
    }
    SECTION("event data running past the end") {
        event2(base, 4, kEvSeparator, {{kTpmAlgSha256, Bytes(32, 0)}}, one);
        base.resize(base.size() - 1);
        CHECK_THROWS_AS(parse_tcg2_log(base), Error);
    }
    SECTION("a record without the bank asked for is an error in replay") {
        Bytes two = spec_id({{kTpmAlgSha256, 32}, {kTpmAlgSha384, 48}});
        event2(two, 4, kEvSeparator, {{kTpmAlgSha256, Bytes(32, 0)}}, one);
        const EventLog l = parse_tcg2_log(two);
        CHECK_NOTHROW(replay(l, kTpmAlgSha256));
        CHECK_THROWS_AS(replay(l, kTpmAlgSha384), Error);
    }
    SECTION("not a crypto-agile log") { CHECK_THROWS_AS(parse_tcg2_log(Bytes(64, 0)), Error); }
    SECTION("every single-byte corruption of a real log parses or throws kettle::Error") {
        const Bytes log = cos_log();
        for (std::size_t off = 0; off < 3000; off += 7) {
            Bytes c = log;
            c[off] ^= 0xa5;
            try {
                (void)replay(parse_tcg2_log(c), kTpmAlgSha384);
            } catch (const Error&) {
            }
        }
    }
}
