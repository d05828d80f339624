// The CCEL of a disk-booted TD held to its quote and to the prediction of our image. Known answers from outside:
// the public COS-113 CCEL and the hardware quote of the same TD (google/go-tdx-guest), and the RTMR0..2 that
// google/go-eventlog's own test expects for its COS-113 log with the duplicated separator (tests/data/README.md).
// The matcher tests use a hand-built prediction and hand-built logs: they test the rules (order, nothing else,
// 0-based indices), not the predictor, which is checked against a real firmware by tests/integration/diskboot_test.sh.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>

#include "../boot/tcg_log_builder.hpp"
#include "kettle/boot/boot_chain.hpp"
#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/tdx/boot_chain.hpp"
#include "kettle/tdx/quote.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::boot;
using kettle::test::event2;
using kettle::test::spec_id;

namespace {

std::string ccel_dir() { return test::fixture("tdx/go-tdx-guest/ccel"); }

std::array<std::array<std::uint8_t, 48>, 4> cos_quote_rtmrs() {
    return tdx::Quote::parse(read_file(ccel_dir() + "/cos-113-tdx-quote.dat")).body.rtmr;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

/// A small prediction: RTMR1 = action, separator, UKI; RTMR2 = initrd; one TPM-only event that must be ignored.
BootPrediction small_prediction() {
    BootPrediction p;
    auto add = [&](std::uint32_t mr, std::uint32_t type, const std::string& what, bool cc = true) {
        BootEvent e;
        e.pcr = mr == kCcMrRtmr1 ? 4 : 9;
        e.cc_mr_index = mr;
        e.event_type = type;
        e.what = what;
        e.digests[kTpmAlgSha384] = sha384(text(what));
        e.cc = cc;
        p.events.push_back(e);
    };
    add(kCcMrRtmr1, kEvEfiAction, "boot attempt");
    add(kCcMrRtmr1, kEvSeparator, "separator");
    add(0, kEvIpl, "systemd-stub section", false);
    add(kCcMrRtmr1, kEvEfiBootServicesApplication, "UKI Authenticode");
    add(kCcMrRtmr2, kEvEventTag, "initrd");
    return p;
}

struct LogEvent {
    std::uint32_t index, type;
    std::string what;
};

Bytes ccel_of(const std::vector<LogEvent>& events) {
    Bytes log = spec_id({{kTpmAlgSha384, 48}});
    for (const auto& e : events) event2(log, e.index, e.type, {{kTpmAlgSha384, sha384(text(e.what))}}, text(e.what));
    return log;
}

const std::vector<LogEvent> kGood = {
    {1, 0x80000008, "firmware config"},  // RTMR0: not covered by the prediction
    {2, kEvEfiAction, "boot attempt"},
    {2, kEvSeparator, "separator"},
    {2, kEvEfiBootServicesApplication, "UKI Authenticode"},
    {3, kEvEventTag, "initrd"},
};

/// Byte ranges [begin, end) of the COS-113 CCEL that a digest reaches: every digest of a counted record, and the
/// event data (EV_EFI_VARIABLE_BOOT: its VariableData) of the types whose digest is computed over it. Found by a
/// walk written here (TCG PC Client PFP §10.2), not by the parser under test.
std::vector<std::pair<std::size_t, std::size_t>> digested(const Bytes& b) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t off = 32 + le32(b, 28);
    while (off + 12 <= b.size()) {
        const std::uint32_t index = le32(b, off), type = le32(b, off + 4), count = le32(b, off + 8);
        if (index == 0xffffffffu || count == 0) break;
        off += 12;
        for (std::uint32_t i = 0; i < count; ++i) {
            REQUIRE(le16(b, off) == kTpmAlgSha384);
            if (type != kEvNoAction) out.push_back({off + 2, off + 50});
            off += 2 + 48;
        }
        const std::size_t size = le32(b, off);
        off += 4;
        const bool whole = type == 0x8 || type == kEvSeparator || type == kEvEfiAction || type == 0x80000006 ||
                           type == 0x80000001 || type == 0x800000E0;
        if (whole) out.push_back({off, off + size});
        if (type == 0x80000002) out.push_back({off + 32 + 2 * le64(b, off + 16), off + size});
        off += size;
    }
    return out;
}

}  // namespace

