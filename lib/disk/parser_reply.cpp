// The parser child's reply record (kettle/disk/parser_reply.hpp, docs/formats.md section 5).
#include "kettle/disk/parser_reply.hpp"

#include <array>
#include <cstdint>
#include <initializer_list>

#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/text.hpp"

namespace kettle {

namespace {

constexpr std::string_view kMagic = "KETTLEP1";

enum Tag : std::uint8_t {
    kError = 0x01,
    kArgv = 0x10, kEnv = 0x11, kWorkdir = 0x12, kArtifact = 0x13, kTimeout = 0x14, kMemoryLimit = 0x15,
    kPids = 0x16, kLogLimit = 0x17, kNonce = 0x18, kSourceUri = 0x19, kSourceRef = 0x1A, kDependencies = 0x1B,
    kRequestedRef = 0x1C, kRequireArtifacts = 0x1D,
    kRequestMember = 0x20, kToolchain = 0x21, kFile = 0x22, kSourceSummary = 0x23, kToolchainImage = 0x24,
    kDepFiles = 0x25,
    kCommit = 0x30, kTree = 0x31,
    kProbe = 0x40,
    kDepLockfile = 0x50, kDepPackage = 0x51,
    kEnd = 0xFF,
};

/// Per tag: smallest and largest value length in bytes, how often it may appear, whether it is text (UTF-8).
struct FieldRule {
    std::uint8_t tag;
    std::uint32_t min_len, max_len, max_count;
    bool text;
};
constexpr std::size_t kDigest = 32, kMember = 8 + kDigest;  // member value: le64 size | sha256 | name
// deps lockfile value: le64 files | le64 bytes | sha256 | "<ecosystem>\0<path>";
// deps package value: algorithm code (1 sha512, 2 sha256, 3 sha1) | digest | purl.
constexpr std::size_t kLockHead = 16 + kDigest;
constexpr std::array<FieldRule, 27> kFields{{
    {kError, 0, kParserErrorMax, 1, true},
    {kArgv, 0, 65536, 4096, true},
    {kEnv, 2, 1u << 20, 4096, true},  // "NAME=value" (names have no bound of their own in request.json)
    {kWorkdir, 1, 1024, 1, true},
    {kArtifact, 1, 1024, 1024, true},
    {kTimeout, 4, 4, 1, false},
    {kMemoryLimit, 8, 8, 1, false},
    {kPids, 4, 4, 1, false},
    {kLogLimit, 8, 8, 1, false},
    {kNonce, 0, 1024, 1, true},
    {kSourceUri, 0, 4096, 1, true},
    {kSourceRef, 1, 1024, 1, true},
    {kRequestedRef, 1, 1024, 1, true},
    {kRequireArtifacts, 1, 1, 1, false},  // 0x01 (only written when true)
    {kRequestMember, kMember, kMember, 1, false},
    {kToolchain, kMember + 1, kMember + 32, 1, false},
    {kFile, kMember + 1, kMember + 1024, 4096, false},
    {kSourceSummary, kDigest + 24, kDigest + 24, 1, false},
    {kToolchainImage, kDigest + 8, kDigest + 8, 1, false},  // root hash | le64 data blocks
    {kCommit, 40, 64, 1, true},
    {kTree, 40, 64, 1, true},
    {kProbe, 3, 1100, kParserProbesMax, true},
    {kDependencies, 2, 6, 4, true},  // "npm", "cargo", "go", "debian"
    {kDepFiles, 8, 8, 1, false},
    {kDepLockfile, kLockHead + 3, kLockHead + 1100, 4, false},
    {kDepPackage, 1 + 20 + 5, 1 + 64 + 1024, kDepPackagesMax, false},
}};

// Code 4 is the in-toto DigestSet "dirHash" (Go's h1: directory hash, 32 bytes) of Go modules.
const char* alg_of_code(std::uint8_t c) {
    return c == 1 ? "sha512" : c == 2 ? "sha256" : c == 3 ? "sha1" : c == 4 ? "dirHash" : "";
}
std::size_t alg_length(std::uint8_t c) { return c == 1 ? 64 : c == 2 ? 32 : c == 3 ? 20 : c == 4 ? 32 : 0; }

/// A purl as the deps child writes it: "pkg:" then printable ASCII without spaces.
bool plain_purl(std::string_view s) {
    if (s.size() < 5 || s.substr(0, 4) != "pkg:") return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

const FieldRule* rule_of(std::uint8_t tag) {
    for (const auto& r : kFields)
        if (r.tag == tag) return &r;
    return nullptr;
}

class Writer {
public:
    Writer() { out_.append(kMagic); }
    void field(Tag t, std::string_view v) {
        out_.push_back(static_cast<char>(t));
        Bytes len;
        put_le32(len, static_cast<std::uint32_t>(v.size()));
        out_.append(len.begin(), len.end());
        out_.append(v);
    }
    void u32(Tag t, std::uint32_t v) {
        Bytes b;
        put_le32(b, v);
        field(t, to_string(b));
    }
    void u64(Tag t, std::uint64_t v) {
        Bytes b;
        put_le64(b, v);
        field(t, to_string(b));
    }
    void member(Tag t, const DiskMember& m, bool with_name) {
        Bytes b;
        put_le64(b, m.size);
        std::string v = to_string(b) + to_string(m.sha256);
        if (with_name) v += m.name;
        field(t, v);
    }
    void probes(const std::vector<std::string>& lines) {
        for (std::size_t i = 0; i < lines.size() && i < kParserProbesMax; ++i) {
            auto tab = lines[i].find('\t');  // each half printable, the tab between them kept
            std::string line = printable(std::string_view(lines[i]).substr(0, tab), 600);
            if (tab != std::string::npos) line += "\t" + printable(std::string_view(lines[i]).substr(tab + 1), 400);
            field(kProbe, line);
        }
    }
    std::string finish() {
        field(kEnd, {});
        return std::move(out_);
    }

private:
    std::string out_;
};

[[noreturn]] void bad(const std::string& why) { throw Error("parser reply: " + why); }

DiskMember member_of(std::string_view v, const char* what) {
    DiskMember m;
    m.size = le64(as_bytes(v), 0);
    m.sha256 = Bytes(v.begin() + 8, v.begin() + kMember);
    m.name = std::string(v.substr(kMember));
    if (!m.name.empty()) {
        try {
            if (normalize_member_path(m.name, 1024) != m.name) bad(std::string(what) + " name is not normalized");
        } catch (const Error& e) {
            bad(std::string(what) + " name: " + e.what());
        }
    }
    return m;
}

bool is_lower_hex(std::string_view s) {
    if (s.size() != 40 && s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

/// A deps lockfile record: le64 files | le64 bytes | sha256 | "<ecosystem>\0<path>".
DepLockfile lockfile_of(std::string_view v) {
    ByteView b = as_bytes(v);
    DepLockfile l;
    l.files = le64(b, 0);
    l.bytes = le64(b, 8);
    l.sha256 = Bytes(b.begin() + 16, b.begin() + kLockHead);
    std::string_view rest = v.substr(kLockHead);
    auto nul = rest.find('\0');
    if (nul == std::string_view::npos) bad("lockfile record without an ecosystem");
    l.ecosystem = std::string(rest.substr(0, nul));
    l.path = std::string(rest.substr(nul + 1));
    if (l.ecosystem != "npm" && l.ecosystem != "cargo" && l.ecosystem != "go" && l.ecosystem != "debian") bad("lockfile of an unknown ecosystem");
    try {
        if (!valid_utf8(l.path) || normalize_member_path(l.path, 1024) != l.path) bad("lockfile path is not normalized");
    } catch (const Error& e) {
        bad("lockfile path " + quote_text(l.path) + ": " + e.what());
    }
    return l;
}

/// A deps package record: algorithm code | digest | purl.
DepPackage package_of(std::string_view v) {
    ByteView b = as_bytes(v);
    auto code = static_cast<std::uint8_t>(v[0]);
    std::size_t n = alg_length(code);
    if (!n || v.size() < 1 + n + 5) bad("package record with an unknown digest algorithm or too short");
    DepPackage d{std::string(v.substr(1 + n)), alg_of_code(code), hex(Bytes(b.begin() + 1, b.begin() + 1 + n))};
    if (!plain_purl(d.purl)) bad("package URL " + quote_text(d.purl) + " is not pkg: and printable ASCII");
    return d;
}

/// Apply one checked field to the reply under construction.
void apply(ParserReply& p, std::uint8_t tag, std::string_view v) {
    BuildRequest& q = p.ingest.request;
    ByteView b = as_bytes(v);
    switch (tag) {
        case kError: p.error = std::string(v); break;
        case kArgv: q.argv.emplace_back(v); break;
        case kEnv: {
            auto eq = v.find('=');
            if (eq == std::string_view::npos || eq == 0) bad("environment entry without a name");
            if (!q.env.emplace(std::string(v.substr(0, eq)), std::string(v.substr(eq + 1))).second)
                bad("environment variable given twice");
            break;
        }
        case kWorkdir: q.workdir = std::string(v); break;
        case kArtifact: q.artifacts.emplace_back(v); break;
        case kTimeout: q.timeout_seconds = le32(b, 0); break;
        case kMemoryLimit: q.memory_limit_mib = le64(b, 0); break;
        case kPids: q.pids_limit = le32(b, 0); break;
        case kLogLimit: q.log_limit_bytes = le64(b, 0); break;
        case kNonce: q.nonce = std::string(v); break;
        case kSourceUri: q.source_uri = std::string(v); break;
        case kSourceRef: q.source_ref = std::string(v); break;
        case kRequestedRef: q.requested_ref = std::string(v); break;
        case kRequireArtifacts:
            if (v[0] != 1) bad("require_artifacts is not 0x01");
            q.require_artifacts = true;
            break;
        case kRequestMember:
            p.ingest.request_member = member_of(v, "request member");
            p.ingest.request_member.name = "request.json";
            break;
        case kToolchain: {
            DiskMember m = member_of(v, "toolchain");
            if (m.name != "toolchain.tar" && m.name != "toolchain.tar.zst" && m.name != "toolchain.tar.gz")
                bad("toolchain name " + quote_text(m.name) + " is not one of toolchain.tar[.zst|.gz]");
            p.ingest.toolchain = std::move(m);
            break;
        }
        case kToolchainImage:
            q.toolchain_image = ToolchainImageRef{Bytes(b.begin(), b.begin() + kDigest), le64(b, kDigest)};
            break;
        case kFile: {
            DiskMember m = member_of(v, "file");
            if (m.name.rfind("files/", 0) != 0) bad("file name " + quote_text(m.name) + " is not under files/");
            p.ingest.files.push_back(std::move(m));
            break;
        }
        case kSourceSummary:
            p.ingest.source_digest = Bytes(b.begin(), b.begin() + kDigest);
            p.ingest.source_files = le64(b, kDigest);
            p.ingest.entries = le64(b, kDigest + 8);
            p.ingest.extracted_bytes = le64(b, kDigest + 16);
            break;
        case kProbe: p.probes.emplace_back(v); break;
        case kDependencies:
            if (v != "npm" && v != "cargo" && v != "go" && v != "debian") bad("unknown ecosystem " + quote_text(v));
            q.dependencies.emplace_back(v);
            break;
        case kDepFiles: p.ingest.dep_files = le64(b, 0); break;
        case kDepLockfile: p.lockfiles.push_back(lockfile_of(v)); break;
        case kDepPackage: p.packages.push_back(package_of(v)); break;
        case kCommit:
        case kTree:
            if (!is_lower_hex(v)) bad("object id " + quote_text(v) + " is not 40 or 64 lower-case hex digits");
            (tag == kCommit ? p.commit_id : p.tree_id) = std::string(v);
            break;
        default: bad("unknown field");
    }
}

/// The request as request.json would have given it: every rule of request_from_json applies again.
void recheck_request(ParserReply& p) {
    try {
        p.ingest.request = request_from_json(request_to_json(p.ingest.request));
    } catch (const Error& e) {
        bad(std::string("the request does not pass its own rules: ") + e.what());
    }
}

}  // namespace

std::string encode_ingest_reply(const IngestResult& r, const std::vector<std::string>& probes) {
    Writer w;
    w.probes(probes);
    const BuildRequest& q = r.request;
    for (const auto& a : q.argv) w.field(kArgv, a);
    for (const auto& [k, v] : q.env) w.field(kEnv, k + "=" + v);
    w.field(kWorkdir, q.workdir);
    for (const auto& a : q.artifacts) w.field(kArtifact, a);
    w.u32(kTimeout, q.timeout_seconds);
    w.u64(kMemoryLimit, q.memory_limit_mib);
    w.u32(kPids, q.pids_limit);
    w.u64(kLogLimit, q.log_limit_bytes);
    w.field(kNonce, q.nonce);
    w.field(kSourceUri, q.source_uri);
    w.field(kSourceRef, q.source_ref);
    if (!q.requested_ref.empty()) w.field(kRequestedRef, q.requested_ref);
    if (q.require_artifacts) w.field(kRequireArtifacts, std::string_view("\x01", 1));
    for (const auto& d : q.dependencies) w.field(kDependencies, d);
    if (r.dep_files) w.u64(kDepFiles, r.dep_files);
    w.member(kRequestMember, r.request_member, false);
    if (q.toolchain_image) {  // no toolchain member then (docs/formats.md §5)
        Bytes image = q.toolchain_image->root_hash;
        put_le64(image, q.toolchain_image->data_blocks);
        w.field(kToolchainImage, to_string(image));
    } else {
        w.member(kToolchain, r.toolchain, true);
    }
    for (const auto& f : r.files) w.member(kFile, f, true);
    Bytes summary = r.source_digest;
    put_le64(summary, r.source_files);
    put_le64(summary, r.entries);
    put_le64(summary, r.extracted_bytes);
    w.field(kSourceSummary, to_string(summary));
    return w.finish();
}

std::string encode_checkout_reply(std::string_view commit_id, std::string_view tree_id,
                                  const std::vector<std::string>& probes) {
    Writer w;
    w.probes(probes);
    w.field(kCommit, commit_id);
    w.field(kTree, tree_id);
    return w.finish();
}

std::string encode_deps_reply(const std::vector<DepLockfile>& lockfiles, const std::vector<DepPackage>& packages,
                              const std::vector<std::string>& probes) {
    Writer w;
    w.probes(probes);
    for (const auto& l : lockfiles) {
        Bytes b;
        put_le64(b, l.files);
        put_le64(b, l.bytes);
        b.insert(b.end(), l.sha256.begin(), l.sha256.end());
        w.field(kDepLockfile, to_string(b) + l.ecosystem + std::string(1, '\0') + l.path);
    }
    for (const auto& d : packages) {
        std::uint8_t code = d.alg == "sha512" ? 1 : d.alg == "sha256" ? 2 : d.alg == "sha1" ? 3
                            : d.alg == "dirHash" ? 4 : 0;
        if (!code) throw Error("parser reply: package " + d.purl + " has an unknown digest algorithm");
        w.field(kDepPackage, std::string(1, static_cast<char>(code)) + to_string(unhex(d.hex)) + d.purl);
    }
    return w.finish();
}

std::string encode_error_reply(std::string_view message, const std::vector<std::string>& probes) {
    Writer w;
    w.probes(probes);
    w.field(kError, printable(message, kParserErrorMax));
    return w.finish();
}

ParserReply decode_parser_reply(std::string_view in, ReplyKind kind) {
    if (in.size() > kParserReplyMax) bad("longer than " + std::to_string(kParserReplyMax) + " bytes");
    if (in.substr(0, kMagic.size()) != kMagic) bad("no KETTLEP1 magic (the child wrote nothing usable)");
    ParserReply p;
    std::array<std::uint32_t, 256> seen{};
    std::size_t pos = kMagic.size();
    bool ended = false;
    while (!ended) {
        if (in.size() - pos < 5) bad("truncated at byte " + std::to_string(pos));
        auto tag = static_cast<std::uint8_t>(in[pos]);
        std::uint32_t len = le32(as_bytes(in), pos + 1);
        pos += 5;
        if (len > in.size() - pos) bad("field " + std::to_string(tag) + " runs past the end");
        std::string_view v = in.substr(pos, len);
        pos += len;
        if (tag == kEnd) {
            if (len != 0 || pos != in.size()) bad("bytes after the end field");
            ended = true;
            break;
        }
        const FieldRule* r = rule_of(tag);
        if (!r) bad("unknown field " + std::to_string(tag));
        if (len < r->min_len || len > r->max_len) bad("field " + std::to_string(tag) + " has a bad length");
        if (++seen[tag] > r->max_count) bad("field " + std::to_string(tag) + " given too often");
        if (r->text && !valid_utf8(v)) bad("field " + std::to_string(tag) + " is not valid UTF-8");
        apply(p, tag, v);
    }
    // Which fields each kind may carry besides the probe lines.
    auto only = [&](std::initializer_list<std::uint8_t> allowed, const char* what) {
        for (unsigned t = 0; t < seen.size(); ++t) {
            if (!seen[t] || t == kProbe) continue;
            bool ok = false;
            for (auto a : allowed) ok = ok || a == t;
            if (!ok) bad(std::string(what) + " carries field " + std::to_string(t));
        }
    };
    if (seen[kError]) {
        only({kError}, "an error reply");
        return p;
    }
    if (kind == ReplyKind::ingest) {
        for (std::uint8_t need : {kArgv, kSourceRef, kRequestMember, kSourceSummary})
            if (!seen[need]) bad("the ingest reply lacks field " + std::to_string(need));
        if (seen[kToolchain] + seen[kToolchainImage] != 1)
            bad("the ingest reply must carry exactly one of a toolchain member and a toolchain image");
        only({kArgv, kEnv, kWorkdir, kArtifact, kTimeout, kMemoryLimit, kPids, kLogLimit, kNonce, kSourceUri,
              kSourceRef, kRequestedRef, kRequireArtifacts, kDependencies, kRequestMember, kToolchain,
              kToolchainImage, kFile, kSourceSummary, kDepFiles},
             "an ingest reply");
        recheck_request(p);
    } else if (kind == ReplyKind::deps) {
        if (!seen[kDepLockfile]) bad("the deps reply names no lockfile");
        only({kDepLockfile, kDepPackage}, "a deps reply");
    } else {
        if (!seen[kCommit] || !seen[kTree]) bad("the checkout reply lacks an object id");
        only({kCommit, kTree}, "a checkout reply");
    }
    p.ok = true;
    return p;
}

}  // namespace kettle
