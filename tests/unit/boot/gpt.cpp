// The GPT as firmware measures it. Known answers from outside: the EV_EFI_GPT_EVENT that Google's TDX firmware
// logged in the public COS-113 CCEL (its event data is UEFI_GPT_DATA and its digest the SHA-384 of it), and
// disks partitioned by sgdisk (gdisk) with values we chose.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>

#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/gpt.hpp"
#include "kettle/boot/ovmf.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::boot;

namespace {

// The GPT event of the COS-113 log (EV_EFI_GPT_EVENT, CC MR index 2 = RTMR1).
CcelEvent cos_gpt_event() {
    const auto events = parse_ccel_log(read_file(test::fixture("tdx/go-tdx-guest/ccel") + "/ccel_data_trimmed.dat"));
    for (const auto& e : events)
        if (e.event_type == kEvEfiGptEvent) return e;
    FAIL("no GPT event in the COS-113 log");
    return {};
}

bool have_sgdisk() { return std::system("command -v sgdisk >/dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("a disk rebuilt from Google firmware's GPT event gives back that event", "[boot][gpt]") {
    const CcelEvent ev = cos_gpt_event();
    CHECK(ev.mr_index == 2);
    CHECK(ev.digest == sha384(ev.data));  // what was extended is the hash of the event data
    // UEFI_GPT_DATA: 92-byte header, u64 count, then the used entries (128 bytes each here).
    REQUIRE(ev.data.size() >= 100);
    const std::uint64_t n = le64(ev.data, 92);
    REQUIRE(ev.data.size() == 100 + n * 128);
    // A disk: LBA 0 empty, the header at LBA 1, the used entries first in the array at its PartitionEntryLBA,
    // the rest of NumberOfPartitionEntries zero. The header's own CRC32s confirm the reconstruction.
    const std::uint64_t entry_lba = le64(ev.data, 72);
    const std::uint32_t count = le32(ev.data, 80);
    Bytes disk((entry_lba * 512) + std::size_t{count} * 128, 0);
    std::copy(ev.data.begin(), ev.data.begin() + 92, disk.begin() + 512);
    std::copy(ev.data.begin() + 100, ev.data.end(), disk.begin() + entry_lba * 512);
    const Gpt g = read_gpt(disk);
    CHECK(g.used_entries.size() == n);
    CHECK(uefi_gpt_event_data(g) == ev.data);
    CHECK(sha384(uefi_gpt_event_data(g)) == ev.digest);
    // Any change to the header or an entry breaks a CRC32.
    Bytes bad = disk;
    bad[512 + 56] ^= 1;  // DiskGUID
    CHECK_THROWS_AS(read_gpt(bad), Error);
    bad = disk;
    bad[entry_lba * 512 + 40] ^= 1;  // first entry's EndingLBA
    CHECK_THROWS_AS(read_gpt(bad), Error);
    CHECK_THROWS_AS(read_gpt(ByteView(disk).first(disk.size() - 1)), Error);
}

TEST_CASE("the GPT of an sgdisk-made disk", "[boot][gpt]") {
    if (!have_sgdisk()) SKIP("sgdisk (Debian package gdisk) is not installed");
    test::TempDir d;
    const std::string img = d / "disk.raw";
    test::run_host("truncate -s 16M " + img + " && sgdisk --clear --disk-guid=11111111-2222-4333-8444-555555555555 "
                   "--new=1:2048:+4M --typecode=1:ef00 --partition-guid=1:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee "
                   "--change-name=1:first --new=3:0:0 --typecode=3:8300 --change-name=3:third " + img + " >/dev/null");
    const Bytes disk = read_file(img);
    const Gpt g = read_gpt(disk);
    CHECK(guid_text(g.disk_guid) == "11111111-2222-4333-8444-555555555555");
    CHECK(g.entry_count == 128);
    CHECK(g.entry_size == 128);
    CHECK(g.alternate_lba == 16 * 2048 - 1);
    REQUIRE(g.partitions.size() == 2);  // entry 2 is unused and left out, in table order
    CHECK(g.partitions[0].name == "first");
    CHECK(guid_text(g.partitions[0].type_guid) == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
    CHECK(guid_text(g.partitions[0].unique_guid) == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
    CHECK(g.partitions[0].first_lba == 2048);
    CHECK(g.partitions[0].last_lba == 2048 + 4 * 2048 - 1);
    CHECK(g.partitions[1].name == "third");
    const Bytes ev = uefi_gpt_event_data(g);
    CHECK(ev.size() == 100 + 2 * 128);
    CHECK(ByteView(ev).first(92).size() == 92);
    CHECK(std::equal(ev.begin(), ev.begin() + 92, disk.begin() + 512));
    CHECK(le64(ev, 92) == 2);
    // The entries in the event are the disk's entries 1 and 3, byte for byte.
    CHECK(std::equal(ev.begin() + 100, ev.begin() + 228, disk.begin() + 1024));
    CHECK(std::equal(ev.begin() + 228, ev.end(), disk.begin() + 1024 + 2 * 128));
}

TEST_CASE("hostile GPT headers fail closed", "[boot][gpt]") {
    Bytes disk(64 * 1024, 0);
    CHECK_THROWS_AS(read_gpt(disk), Error);          // no signature
    CHECK_THROWS_AS(read_gpt(Bytes(600, 0)), Error);  // shorter than LBA 1
    if (!have_sgdisk()) return;
    test::TempDir d;
    const std::string img = d / "disk.raw";
    test::run_host("truncate -s 1M " + img + " && sgdisk --clear --new=1:34:0 " + img + " >/dev/null");
    const Bytes good = read_file(img);
    REQUIRE_NOTHROW(read_gpt(good));
    auto with_header = [&](std::size_t off, std::uint32_t v) {
        // Change a header field and fix the header CRC, so that only the field's own check can fail.
        Bytes b = good;
        for (int i = 0; i < 4; ++i) b[512 + off + i] = static_cast<std::uint8_t>(v >> (8 * i));
        for (int i = 0; i < 4; ++i) b[512 + 16 + i] = 0;
        Bytes h(b.begin() + 512, b.begin() + 512 + 92);
        std::uint32_t crc = 0xffffffffu;  // CRC-32 (IEEE 802.3), computed here bit by bit
        for (std::uint8_t x : h) {
            crc ^= x;
            for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
        }
        crc ^= 0xffffffffu;
        for (int i = 0; i < 4; ++i) b[512 + 16 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
        return b;
    };
    CHECK_THROWS_AS(read_gpt(with_header(80, 100000)), Error);  // NumberOfPartitionEntries
    CHECK_THROWS_AS(read_gpt(with_header(84, 96)), Error);      // SizeOfPartitionEntry not 128 x 2^n
    CHECK_THROWS_AS(read_gpt(with_header(72, 0x7fffffff)), Error);  // PartitionEntryLBA outside
    CHECK_THROWS_AS(read_gpt(with_header(12, 4096)), Error);    // HeaderSize
    CHECK_NOTHROW(read_gpt(with_header(80, 128)));              // the same value: the CRC fix itself is right
}