TEST_CASE("every digest the firmware computes over event data fits it, in every public log", "[tdx][bootchain]") {
    CHECK(check_event_data(parse_tcg2_log(read_file(ccel_dir() + "/ccel_data_trimmed.dat"))) == 16);
    CHECK(check_event_data(parse_tcg2_log(read_file(test::fixture("tdx/go-eventlog") +
                                                    "/cos-113-intel-tdx-dupe-separator-unpadded.bin"))) == 16);
    CHECK(check_event_data(parse_tcg2_log(read_file(test::fixture("tpm/go-eventlog") + "/cos-101-amd-sev.bin"))) == 24);
}

TEST_CASE("a flipped byte anywhere a digest reaches fails", "[tdx][bootchain]") {
    const Bytes raw = read_file(ccel_dir() + "/ccel_data_trimmed.dat");
    const auto q = cos_quote_rtmrs();
    const std::size_t used = parse_tcg2_log(raw).used;
    std::size_t flips = 0, undetected = 0;
    std::vector<std::size_t> missed;
    for (auto [begin, end] : digested(raw)) {
        for (std::size_t off = begin; off < end; ++off) {
            Bytes c = raw;
            c[off] ^= 0x01;
            ++flips;
            try {
                const EventLog l = parse_tcg2_log(c);
                check_event_data(l);
                (void)tdx::check_ccel_replay(l, q);
                missed.push_back(off);
            } catch (const Error&) {
            }
        }
    }
    INFO("undetected flips: " << missed.size() << ", first at " << (missed.empty() ? 0 : missed[0]));
    CHECK(missed.empty());
    CHECK(flips > 2500);
    // Outside those bytes a flip may pass: the event type of an RTMR0 record (RTMR1/RTMR2 types are held to the
    // prediction by boot-image), CC MR index 0 against 1 (both RTMR0), Spec ID fields that allow two values, and
    // event data no digest covers (load events, blob and table addresses, EV_IPL strings). Nothing reads them.
    for (std::size_t off = 0; off < used; ++off) {
        Bytes c = raw;
        c[off] ^= 0x01;
        try {
            const EventLog l = parse_tcg2_log(c);
            check_event_data(l);
            (void)tdx::check_ccel_replay(l, q);
            ++undetected;
        } catch (const Error&) {
        }
    }
    CHECK(undetected < used / 2);
}

TEST_CASE("the public COS-113 CCEL replays to the RTMRs of its hardware quote", "[tdx][bootchain]") {
    const EventLog log = parse_tcg2_log(read_file(ccel_dir() + "/ccel_data_trimmed.dat"));
    const std::string d = tdx::check_ccel_replay(log, cos_quote_rtmrs());
    CHECK(d == "43 events replay to RTMR0..3 of the quote");
}

TEST_CASE("go-eventlog's COS-113 CCEL replays to the RTMRs go-eventlog expects", "[tdx][bootchain]") {
    const EventLog log = parse_tcg2_log(read_file(test::fixture("tdx/go-eventlog") +
                                                  "/cos-113-intel-tdx-dupe-separator-unpadded.bin"));
    const auto r = tdx::replay_ccel(log);
    CHECK(hex(r.rtmr[0]) == "a4de2df23e9611299123ba4359c42a5e578b0f8488bf1bba8ef5606d9ea5d81c97c064b482a5eac537d166bd0f0f752d");
    CHECK(hex(r.rtmr[1]) == "0ee9366c928a77092f55e9e114c7394181fd264699155f0df77d23577618d5f650568a17d379355a07bd846e552f4e20");
    CHECK(hex(r.rtmr[2]) == "4969684dc87381fc3b3134176c8d8806eaf0a901859f5f70cfae8d17714b46c10a8de219048c9fc09f11f381a6fbe7c1");
    CHECK(hex(r.rtmr[3]) == std::string(96, '0'));
    // Not the log of the quote's TD (its RTMR0 and RTMR1 differ: a second separator): held to that quote it fails.
    CHECK_THROWS_AS(tdx::check_ccel_replay(log, cos_quote_rtmrs()), Error);
}

