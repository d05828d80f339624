// `kettle run` and the input disk the host committed to: a disk whose size is not a multiple of 512 is refused
// before launch (QEMU would pad it), and a guest that read another disk, or whose report names another, never
// makes the run exit 0.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "run_options.hpp"
#include "test_support.hpp"

using namespace kettle;
using namespace kettle::runner;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("kettle run refuses an input disk whose size is not a multiple of 512", "[run][input-disk]") {
    test::TempDir d;
    std::filesystem::create_directories(d / "image");
    write_file(d / "image/kettle.efi", "x");
    write_file(d / "image/ovmf.fd", "x");
    write_file(d / "odd.img", std::string(4096 + 100, '\0'));
    write_file(d / "even.img", std::string(8192, '\0'));
    RunOptions o = parse_run_args({"--input-disk", d / "odd.img", "--image", d / "image", "--out", d / "out"});
    CHECK_THROWS_WITH(validate_run_options(o), ContainsSubstring("4196 bytes, not a multiple of 512") &&
                                                   ContainsSubstring("padded to 4608 bytes"));
    o.input_disk = d / "even.img";
    CHECK_NOTHROW(validate_run_options(o));
}

TEST_CASE("a status that names another input disk is a failure", "[run][input-disk]") {
    const std::string committed(64, 'a');
    Json good{{"ok", true},
              {"inputs", {{"device_sha256", committed}}},
              {"attestation", {{"attested", true}, {"host_data_matches", true}}}};
    CHECK(input_disk_problem(good, committed).empty());
    Json padded = good;
    padded["inputs"]["device_sha256"] = std::string(64, 'b');
    CHECK_THAT(input_disk_problem(padded, committed), ContainsSubstring("not the " + committed));
    Json mismatch = good;
    mismatch["attestation"]["host_data_matches"] = false;
    CHECK_THAT(input_disk_problem(mismatch, committed), ContainsSubstring("HOST_DATA"));
    Json unattested = good;  // no report at all: nothing to compare (the verifier fails such a bundle anyway)
    unattested["attestation"] = Json{{"attested", false}, {"host_data_matches", false}};
    CHECK(input_disk_problem(unattested, committed).empty());
    Json none = mismatch;  // a TDX report with MRCONFIGID all zero: the host committed to nothing
    none["attestation"]["host_commitment"] = "none";
    CHECK_THAT(input_disk_problem(none, committed), ContainsSubstring("HOST_DATA"));  // a QEMU host always commits
    CHECK(input_disk_problem(none, committed, false).empty());                         // gcp-tdx: GCP cannot
    CHECK(input_disk_problem(none, std::string(64, 'c'), false).find("not the") != std::string::npos);
    Json differs = mismatch;
    differs["attestation"]["host_commitment"] = "differs";
    CHECK_THAT(input_disk_problem(differs, committed, false), ContainsSubstring("HOST_DATA"));
    Json silent{{"ok", true}};
    CHECK_THAT(input_disk_problem(silent, committed), ContainsSubstring("does not say which input disk"));
    Json hostile = good;
    hostile["inputs"]["device_sha256"] = std::string("\xFF\xFE", 2);
    CHECK_THAT(input_disk_problem(hostile, committed), ContainsSubstring("\\xFF\\xFE"));
}
