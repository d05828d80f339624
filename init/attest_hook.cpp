// Attestation step of PID 1: the SLSA statement over what PID 1 measured, the DSSE envelope signed with an
// ephemeral key, and the report that binds both (kettle/attest.hpp). Runs after every build process is dead.
#include "attest_hook.hpp"

#include <ctime>
#include <sys/random.h>
#include <sys/utsname.h>

#include "kettle/attest/attest.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/disk/verity.hpp"
#include "kettle/version.hpp"
#include "jail.hpp"

namespace kettle::init {

namespace {

NamedDigest named(const DiskMember& m) { return {m.name, hex(m.sha256), ""}; }

/// The identity PID 1 opened the toolchain disk with (the request's root hash and D, the fixed parameters).
ToolchainImageDigest image_digest(const ToolchainImageRef& r) {
    ToolchainImageDigest d;
    d.root_hash = hex(r.root_hash);
    d.format = kToolchainImageFormat;
    d.hash_algorithm = "sha256";
    d.salt = hex(verity_salt());
    d.data_blocks = r.data_blocks;
    d.data_block_size = kVerityBlockSize;
    d.hash_block_size = kVerityBlockSize;
    d.hash_start_block = verity_hash_start_block(r.data_blocks);
    d.image_bytes = toolchain_image_bytes(r.data_blocks);
    return d;
}

/// A unique id for this run: 128 bits from getrandom, as hex.
std::string invocation_id() {
    Bytes b(16);
    std::size_t got = 0;
    while (got < b.size()) {
        ssize_t n = ::getrandom(b.data() + got, b.size() - got, 0);
        if (n < 0) throw Error("getrandom failed for the invocation id");
        got += static_cast<std::size_t>(n);
    }
    return hex(b);
}

/// The toolchain recipe `kettle run` put on the input disk (files/toolchain.recipe.json), when there is one: its
/// bytes as the ingest child extracted them, read with a fixed bound and used only when their SHA-256 is the one
/// measured while reading the disk (the bytes are copied into the statement, never parsed here).
void add_toolchain_recipe(const IngestResult& in, ProvenanceInputs& p) {
    constexpr std::size_t kMax = 256 * 1024;
    for (const auto& f : in.files) {
        if (f.name != "files/toolchain.recipe.json") continue;
        if (f.size > kMax) throw Error("attest: the toolchain recipe is larger than 256 KiB");
        std::string bytes = read_text_file("/work/in/" + f.name, kMax + 1);
        if (bytes.size() != f.size || sha256(std::string_view(bytes)) != f.sha256)
            throw Error("attest: the extracted toolchain recipe differs from the bytes read from the input disk");
        p.toolchain_recipe_input = f.name;
        p.toolchain_recipe = std::move(bytes);
    }
}

}  // namespace

void attest_and_write(const BuildRecord& rec, OutputWriter& out, Json& status) {
    if (!rec.inputs || !rec.build_log) throw Error("attest: the build record is incomplete");
    const IngestResult& in = *rec.inputs;
    ProvenanceInputs p;
    for (const auto& a : rec.artifacts) p.subjects.push_back({a.name, hex(a.sha256), "", a.link_target});
    p.build_request = request_to_json(in.request).dump();
    p.build_request_sha256 = hex(in.request_member.sha256);
    p.source_uri = in.request.source_uri;
    p.git_commit = rec.commit_id;
    p.git_tree = rec.tree_id;
    if (in.request.toolchain_image) p.toolchain_image = image_digest(*in.request.toolchain_image);
    else p.toolchain = named(in.toolchain);
    for (const auto& f : in.files) p.extra_inputs.push_back(named(f));
    add_toolchain_recipe(in, p);
    p.input_disk_sha256 = hex(in.device_sha256);
    for (const auto& l : rec.lockfiles) p.lockfiles.push_back({l.ecosystem, l.path, hex(l.sha256)});
    for (const auto& d : rec.packages) p.packages.push_back({d.purl, d.alg, d.hex});
    p.internal_parameters = Json{{"limits", rec.limits}, {"sandbox", rec.sandbox}};
    p.init_version = kVersion;
    utsname u{};
    ::uname(&u);
    p.kernel_version = u.release;
    p.image = read_image_identity();
    p.vm = observe_vm_shape();
    p.invocation_id = invocation_id();
    p.started_on = rfc3339_utc(rec.started_unix);
    p.finished_on = rfc3339_utc_now();
    p.build_log_sha256 = hex(sha256(std::string_view(*rec.build_log)));

    AttestOptions opt;
    opt.boot = rec.boot;
    AttestResult r = attest_build(p, opt);
    out.add_bytes("provenance.intoto.jsonl", r.envelope_jsonl);
    out.add_bytes("evidence.json", r.evidence_json);
    status["attestation"] = Json{{"attested", r.attested},     {"mode", mode_name(r.mode)},
                                 {"platform", r.platform},     {"backend", r.backend},
                                 {"keyid", r.keyid},           {"host_data_matches", r.host_data_matches},
                                 {"error", r.error}};
}

}  // namespace kettle::init