TEST_CASE("a truncated CCEL does not replay to the quote", "[tdx][bootchain]") {
    const Bytes raw = read_file(ccel_dir() + "/ccel_data_trimmed.dat");
    const std::size_t used = parse_tcg2_log(raw).used;
    for (std::size_t cut = 0; cut < used; cut += 97) {
        const Bytes t(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_THROWS_AS(tdx::check_ccel_replay(parse_tcg2_log(t), cos_quote_rtmrs()), Error);
    }
}

TEST_CASE("CC MR indexes: 1..4 are RTMR0..3, GCP's 0 is RTMR0, 5 and above are refused", "[tdx][bootchain]") {
    CHECK(tdx::rtmr_of_cc_index(1) == 0u);
    CHECK(tdx::rtmr_of_cc_index(4) == 3u);
    CHECK(tdx::rtmr_of_cc_index(0) == 0u);
    CHECK_FALSE(tdx::rtmr_of_cc_index(5).has_value());
    std::vector<LogEvent> zero_based = kGood;
    zero_based[0].index = 0;
    const auto a = tdx::replay_ccel(parse_tcg2_log(ccel_of(kGood)));
    const auto b = tdx::replay_ccel(parse_tcg2_log(ccel_of(zero_based)));
    CHECK(a.rtmr == b.rtmr);
    CHECK(b.index0 == 1);
    CHECK(tdx::check_ccel_image_events(parse_tcg2_log(ccel_of(zero_based)), small_prediction()) ==
          "RTMR1 3 events, RTMR2 1 events as predicted");
    std::vector<LogEvent> five = kGood;
    five.push_back({5, kEvEfiAction, "RTMR4?"});
    CHECK_THROWS_AS(tdx::replay_ccel(parse_tcg2_log(ccel_of(five))), Error);
    // EV_NO_ACTION records (index 0 in Google's logs) extend nothing.
    Bytes log = ccel_of(kGood);
    event2(log, 0, kEvNoAction, {{kTpmAlgSha384, Bytes(48, 0)}}, text("SP800-155 Event3"));
    CHECK(tdx::replay_ccel(parse_tcg2_log(log)).rtmr == a.rtmr);
}

TEST_CASE("RTMR1/RTMR2 must hold exactly the predicted events, in order", "[tdx][bootchain]") {
    const BootPrediction p = small_prediction();
    auto check = [&](const std::vector<LogEvent>& ev) { return tdx::check_ccel_image_events(parse_tcg2_log(ccel_of(ev)), p); };
    CHECK(check(kGood) == "RTMR1 3 events, RTMR2 1 events as predicted");
    SECTION("reordered") {
        auto ev = kGood;
        std::swap(ev[1], ev[2]);
        CHECK_THROWS_WITH(check(ev), Catch::Matchers::ContainsSubstring("RTMR1 event 1 of 3"));
    }
    SECTION("a log that lacks our UKI event") {
        auto ev = kGood;
        ev.erase(ev.begin() + 3);
        CHECK_THROWS_WITH(check(ev), Catch::Matchers::ContainsSubstring("missing from the log"));
    }
    SECTION("another boot application in place of our UKI") {
        auto ev = kGood;
        ev[3].what = "shim Authenticode";
        CHECK_THROWS_WITH(check(ev), Catch::Matchers::ContainsSubstring("RTMR1 event 3 of 3"));
    }
    SECTION("a forged extra event after the image's") {
        auto ev = kGood;
        ev.insert(ev.begin() + 4, {2, kEvEfiBootServicesApplication, "grub Authenticode"});
        CHECK_THROWS_WITH(check(ev), Catch::Matchers::ContainsSubstring("does not account for"));
    }
    SECTION("an extra event in RTMR2") {
        auto ev = kGood;
        ev.push_back({3, kEvIpl, "grub command"});
        CHECK_THROWS_WITH(check(ev), Catch::Matchers::ContainsSubstring("RTMR2"));
    }
    SECTION("the right digest with another event type") {
        auto ev = kGood;
        ev[4].type = kEvIpl;
        CHECK_THROWS_AS(check(ev), Error);
    }
    SECTION("events in RTMR0 and RTMR3 are not the image's business") {
        auto ev = kGood;
        ev.push_back({4, kEvEventTag, "application measurement"});
        ev.insert(ev.begin(), {1, kEvSeparator, "separator"});
        CHECK_NOTHROW(check(ev));
    }
}

// Benchmark (hidden; `kettle-unit-tests "[bench]"`, run by bench/verify_bench.sh): the event-log row's work on the
// public COS-113 CCEL (20 KiB, 43 records): parse, replay RTMR0..3, compare with the quote. A figure, not a test.
#include <chrono>

TEST_CASE("bench: CCEL parse and replay against a quote", "[.bench][bench]") {
    const Bytes raw = read_file(ccel_dir() + "/ccel_data_trimmed.dat");
    const auto q = cos_quote_rtmrs();
    const int n = 200;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) REQUIRE_FALSE(tdx::check_ccel_replay(parse_tcg2_log(raw), q).empty());
    auto t1 = std::chrono::steady_clock::now();
    double ms = std::chrono::duration<double, std::milli>(t1 - t0).count() / n;
    std::printf("bench: CCEL parse and replay (COS-113, 43 events): %.3f ms per log\n", ms);
}
