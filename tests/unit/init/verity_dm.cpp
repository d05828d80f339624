// The DM_TABLE_LOAD argument PID 1 hands to the kernel, checked against the layout of linux/dm-ioctl.h (interface
// 4) and the parsing rules of drivers/md/dm-ioctl.c (populate_table / next_target: the first target spec at
// data_start, its NUL-terminated parameters right after it, everything within data_size).
#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <linux/dm-ioctl.h>

#include "kettle/core/error.hpp"
#include "verity.hpp"

using namespace kettle;

TEST_CASE("DM_TABLE_LOAD buffer: header, one verity target, NUL-terminated parameters", "[verity][dm]") {
    const std::string params = "1 253:2 253:2 4096 4096 1000 1001 sha256 00 11";
    Bytes b = init::dm_table_load_buffer("kettle-toolchain", 8000, "verity", params);
    REQUIRE(b.size() >= sizeof(dm_ioctl) + sizeof(dm_target_spec) + params.size() + 1);
    CHECK(b.size() % 8 == 0);
    dm_ioctl io;
    std::memcpy(&io, b.data(), sizeof io);
    CHECK(io.version[0] == 4);
    CHECK(io.data_size == b.size());
    CHECK(io.data_start == sizeof(dm_ioctl));
    CHECK(io.target_count == 1);
    CHECK(io.flags == DM_READONLY_FLAG);
    CHECK(std::string(io.name) == "kettle-toolchain");
    dm_target_spec spec;
    std::memcpy(&spec, b.data() + io.data_start, sizeof spec);
    CHECK(spec.sector_start == 0);
    CHECK(spec.length == 8000);
    CHECK(std::string(spec.target_type) == "verity");
    CHECK(spec.next % 8 == 0);
    CHECK(io.data_start + spec.next == b.size());
    const char* p = reinterpret_cast<const char*>(b.data() + io.data_start + sizeof spec);
    CHECK(std::string(p) == params);  // stops at the NUL the kernel requires before data_size
    CHECK_THROWS_AS(init::dm_table_load_buffer(std::string(128, 'n'), 8, "verity", params), Error);
    CHECK_THROWS_AS(init::dm_table_load_buffer("x", 8, "a-target-type-too-long", params), Error);
    CHECK_THROWS_AS(init::dm_table_load_buffer("x", 8, "verity", std::string("a\0b", 3)), Error);
}
