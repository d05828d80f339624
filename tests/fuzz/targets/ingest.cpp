// Fuzz target: the guest's input-disk path as main runs it (docs/formats.md §1 and §7): the ingest child's reader
// (ingest_stream, lib/disk/ingest.cpp: the outer tar, request.json, the source/ and files/ trees, and the nested
// toolchain archive, tar, tar.zst or tar.gz, with its links), extracting into a scratch directory under /dev/shm
// that is emptied after every input; then the child's reply (encode_ingest_reply) as PID 1 decodes it
// (decode_parser_reply, lib/disk/parser_reply.cpp). The input is the device: a memfd of exactly its bytes, read
// sequentially as the child reads its pipe. Smaller extraction limits than the guest's defaults keep each run
// short; the limit checks are the same code.
// Invariants: whatever the child accepts, PID 1 accepts from its reply, with the same request, members and counts
// (a mismatch would fail every good build, or let the two sides disagree on what was built).
#include "fuzz.hpp"
#include "kettle/disk/format.hpp"
#include "kettle/disk/parser_reply.hpp"

#include <sys/stat.h>
#include <unistd.h>

using namespace kettle;

namespace {
bool same_member(const DiskMember& a, const DiskMember& b) { return a.name == b.name && a.sha256 == b.sha256 && a.size == b.size; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string root = fuzz::scratch_dir("ingest");
    const std::string dest = root + "/d";
    ::mkdir(dest.c_str(), 0700);
    IngestLimits lim;
    lim.max_entries = 4096;
    lim.max_member_bytes = 8u << 20;
    lim.max_total_bytes = 32u << 20;
    int fd = fuzz::memfd_with(ByteView(data, size));
    IngestResult r;
    bool ok = fuzz::accepts([&] { r = ingest_stream(fd, size, dest, lim); });
    ::close(fd);
    fuzz::empty_dir(root);
    if (!ok) return 0;
    const std::string reply = encode_ingest_reply(r, {"/dev/sev-guest\tblocked: No such file or directory"});
    ParserReply p;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { p = decode_parser_reply(reply, ReplyKind::ingest); }),
                      "PID 1 refused the reply of an ingest the child accepted");
    KETTLE_FUZZ_CHECK(p.ok, "the reply of an accepted ingest decodes as a failure");
    const IngestResult& q = p.ingest;
    KETTLE_FUZZ_CHECK(request_to_json(q.request) == request_to_json(r.request), "request changed in the reply");
    KETTLE_FUZZ_CHECK(same_member(q.request_member, r.request_member) && same_member(q.toolchain, r.toolchain),
                      "request or toolchain member changed in the reply");
    KETTLE_FUZZ_CHECK(q.files.size() == r.files.size(), "files changed in the reply");
    for (std::size_t i = 0; i < q.files.size(); ++i) KETTLE_FUZZ_CHECK(same_member(q.files[i], r.files[i]), q.files[i].name);
    KETTLE_FUZZ_CHECK(q.source_digest == r.source_digest && q.source_files == r.source_files && q.entries == r.entries &&
                          q.extracted_bytes == r.extracted_bytes,
                      "source summary or counts changed in the reply");
    KETTLE_FUZZ_CHECK(p.probes.size() == 1, "probe lines changed in the reply");
    return 0;
}
