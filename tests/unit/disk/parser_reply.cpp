// The parser child's reply record (kettle/disk/parser_reply.hpp, docs/formats.md §7): round trips, and every
// malformed or hostile reply is an Error("parser reply: ..."), never a crash, another exception or a silent default.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/disk/parser_reply.hpp"

using namespace kettle;
using Catch::Matchers::ContainsSubstring;

namespace {

IngestResult sample() {
    IngestResult r;
    r.request = parse_request(R"({"version":1,"argv":["/bin/sh","-c","make \u00e9"],"env":{"A":"1","B":"x=y"},)"
                              R"("artifacts":["out/**"],"timeout_seconds":77,"pids_limit":64,"nonce":"ab",)"
                              R"("source_uri":"file:///src","source_ref":"main","workdir":"sub"})");
    r.request_member = {"request.json", 200, sha256(std::string_view("req"))};
    r.toolchain = {"toolchain.tar.zst", 123456789, sha256(std::string_view("tc"))};
    r.files = {{"files/a.txt", 3, sha256(std::string_view("a"))}, {"files/d/b", 0, sha256(std::string_view(""))}};
    r.source_digest = sha256(std::string_view("src"));
    r.source_files = 12;
    r.entries = 345;
    r.extracted_bytes = 678;
    return r;
}

/// A reply whose fields are given raw: magic, then (tag, value) pairs, then END.
std::string raw(std::initializer_list<std::pair<int, std::string>> fields, bool end = true) {
    std::string s = "KETTLEP1";
    auto put = [&](int tag, const std::string& v) {
        s.push_back(static_cast<char>(tag));
        Bytes l;
        put_le32(l, static_cast<std::uint32_t>(v.size()));
        s.append(l.begin(), l.end());
        s += v;
    };
    for (const auto& [t, v] : fields) put(t, v);
    if (end) put(0xFF, "");
    return s;
}

}  // namespace

TEST_CASE("parser reply: an ingest reply round-trips", "[parser-reply]") {
    IngestResult in = sample();
    ParserReply r = decode_parser_reply(encode_ingest_reply(in, {"/dev/vdb\tblocked: No such file or directory"}),
                                        ReplyKind::ingest);
    REQUIRE(r.ok);
    CHECK(r.ingest.request.argv == in.request.argv);
    CHECK(r.ingest.request.env == in.request.env);
    CHECK(r.ingest.request.workdir == "sub");
    CHECK(r.ingest.request.artifacts == in.request.artifacts);
    CHECK(r.ingest.request.timeout_seconds == 77);
    CHECK(r.ingest.request.pids_limit == 64);
    CHECK(r.ingest.request.log_limit_bytes == in.request.log_limit_bytes);
    CHECK(r.ingest.request.nonce == "ab");
    CHECK(r.ingest.request.source_uri == "file:///src");
    CHECK(r.ingest.request.source_ref == "main");
    CHECK(r.ingest.request_member.name == "request.json");
    CHECK(r.ingest.request_member.size == 200);
    CHECK(r.ingest.request_member.sha256 == in.request_member.sha256);
    CHECK(r.ingest.toolchain.name == "toolchain.tar.zst");
    CHECK(r.ingest.toolchain.size == 123456789);
    REQUIRE(r.ingest.files.size() == 2);
    CHECK(r.ingest.files[1].name == "files/d/b");
    CHECK(r.ingest.source_digest == in.source_digest);
    CHECK(r.ingest.source_files == 12);
    CHECK(r.ingest.entries == 345);
    CHECK(r.ingest.extracted_bytes == 678);
    CHECK(r.ingest.device_sha256.empty());  // never sent: PID 1 measures the device
    CHECK(r.probes == std::vector<std::string>{"/dev/vdb\tblocked: No such file or directory"});
}

TEST_CASE("parser reply: requested_ref and require_artifacts round-trip, and are absent by default", "[parser-reply]") {
    IngestResult in = sample();
    CHECK_FALSE(decode_parser_reply(encode_ingest_reply(in, {}), ReplyKind::ingest).ingest.request.require_artifacts);
    in.request = parse_request(R"({"version":1,"argv":["/bin/true"],"source_ref":"0123456789abcdef0123456789abcdef01234567",)"
                               R"("requested_ref":"v1.2.0","require_artifacts":true})");
    ParserReply r = decode_parser_reply(encode_ingest_reply(in, {}), ReplyKind::ingest);
    REQUIRE(r.ok);
    CHECK(r.ingest.request.requested_ref == "v1.2.0");
    CHECK(r.ingest.request.require_artifacts);
    CHECK(request_to_json(r.ingest.request)["requested_ref"] == "v1.2.0");
    CHECK(request_to_json(r.ingest.request)["require_artifacts"] == true);
    CHECK_FALSE(request_to_json(sample().request).contains("requested_ref"));
    CHECK_FALSE(request_to_json(sample().request).contains("require_artifacts"));
    CHECK_THROWS_WITH(parse_request(R"({"version":1,"argv":["x"],"source_ref":"m","require_artifacts":1})"),
                      ContainsSubstring("require_artifacts: not true or false"));
}

TEST_CASE("parser reply: a request with a toolchain image carries the image, not a member", "[parser-reply][verity]") {
    IngestResult in = sample();
    const std::string root(64, 'a');
    in.request = parse_request(R"({"version":1,"argv":["/bin/true"],"source_ref":"main","toolchain_image":)"
                               R"({"root_hash":")" + root + R"(","data_blocks":300}})");
    in.toolchain = {};
    ParserReply r = decode_parser_reply(encode_ingest_reply(in, {}), ReplyKind::ingest);
    REQUIRE(r.ok);
    REQUIRE(r.ingest.request.toolchain_image);
    CHECK(hex(r.ingest.request.toolchain_image->root_hash) == root);
    CHECK(r.ingest.request.toolchain_image->data_blocks == 300);
    CHECK(r.ingest.toolchain.name.empty());
    // Both, or neither, is refused; so is an image whose block count request.json itself would refuse.
    Bytes image(32, 0xaa);
    put_le64(image, 300);
    const std::string member = std::string(8, '\0') + std::string(32, 'x') + "toolchain.tar";
    const std::string summary(56, '\0');
    auto reply = [&](bool with_member, bool with_image) {
        std::string s = raw({{0x10, "/bin/true"}, {0x1A, "main"}, {0x20, std::string(40, '\0')}, {0x23, summary}}, false);
        std::string tail;
        auto put = [&](int tag, const std::string& v) {
            tail.push_back(static_cast<char>(tag));
            Bytes l;
            put_le32(l, static_cast<std::uint32_t>(v.size()));
            tail.append(l.begin(), l.end());
            tail += v;
        };
        if (with_member) put(0x21, member);
        if (with_image) put(0x24, to_string(image));
        put(0xFF, "");
        return s + tail;
    };
    CHECK(decode_parser_reply(reply(true, false), ReplyKind::ingest).ok);
    CHECK(decode_parser_reply(reply(false, true), ReplyKind::ingest).ok);
    CHECK_THROWS_WITH(decode_parser_reply(reply(true, true), ReplyKind::ingest), ContainsSubstring("exactly one"));
    CHECK_THROWS_WITH(decode_parser_reply(reply(false, false), ReplyKind::ingest), ContainsSubstring("exactly one"));
    image.resize(32);
    put_le64(image, 0);  // D = 0 is not a toolchain image
    CHECK_THROWS_AS(decode_parser_reply(reply(false, true), ReplyKind::ingest), Error);
}

TEST_CASE("parser reply: checkout and error replies", "[parser-reply]") {
    std::string c(40, 'a'), t(40, 'b');
    ParserReply r = decode_parser_reply(encode_checkout_reply(c, t), ReplyKind::checkout);
    CHECK((r.ok && r.commit_id == c && r.tree_id == t));
    ParserReply e = decode_parser_reply(encode_error_reply("input: files/\xFF: bad"), ReplyKind::ingest);
    CHECK_FALSE(e.ok);
    CHECK(e.error == "input: files/\\xFF: bad");  // made printable by the child's encoder
    std::string long_msg(10000, 'm');
    CHECK(decode_parser_reply(encode_error_reply(long_msg), ReplyKind::checkout).error.size() <= kParserErrorMax);
    // A reply of the wrong kind is refused.
    CHECK_THROWS_WITH(decode_parser_reply(encode_checkout_reply(c, t), ReplyKind::ingest), ContainsSubstring("lacks"));
    CHECK_THROWS_WITH(decode_parser_reply(encode_ingest_reply(sample()), ReplyKind::checkout), ContainsSubstring("lacks"));
}

TEST_CASE("parser reply: hostile replies are errors", "[parser-reply]") {
    const std::string c(40, 'c'), t(40, 'd'), member(40, '\0'), summary(56, '\0');
    const ReplyKind co = ReplyKind::checkout, in = ReplyKind::ingest;
    struct Case {
        const char* name;
        ReplyKind kind;
        std::string bytes;
        const char* expect;
    };
    std::vector<Case> cases = {
        {"empty", co, "", "no KETTLEP1 magic"},
        {"no end field", co, raw({{0x30, c}, {0x31, t}}, false), "truncated"},
        {"bytes after the end", co, raw({{0x30, c}, {0x31, t}}) + "x", "bytes after the end field"},
        {"a length past the end", co, std::string("KETTLEP1\x30\xff\xff\xff\x7f", 13), "runs past the end"},
        {"unknown tag", co, raw({{0x77, "x"}, {0x30, c}, {0x31, t}}), "unknown field"},
        {"a single field twice", co, raw({{0x30, c}, {0x30, c}, {0x31, t}}), "given too often"},
        {"an object id that is not hex", co, raw({{0x30, std::string(40, 'g')}, {0x31, t}}), "not 40 or 64"},
        {"an object id of 41 digits", co, raw({{0x30, std::string(41, 'a')}, {0x31, t}}), "not 40 or 64"},
        {"an error with other fields", co, raw({{0x01, "no"}, {0x30, c}}), "carries field"},
        {"a checkout reply with a request field", co, raw({{0x30, c}, {0x31, t}, {0x10, "sh"}}), "carries field"},
        {"text that is not UTF-8", co, raw({{0x01, "bad \xFF"}}), "not valid UTF-8"},
        {"a field shorter than its minimum", co, raw({{0x14, "\x01"}}), "bad length"},
        {"a toolchain with another name", in,
         raw({{0x10, "sh"}, {0x1A, "m"}, {0x20, member}, {0x21, member + "rootfs.tar"}, {0x23, summary}}), "is not one of"},
        {"a file outside files/", in,
         raw({{0x10, "sh"}, {0x1A, "m"}, {0x20, member}, {0x21, member + "toolchain.tar"},
              {0x22, member + "../etc/passwd"}, {0x23, summary}}),
         "file name"},
        {"a request the request rules refuse (pids_limit 1)", in,
         raw({{0x10, "sh"}, {0x1A, "m"}, {0x16, std::string("\x01\0\0\0", 4)}, {0x20, member},
              {0x21, member + "toolchain.tar"}, {0x23, summary}}),
         "pids_limit"},
        {"an ingest reply without its toolchain", in, raw({{0x10, "sh"}, {0x1A, "m"}, {0x20, member}, {0x23, summary}}),
         "exactly one of a toolchain member and a toolchain image"},
        {"an ingest reply with object ids", in,
         raw({{0x10, "sh"}, {0x1A, "m"}, {0x20, member}, {0x21, member + "toolchain.tar"}, {0x23, summary}, {0x30, c}}),
         "carries field"},
    };
    for (const auto& k : cases) {
        INFO("case: " << k.name);
        CHECK_THROWS_WITH(decode_parser_reply(k.bytes, k.kind),
                          ContainsSubstring("parser reply: ") && ContainsSubstring(k.expect));
    }
    std::string big = "KETTLEP1" + std::string(kParserReplyMax, 'x');
    CHECK_THROWS_WITH(decode_parser_reply(big, ReplyKind::ingest), ContainsSubstring("longer than"));
}

TEST_CASE("parser reply: every single-byte change of a real reply decodes or is an Error", "[parser-reply]") {
    const std::string good = encode_ingest_reply(sample());
    int refused = 0;
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (unsigned char x : {0x01, 0x80, 0xFF}) {
            std::string b = good;
            b[i] = static_cast<char>(b[i] ^ x);
            try {
                (void)decode_parser_reply(b, ReplyKind::ingest);
            } catch (const Error& e) {
                CHECK_THAT(e.what(), ContainsSubstring("parser reply: "));
                ++refused;
            }
        }
    }
    CHECK(refused > 0);
}
