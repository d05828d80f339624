// Fuzz target: PID 1's decoder of the parser child's reply (decode_parser_reply, lib/disk/parser_reply.cpp;
// docs/formats.md §7): tag | le32 length | value fields after the "KETTLEP1" magic, per-tag length and count bounds,
// UTF-8 and path rules, and the request carried by an ingest reply checked again. The child parses hostile disks,
// so its reply is hostile too. The first input byte picks the kind (odd: checkout, even: ingest); the rest is the
// reply.
// Invariants: a decoded reply encodes again (encode_*_reply) to bytes that decode to the same fields (an error
// message as printable() makes it).
#include "fuzz.hpp"
#include "kettle/core/text.hpp"
#include "kettle/disk/parser_reply.hpp"

using namespace kettle;

namespace {

void check_same(const ParserReply& a, const ParserReply& b) {
    KETTLE_FUZZ_CHECK(a.ok == b.ok && a.error == b.error && a.probes == b.probes, "status, error or probes changed");
    KETTLE_FUZZ_CHECK(a.commit_id == b.commit_id && a.tree_id == b.tree_id, "object ids changed");
    KETTLE_FUZZ_CHECK(request_to_json(a.ingest.request) == request_to_json(b.ingest.request), "request changed");
    KETTLE_FUZZ_CHECK(a.ingest.files.size() == b.ingest.files.size() && a.ingest.entries == b.ingest.entries &&
                          a.ingest.source_digest == b.ingest.source_digest,
                      "ingest summary changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const ReplyKind kind = (data[0] & 1) ? ReplyKind::checkout : ReplyKind::ingest;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    ParserReply p;
    if (!fuzz::accepts([&] { p = decode_parser_reply(in, kind); })) return 0;
    if (p.ok) KETTLE_FUZZ_CHECK(p.error.empty(), "ok with an error message");
    KETTLE_FUZZ_CHECK(p.probes.size() <= kParserProbesMax, "too many probe lines");
    std::string again = !p.ok                           ? encode_error_reply(p.error, p.probes)
                        : kind == ReplyKind::checkout ? encode_checkout_reply(p.commit_id, p.tree_id, p.probes)
                                                      : encode_ingest_reply(p.ingest, p.probes);
    ParserReply q;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { q = decode_parser_reply(again, kind); }), "re-encoded reply refused");
    // The encoder makes an error message and each half of a probe line (around its first tab) printable, cut to
    // kParserErrorMax, 600 and 400 bytes (parser_reply.cpp); the decoder only requires UTF-8.
    if (!p.ok) p.error = printable(p.error, kParserErrorMax);
    for (auto& line : p.probes) {
        auto tab = line.find('\t');
        std::string s = printable(std::string_view(line).substr(0, tab), 600);
        if (tab != std::string::npos) s += "\t" + printable(std::string_view(line).substr(tab + 1), 400);
        line = s;
    }
    check_same(p, q);
    return 0;
}
