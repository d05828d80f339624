// Provenance: JCS bytes of a known statement, in-toto/SLSA structural rules, timestamps, image identity.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/json.hpp"
#include "kettle/provenance/statement.hpp"

using namespace kettle;
namespace fs = std::filesystem;

namespace {

std::string h(std::string_view s) { return hex(sha256(s)); }

// The same inputs as tests/data/provenance/gen_statement.py.
ProvenanceInputs known_inputs() {
    ProvenanceInputs in;
    in.subjects = {{"bin/hello", h("hello binary"), "", ""}, {"share/man/hello.1", h("manpage"), "", ""}};
    in.build_request =
        "{ \"source\": {\"uri\": \"https://example.org/hello.git\", \"ref\": \"main\"},\n"
        "  \"target\": \"all\", \"nonce\": \"c2VjcmV0LW5vbmNl\" }";
    in.source_uri = "https://example.org/hello.git";
    in.git_commit = "0123456789abcdef0123456789abcdef01234567";
    in.git_tree = "89abcdef0123456789abcdef0123456789abcdef";
    in.toolchain = {"toolchain.tar", h("toolchain"), "", ""};
    in.extra_inputs = {{"data.bin", h("data"), "", ""}};
    in.input_disk_sha256 = h("input disk");
    in.internal_parameters = Json::parse(
        R"({"limits":{"cpuSeconds":600,"memoryMiB":2048},"sandbox":{"network":"none","uid":65534}})");
    in.init_version = "0.1.0";
    in.kernel_version = "6.12.48";
    in.image = {h("kernel"), h("init"), "console=ttyS0 quiet", "", false};
    in.vm = {2, 2030000, "QEMU Virtual CPU version 2.5+"};
    in.invocation_id = "3f1c2a9e-0000-4000-8000-000000000001";
    in.started_on = "2026-01-02T03:04:05Z";
    in.finished_on = "2026-01-02T03:14:15Z";
    in.build_log_sha256 = h("log");
    return in;
}

bool has_problem(const Json& st, const std::string& needle) {
    for (const auto& p : check_statement(st))
        if (p.find(needle) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("statement JCS bytes match the independently serialized known statement", "[provenance]") {
    Bytes want = read_file(std::string(KETTLE_SOURCE_DIR) + "/tests/data/provenance/statement_known.json");
    std::string s = serialize_statement(known_inputs(), AttestMode::sim);
    CHECK(s == to_string(want));
    // SHA-256 printed by the generator script (python hashlib).
    CHECK(hex(sha256(s)) == "46267829ba350c7eaffa48874cf67224aa2b4df42efee309f3c57aac39515a8b");
    // Serialized once, canonically: re-canonicalizing a strict parse gives the same bytes.
    CHECK(jcs(parse_strict(s)) == s);
}

TEST_CASE("builder.id differs per mode", "[provenance]") {
    CHECK(builder_id(AttestMode::snp) == "https://kettle-build.org/builders/snp/v1");
    CHECK(builder_id(AttestMode::tdx) == "https://kettle-build.org/builders/tdx/v1");
    CHECK(builder_id(AttestMode::sim) == "https://kettle-build.org/builders/sim/v1");
    CHECK(builder_id(AttestMode::none) == "https://kettle-build.org/builders/none/v1");
    Json st = make_statement(known_inputs(), AttestMode::snp);
    CHECK(st["predicate"]["runDetails"]["builder"]["id"] == "https://kettle-build.org/builders/snp/v1");
    CHECK(parse_mode("tdx") == AttestMode::tdx);
    CHECK_THROWS_AS(parse_mode("sev"), Error);
}

TEST_CASE("the known statement passes the structural rules; each broken rule is reported", "[provenance]") {
    const Json good = make_statement(known_inputs(), AttestMode::none);
    CHECK(check_statement(good).empty());

    Json st = good;
    st["_type"] = "https://in-toto.io/Statement/v0.1";
    CHECK(has_problem(st, "_type"));

    st = good;
    st["subject"] = Json::array();
    CHECK(has_problem(st, "subject is missing or empty"));

    st = good;
    st["subject"][0].erase("digest");
    CHECK(has_problem(st, "subject[0] has no digest"));

    st = good;
    st["subject"][1]["name"] = "bin/hello";
    CHECK(has_problem(st, "subject[1].name is not unique"));

    st = good;
    st["subject"][0]["digest"]["sha256"] = std::string(63, 'a');
    CHECK(has_problem(st, "wrong length"));

    st = good;
    st["subject"][0]["digest"]["sha256"] = std::string(64, 'A');
    CHECK(has_problem(st, "not lower-case hex"));

    st = good;  // base64 sha256 values (seen in the wild) fail
    st["subject"][0]["digest"]["sha256"] = "fRYxz8y8OmyK7/BjryD0BkMupfLUcqhFWNiwrvWQ/kk=";
    CHECK(has_problem(st, "not lower-case hex"));

    st = good;  // unknown algorithms are ignored
    st["subject"][0]["digest"]["x-custom"] = "anything";
    CHECK(check_statement(st).empty());

    st = good;
    st["predicateType"] = "https://slsa.dev/provenance/v1.1";
    CHECK(has_problem(st, "predicateType"));

    st = good;
    st.erase("predicate");
    CHECK(has_problem(st, "predicate is missing"));

    st = good;
    st["predicate"]["buildDefinition"]["externalParameters"] = Json::object();
    CHECK(has_problem(st, "externalParameters is missing or empty"));

    st = good;
    st["predicate"]["buildDefinition"].erase("buildType");
    CHECK(has_problem(st, "buildType is missing"));

    st = good;
    st["predicate"]["runDetails"]["builder"].erase("id");
    CHECK(has_problem(st, "builder.id is missing"));

    st = good;
    st["predicate"]["runDetails"]["metadata"]["startedOn"] = "2026-01-02T03:04:05.123456+00:00";
    CHECK(has_problem(st, "startedOn"));

    st = good;
    st["predicate"]["buildDefinition"]["resolvedDependencies"].push_back({{"annotations", {{"a", 1}}}});
    CHECK(has_problem(st, "has none of name, uri, digest"));

    st = good;  // a name-only descriptor passes the Go rule but not the spec's uri/digest/content rule
    st["predicate"]["runDetails"]["byproducts"].push_back({{"name", "x"}});
    CHECK(has_problem(st, "has none of uri, digest, content"));

    st = good;
    st["predicate"]["buildDefinition"]["internalParameters"]["nonce"] = "x";
    CHECK(has_problem(st, "reuses the externalParameters key \"nonce\""));

    st = good;
    st["predicate"]["runDetails"]["builder"]["version"]["linux"] = 6;
    CHECK(has_problem(st, "version.linux is not a string"));

    st = good;
    st["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"] = std::string(41, 'a');
    CHECK(has_problem(st, "gitCommit has the wrong length"));
}

TEST_CASE("make_statement rejects bad inputs with a named field", "[provenance]") {
    auto expect_error = [](ProvenanceInputs in, const std::string& needle) {
        try {
            make_statement(in, AttestMode::none);
            FAIL("no error for " << needle);
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(needle) != std::string::npos);
        }
    };
    auto in = known_inputs();
    in.subjects.clear();
    expect_error(in, "no subjects");
    in = known_inputs();
    in.subjects.push_back(in.subjects[0]);
    expect_error(in, "duplicate subject");
    in = known_inputs();
    in.subjects[0].sha256 = "ABC";
    expect_error(in, "subject \"bin/hello\" sha256");
    in = known_inputs();
    in.build_request = "[1,2]";
    expect_error(in, "build request");
    in = known_inputs();
    in.build_request = R"({"nonce":"a","nonce":"b"})";
    expect_error(in, "duplicate");
    in = known_inputs();
    in.git_commit = "abc";
    expect_error(in, "git commit");
    in = known_inputs();
    in.finished_on = "2026-01-02 03:14:15";
    expect_error(in, "finishedOn");
    in = known_inputs();
    in.input_disk_sha256.clear();
    expect_error(in, "input disk");
    in = known_inputs();
    in.extra_inputs.push_back(in.extra_inputs[0]);
    expect_error(in, "duplicated");
    in = known_inputs();
    in.build_request_sha256 = "abc";
    expect_error(in, "build request sha256");
    in = known_inputs();
    in.subjects[0].name = "bin/\xff";  // invalid UTF-8 from a hostile build
    expect_error(in, "subject name");
    in = known_inputs();
    in.subjects[0].name = "bin/a\nb";
    expect_error(in, "subject name");
    in = known_inputs();
    in.subjects[0].name = "bin/\xed\xa0\x80";  // UTF-8 encoded surrogate
    expect_error(in, "subject name");
    in = known_inputs();
    in.subjects[0].name = "bin/\xc0\xaf";  // overlong '/'
    expect_error(in, "subject name");
    in = known_inputs();
    in.subjects[0].name = "bin/h\xc3\xa9llo-\xf0\x9f\x98\x80";  // é and U+1F600 are fine
    CHECK_NOTHROW(serialize_statement(in, AttestMode::none));
}

TEST_CASE("optional request digest and source URI", "[provenance]") {
    auto in = known_inputs();
    in.build_request_sha256 = h("request.json as stored");
    in.source_uri.clear();
    Json st = make_statement(in, AttestMode::none);
    const Json& deps = st["predicate"]["buildDefinition"]["resolvedDependencies"];
    CHECK(deps[0]["name"] == "source");
    CHECK_FALSE(deps[0].contains("uri"));
    CHECK(deps[1]["name"] == "build-request");
    CHECK(deps[1]["digest"]["sha256"] == h("request.json as stored"));
    CHECK(check_statement(st).empty());
}

TEST_CASE("RFC 3339 UTC timestamps", "[provenance]") {
    CHECK(rfc3339_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(rfc3339_utc(1700000000) == "2023-11-14T22:13:20Z");  // date -u -d @1700000000
    CHECK(is_rfc3339_utc("1985-04-12T23:20:50.52Z"));
    CHECK(is_rfc3339_utc(rfc3339_utc_now()));
    CHECK_FALSE(is_rfc3339_utc("1985-04-12T23:20:50+00:00"));
    CHECK_FALSE(is_rfc3339_utc("1985-04-12T23:20:50.Z"));
    CHECK_FALSE(is_rfc3339_utc("1985-13-12T23:20:50Z"));
    CHECK_FALSE(is_rfc3339_utc("1985-04-12t23:20:50Z"));
}

TEST_CASE("image identity and VM shape", "[provenance]") {
    auto id = parse_image_identity(R"({"schema":"kettle-image-identity/v1","kernel_sha256":")" + h("k") +
                                   R"(","init_sha256":")" + h("i") + R"(","cmdline":"console=ttyS0","extra":1})");
    CHECK(id.kernel_sha256 == h("k"));
    CHECK(id.cmdline == "console=ttyS0");
    CHECK_THROWS_AS(parse_image_identity(R"({"schema":"kettle-image/v2"})"), Error);
    CHECK_THROWS_AS(parse_image_identity(R"({"schema":"kettle-image-identity/v1","kernel_sha256":"x","init_sha256":"y","cmdline":""})"),
                    Error);

    fs::path dir = fs::temp_directory_path() / ("kettle-vmshape-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    write_file((dir / "cpuinfo").string(),
               "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC-Milan Processor\n\n"
               "processor\t: 1\nmodel name\t: AMD EPYC-Milan Processor\n\n"
               "processor\t: 2\nmodel name\t: AMD EPYC-Milan Processor\n");
    write_file((dir / "cpuinfo2").string(), "processor\t: 0\nmodel name\t: Evil\x01\xff CPU\n");
    write_file((dir / "meminfo").string(), "MemTotal:        4024572 kB\nMemFree:         3900000 kB\n");
    VmShape v = observe_vm_shape(dir.string());
    CHECK(v.vcpus == 3);
    CHECK(v.memory_kib == 4024572);
    CHECK(v.cpu_model == "AMD EPYC-Milan Processor");
    fs::rename(dir / "cpuinfo2", dir / "cpuinfo");
    CHECK(observe_vm_shape(dir.string()).cpu_model == "Evil?? CPU");
    fs::remove_all(dir);
}

TEST_CASE("a toolchain image is recorded by its dm-verity root hash and parameters", "[provenance][verity]") {
    ProvenanceInputs in = known_inputs();
    in.toolchain = {};
    ToolchainImageDigest& ti = in.toolchain_image;
    ti.root_hash = h("root");
    ti.format = "erofs+dm-verity/v1";
    ti.hash_algorithm = "sha256";
    ti.salt = "9fd3a73b0e1f88a20b88c9f4d8c9bc8bb737b9d70fd794116417ab8e4f0202a0";
    ti.data_blocks = 1000;
    ti.data_block_size = 4096;
    ti.hash_block_size = 4096;
    ti.hash_start_block = 1001;
    ti.image_bytes = 4136960;
    Json st = make_statement(in, AttestMode::sim);
    CHECK(check_statement(st).empty());
    const Json& deps = st["predicate"]["buildDefinition"]["resolvedDependencies"];
    // Written by hand from docs/buildtype.md ("toolchain", image form).
    Json want = Json::parse(R"({"name": "toolchain", "digest": {"dmVerityRootHash": ")" + h("root") + R"("},
        "annotations": {"format": "erofs+dm-verity/v1", "imageBytes": 4136960,
          "verity": {"version": 1, "hashAlgorithm": "sha256", "dataBlockSize": 4096, "hashBlockSize": 4096,
                     "dataBlocks": 1000, "hashStartBlock": 1001,
                     "salt": "9fd3a73b0e1f88a20b88c9f4d8c9bc8bb737b9d70fd794116417ab8e4f0202a0"}}})");
    REQUIRE(deps.size() == 5);
    CHECK(deps[2] == want);
    // Bad image fields are named.
    ProvenanceInputs bad = in;
    bad.toolchain_image.root_hash = "XY";
    CHECK_THROWS_WITH(make_statement(bad, AttestMode::sim), Catch::Matchers::ContainsSubstring("toolchain image root hash"));
    bad = in;
    bad.toolchain_image.salt = "0g";
    CHECK_THROWS_WITH(make_statement(bad, AttestMode::sim), Catch::Matchers::ContainsSubstring("salt"));
    bad = in;
    bad.toolchain_image.data_blocks = 0;
    CHECK_THROWS_WITH(make_statement(bad, AttestMode::sim), Catch::Matchers::ContainsSubstring("incomplete"));
}
