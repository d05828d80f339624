// The dependency records as they cross the layers: request.json "dependencies", the deps/ member of the input disk,
// the deps child's reply, the provenance entries and the verifier's package rules (docs/dependencies.md,
// docs/formats.md §1.2, §1.8, §7).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <functional>
#include <sys/stat.h>

#include "guest_test_util.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/disk/parser_reply.hpp"
#include "kettle/provenance/statement.hpp"
#include "kettle/verify/policy.hpp"

using namespace kettle;
using kettle::test::TarBuilder;
using kettle::test::TempDir;
using Catch::Matchers::ContainsSubstring;

namespace {

std::string disk(const std::string& req, const std::function<void(TarBuilder&)>& extra) {
    TarBuilder t;
    t.file("request.json", req);
    t.dir("source/");
    t.file("source/HEAD", "ref: refs/heads/main\n");
    TarBuilder inner;
    inner.file("bin/sh", "#!", 0755);
    t.file("toolchain.tar", inner.finish());
    extra(t);
    return t.finish();
}

std::string ingest_error(const std::string& img, IngestResult* out = nullptr) {
    TempDir d;
    write_file(d / "disk.img", std::string_view(img));
    ::mkdir((d / "out").c_str(), 0755);
    try {
        IngestResult r = ingest_input_path(d / "disk.img", d / "out");
        if (out) *out = r;
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

const std::string kNpmReq = R"({"version":1,"argv":["/bin/sh"],"source_ref":"main","dependencies":["npm"]})";

}  // namespace

TEST_CASE("request.json dependencies: npm, cargo, go once each; absent writes no key") {
    BuildRequest r = parse_request(R"({"version":1,"argv":["x"],"source_ref":"m","dependencies":["npm","go"]})");
    CHECK(r.dependencies == std::vector<std::string>{"go", "npm"});
    CHECK(request_to_json(r)["dependencies"] == Json::array({"go", "npm"}));
    CHECK_FALSE(request_to_json(parse_request(R"({"version":1,"argv":["x"],"source_ref":"m"})")).contains("dependencies"));
    CHECK_THROWS_WITH(parse_request(R"({"version":1,"argv":["x"],"source_ref":"m","dependencies":["pip"]})"),
                      ContainsSubstring("unknown ecosystem"));
    CHECK_THROWS_WITH(parse_request(R"({"version":1,"argv":["x"],"source_ref":"m","dependencies":["npm","npm"]})"),
                      ContainsSubstring("given twice"));
    CHECK_THROWS_WITH(parse_request(R"({"version":1,"argv":["x"],"source_ref":"m","dependencies":[]})"),
                      ContainsSubstring("empty"));
}

TEST_CASE("ingest: deps/<ecosystem>/<file> for a named ecosystem only, files only") {
    IngestResult r;
    CHECK(ingest_error(disk(kNpmReq, [](TarBuilder& t) { t.dir("deps/"); t.dir("deps/npm/"); t.file("deps/npm/a.tgz", "x"); }), &r).empty());
    CHECK(r.dep_files == 1);
    CHECK(r.request.dependencies == std::vector<std::string>{"npm"});
    CHECK_THAT(ingest_error(disk(kNpmReq, [](TarBuilder& t) { t.file("deps/cargo/a.crate", "x"); })),
               ContainsSubstring("the request names no \"cargo\" dependencies"));
    CHECK_THAT(ingest_error(disk(kNpmReq, [](TarBuilder& t) { t.file("deps/npm/sub/a.tgz", "x"); })),
               ContainsSubstring("holds files only"));
    CHECK_THAT(ingest_error(disk(kNpmReq, [](TarBuilder& t) { t.file("deps/npm", "x"); })),
               ContainsSubstring("must be a directory"));
    CHECK_THAT(ingest_error(disk(kNpmReq, [](TarBuilder& t) { t.symlink("deps/npm/l.tgz", "/etc/passwd"); })),
               ContainsSubstring("not allowed on the input disk"));
    CHECK_THAT(ingest_error(disk(kNpmReq, [](TarBuilder& t) { t.file("deps/npm/a.tgz", "x"); t.file("deps/npm/a.tgz", "y"); })),
               ContainsSubstring("a.tgz"));
}

TEST_CASE("deps reply: lockfiles and packages survive the record; hostile records are refused") {
    std::vector<DepLockfile> locks{{"npm", "package-lock.json", sha256(std::string("lock")), 2, 100}};
    std::vector<DepPackage> pk{{"pkg:npm/%40s/a@1.0.0", "sha512", hex(sha512(as_bytes(std::string("a"))))},
                               {"pkg:npm/b@2.0.0", "sha1", std::string(40, 'a')}};
    ParserReply r = decode_parser_reply(encode_deps_reply(locks, pk), ReplyKind::deps);
    REQUIRE(r.ok);
    REQUIRE(r.lockfiles.size() == 1);
    CHECK(r.lockfiles[0].path == "package-lock.json");
    CHECK(r.lockfiles[0].files == 2);
    REQUIRE(r.packages.size() == 2);
    CHECK(r.packages[0].purl == pk[0].purl);
    CHECK(r.packages[0].hex == pk[0].hex);
    CHECK(r.packages[1].alg == "sha1");
    CHECK_THROWS_WITH(decode_parser_reply(encode_deps_reply({}, pk), ReplyKind::deps), ContainsSubstring("names no lockfile"));
    CHECK_THROWS_WITH(decode_parser_reply(encode_deps_reply(locks, {{"pkg:npm/a b@1", "sha1", std::string(40, 'a')}}),
                                          ReplyKind::deps),
                      ContainsSubstring("not pkg: and printable ASCII"));
    CHECK_THROWS_WITH(decode_parser_reply(encode_deps_reply({{"npm", "../x", Bytes(32), 0, 0}}, {}), ReplyKind::deps),
                      ContainsSubstring(".."));
    CHECK_THROWS(decode_parser_reply(encode_deps_reply(locks, pk), ReplyKind::checkout));
    std::vector<DepPackage> many(kDepPackagesMax + 1, pk[1]);
    CHECK_THROWS_WITH(decode_parser_reply(encode_deps_reply(locks, many), ReplyKind::deps), ContainsSubstring("too often"));
}

TEST_CASE("provenance: lockfiles and packages after input-disk, packages sorted, duplicates refused") {
    std::vector<PackageDigest> pk{{"pkg:npm/b@1", "sha512", std::string(128, 'b')},
                                  {"pkg:npm/%40a/x@2", "sha1", std::string(40, 'a')}};
    std::vector<LockfileDigest> lf{{"npm", "package-lock.json", std::string(64, 'c')}};
    ProvenanceInputs in;
    in.subjects = {{"out", std::string(64, '1'), "", ""}};
    in.build_request = R"({"argv":["x"]})";
    in.git_commit = std::string(40, 'd');
    in.git_tree = std::string(40, 'e');
    in.toolchain = {"toolchain.tar", std::string(64, '2'), "", ""};
    in.input_disk_sha256 = std::string(64, '3');
    in.invocation_id = "x";
    in.started_on = in.finished_on = "2025-01-01T00:00:00Z";
    in.build_log_sha256 = std::string(64, '4');
    in.image = {std::string(64, '5'), std::string(64, '6'), "console=ttyS0", "", false};
    in.lockfiles = lf;
    in.packages = pk;
    Json deps = make_statement(in, AttestMode::none)["predicate"]["buildDefinition"]["resolvedDependencies"];
    REQUIRE(deps.size() >= 3);
    std::size_t n = deps.size();
    CHECK(deps[n - 3] == Json{{"name", "lockfile/npm"}, {"uri", "package-lock.json"}, {"digest", {{"sha256", lf[0].sha256}}}});
    CHECK(deps[n - 2] == Json{{"uri", "pkg:npm/%40a/x@2"}, {"digest", {{"sha1", pk[1].hex}}}});
    CHECK(deps[n - 1] == Json{{"uri", "pkg:npm/b@1"}, {"digest", {{"sha512", pk[0].hex}}}});
    in.packages.push_back(pk[0]);
    CHECK_THROWS_WITH(make_statement(in, AttestMode::none), ContainsSubstring("listed twice"));
    in.packages = {{"pkg:npm/b@1", "sha512", "zz"}};
    CHECK_THROWS(make_statement(in, AttestMode::none));
}

TEST_CASE("policy packages: require and forbid by purl, version condition and digest") {
    Json deps = Json::array({Json{{"name", "source"}, {"digest", {{"gitCommit", std::string(40, 'a')}}}},
                             Json{{"name", "lockfile/npm"}, {"uri", "package-lock.json"}, {"digest", {{"sha256", std::string(64, 'e')}}}},
                             Json{{"uri", "pkg:npm/lodash@4.17.21"}, {"digest", {{"sha512", "ab"}}}},
                             Json{{"uri", "pkg:npm/%40types/node@14.18.63"}, {"digest", {{"sha512", "cd"}}}}});
    auto check = [&](const std::string& policy) {
        bundle::Policy p = bundle::parse_policy(policy);
        return bundle::check_package_rules(deps, p.require_packages, p.forbid_packages);
    };
    CHECK_THAT(check(R"({"packages":{"require":[{"purl":"pkg:npm/lodash","version":">=4.17.21"}]}})"),
               ContainsSubstring("1 required present"));
    CHECK_NOTHROW(check(R"({"packages":{"require":[{"purl":"pkg:npm/%40types/node","version":"<14.18.100","digest":"sha512:CD"}]}})"));
    CHECK_THROWS_WITH(check(R"({"packages":{"require":[{"purl":"pkg:npm/lodash","version":">4.17.21"}]}})"),
                      ContainsSubstring("requires package"));
    CHECK_THROWS_WITH(check(R"({"packages":{"require":[{"purl":"pkg:npm/lodash","digest":"sha512:00"}]}})"),
                      ContainsSubstring("requires package"));
    CHECK_THROWS_WITH(check(R"({"packages":{"forbid":[{"purl":"pkg:npm/lodash","version":"<4.17.22"}]}})"),
                      ContainsSubstring("forbids package"));
    CHECK_NOTHROW(check(R"({"packages":{"forbid":[{"purl":"pkg:npm/lodash","version":"<4.17.9"}]}})"));
    CHECK_NOTHROW(check(R"({"packages":{"forbid":[{"purl":"pkg:npm/lodas"}]}})"));  // a prefix is not the package
    CHECK_THROWS_WITH(bundle::parse_policy(R"({"packages":{"require":[{"purl":"pkg:npm/x@1"}]}})"),
                      ContainsSubstring("without @version"));
    CHECK_THROWS_WITH(bundle::parse_policy(R"({"packages":{"allow":[]}})"), ContainsSubstring("unknown key"));
}

TEST_CASE("cargo records: the deps reply, the provenance entries and pkg:cargo policy rules") {
    std::string sum = std::string(64, 'a');
    std::vector<DepLockfile> locks{{"cargo", "Cargo.lock", sha256(std::string("lock")), 3, 2300}};
    std::vector<DepPackage> pk{{"pkg:cargo/kettle-fx-alpha@0.1.0", "sha256", sum}};
    ParserReply r = decode_parser_reply(encode_deps_reply(locks, pk), ReplyKind::deps);
    REQUIRE(r.ok);
    CHECK(r.lockfiles[0].ecosystem == "cargo");
    CHECK(r.lockfiles[0].path == "Cargo.lock");
    CHECK(r.packages[0].purl == pk[0].purl);
    CHECK(r.packages[0].alg == "sha256");

    Json deps = Json::array({Json{{"name", "lockfile/cargo"}, {"uri", "Cargo.lock"}, {"digest", {{"sha256", sum}}}},
                             Json{{"uri", "pkg:cargo/kettle-fx-alpha@0.1.0"}, {"digest", {{"sha256", sum}}}},
                             Json{{"uri", "pkg:cargo/kettle-fx-beta@0.2.0"}, {"digest", {{"sha256", "bb"}}}}});
    auto check = [&](const std::string& policy) {
        bundle::Policy p = bundle::parse_policy(policy);
        return bundle::check_package_rules(deps, p.require_packages, p.forbid_packages);
    };
    CHECK_NOTHROW(check(R"({"packages":{"require":[{"purl":"pkg:cargo/kettle-fx-alpha","version":"0.1.0","digest":"sha256:)" +
                        sum + R"("}]}})"));
    CHECK_THROWS_WITH(check(R"({"packages":{"forbid":[{"purl":"pkg:cargo/kettle-fx-beta","version":"<0.3.0"}]}})"),
                      ContainsSubstring("forbids package"));
    CHECK_THROWS_WITH(check(R"({"packages":{"require":[{"purl":"pkg:cargo/kettle-fx-gamma"}]}})"),
                      ContainsSubstring("requires package"));
    // Another ecosystem, which this build never checked (no lockfile/npm): its absence proves nothing.
    CHECK_THROWS_WITH(check(R"({"packages":{"forbid":[{"purl":"pkg:npm/kettle-fx-alpha"}]}})"), ContainsSubstring("no lockfile/npm"));
}
