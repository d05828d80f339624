#include "kettle/provenance/statement.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <set>

#include "kettle/core/base64.hpp"
#include "kettle/core/bytes.hpp"
#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"

namespace kettle {

const char* mode_name(AttestMode m) {
    switch (m) {
        case AttestMode::snp: return "snp";
        case AttestMode::tdx: return "tdx";
        case AttestMode::sim: return "sim";
        case AttestMode::none: return "none";
    }
    return "none";
}

AttestMode parse_mode(std::string_view s) {
    if (s == "snp") return AttestMode::snp;
    if (s == "tdx") return AttestMode::tdx;
    if (s == "sim") return AttestMode::sim;
    if (s == "none") return AttestMode::none;
    throw Error("attestation mode \"" + std::string(s) + "\" is not one of snp, tdx, sim, none");
}

std::string builder_id(AttestMode m) {
    return std::string("https://kettle-build.org/builders/") + mode_name(m) + "/v1";
}

namespace {

bool is_lower_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

void need_sha256(const std::string& v, const std::string& field) {
    if (v.size() != 64 || !is_lower_hex(v))
        throw Error("provenance: " + field + " is not a lower-case hex SHA-256 (64 characters)");
}

void need_git_id(const std::string& v, const std::string& field) {
    if ((v.size() != 40 && v.size() != 64) || !is_lower_hex(v))
        throw Error("provenance: " + field + " is not a lower-case hex git object id (40 or 64 characters)");
}

void need_time(const std::string& v, const std::string& field) {
    if (!is_rfc3339_utc(v)) throw Error("provenance: " + field + " \"" + v + "\" is not RFC 3339 UTC with Z");
}

// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF) without C0 controls or DEL.
bool clean_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) return false;
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n;
        std::uint32_t cp;
        if ((c & 0xe0) == 0xc0) n = 1, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0) n = 2, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0) n = 3, cp = c & 0x07;
        else return false;
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return false;
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3f);
        }
        static const std::uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n + 1;
    }
    return true;
}

void need_text(const std::string& v, const std::string& field) {
    if (v.size() > 4096 || !clean_utf8(v))
        throw Error("provenance: " + field + " is not clean UTF-8 text (≤ 4096 bytes, no control characters)");
}

Json rd(const std::string& name, const std::string& sha256_hex) {
    return Json{{"name", name}, {"digest", {{"sha256", sha256_hex}}}};
}

/// The "toolchain" dependency: the tarball's SHA-256 and file name, or the image's dm-verity root hash with the
/// parameters it was computed with (docs/buildtype.md).
Json toolchain_descriptor(const ProvenanceInputs& in) {
    const ToolchainImageDigest& ti = in.toolchain_image;
    if (ti.root_hash.empty()) {
        if (in.toolchain.name.empty()) throw Error("provenance: toolchain rootfs has no name");
        need_text(in.toolchain.name, "the toolchain name");
        need_sha256(in.toolchain.sha256, "toolchain sha256");
        Json t = rd("toolchain", in.toolchain.sha256);
        t["annotations"] = {{"file", in.toolchain.name}};
        if (!in.toolchain.uri.empty()) t["uri"] = in.toolchain.uri;
        return t;
    }
    need_sha256(ti.root_hash, "toolchain image root hash");
    if (ti.salt.empty() || ti.salt.size() > 512 || ti.salt.size() % 2 || !is_lower_hex(ti.salt))
        throw Error("provenance: the toolchain image salt is not lower-case hex");
    need_text(ti.format, "the toolchain image format");
    need_text(ti.hash_algorithm, "the toolchain image hash algorithm");
    if (!ti.data_blocks || !ti.data_block_size || !ti.hash_block_size || !ti.image_bytes)
        throw Error("provenance: the toolchain image parameters are incomplete");
    Json verity = {{"version", 1},
                   {"hashAlgorithm", ti.hash_algorithm},
                   {"dataBlockSize", ti.data_block_size},
                   {"hashBlockSize", ti.hash_block_size},
                   {"dataBlocks", ti.data_blocks},
                   {"hashStartBlock", ti.hash_start_block},
                   {"salt", ti.salt}};
    return Json{{"name", "toolchain"},
                {"digest", {{"dmVerityRootHash", ti.root_hash}}},
                {"annotations", {{"format", ti.format}, {"imageBytes", ti.image_bytes}, {"verity", std::move(verity)}}}};
}

std::string source_uri_for(const std::string& uri, const std::string& commit) {
    // SPDX download-location form recommended by in-toto resource_descriptor.md: git+<uri>@<commit>.
    std::string u = uri.rfind("git+", 0) == 0 ? uri : "git+" + uri;
    return u + "@" + commit;
}

// The subjects (in-toto Statement v1 "subject"): at least one, each with a clean, unique name and a SHA-256.
Json subjects_json(const ProvenanceInputs& in) {
    if (in.subjects.empty()) throw Error("provenance: no subjects (a build must produce at least one artifact)");
    Json subjects = Json::array();
    std::set<std::string> seen;
    for (const auto& s : in.subjects) {
        if (s.name.empty()) throw Error("provenance: subject with an empty name");
        need_text(s.name, "a subject name");
        if (!seen.insert(s.name).second) throw Error("provenance: duplicate subject name \"" + s.name + "\"");
        need_sha256(s.sha256, "subject \"" + s.name + "\" sha256");
        Json j = rd(s.name, s.sha256);
        if (!s.uri.empty()) j["uri"] = s.uri;
        if (!s.symlink_target.empty()) {
            need_text(s.symlink_target, "a subject's link target");
            j["annotations"] = {{"symlinkTarget", s.symlink_target}};
        }
        subjects.push_back(std::move(j));
    }
    return subjects;
}

// Every free-text field that goes into the statement is clean UTF-8 of bounded length.
void check_texts(const ProvenanceInputs& in) {
    need_text(in.source_uri, "the source URI");
    need_text(in.image.cmdline, "the kernel command line");
    need_text(in.vm.cpu_model, "the CPU model");
    need_text(in.init_version, "the init version");
    need_text(in.kernel_version, "the kernel version");
    need_text(in.invocation_id, "the invocationId");
    need_text(in.build_log_name, "the build log name");
}

// The toolchain recipe (docs/buildtype.md "The toolchain recipe"): the extra input named
// in.toolchain_recipe_input carries the recipe bytes as content, and the toolchain dependency names it.
void attach_recipe(Json& deps, const ProvenanceInputs& in) {
    if (in.toolchain_recipe_input.empty()) return;
    if (in.toolchain_recipe.size() > 256 * 1024) throw Error("provenance: the toolchain recipe is larger than 256 KiB");
    const std::string name = "inputs/" + in.toolchain_recipe_input;
    Json* recipe = nullptr;
    Json* toolchain = nullptr;
    for (auto& d : deps) {
        if (d["name"] == name) recipe = &d;
        if (d["name"] == "toolchain") toolchain = &d;
    }
    if (!recipe || !toolchain) throw Error("provenance: the toolchain recipe names no extra input \"" + name + "\"");
    if ((*recipe)["digest"]["sha256"] != hex(sha256(in.toolchain_recipe)))
        throw Error("provenance: the toolchain recipe's bytes are not those of " + name);
    (*recipe)["content"] = base64_encode(as_bytes(in.toolchain_recipe));
    (*recipe)["mediaType"] = "application/json";
    (*recipe)["annotations"] = {{"kind", "kettle-toolchain-recipe"}, {"claim", "host"}};
    (*toolchain)["annotations"]["recipe"] = name;
}

// The lockfiles ("lockfile/<ecosystem>", uri = path in the source) and every package ({uri: purl, digest}),
// sorted by purl; a purl twice is an error (docs/buildtype.md "Dependencies").
void append_packages(const ProvenanceInputs& in, Json& deps) {
    std::set<std::string> ecos;
    for (const auto& l : in.lockfiles) {
        need_text(l.path, "a lockfile path");
        if (l.ecosystem.empty() || !ecos.insert(l.ecosystem).second)
            throw Error("provenance: lockfile ecosystem \"" + l.ecosystem + "\" is empty or duplicated");
        need_sha256(l.sha256, "lockfile " + l.path + " sha256");
        Json j = rd("lockfile/" + l.ecosystem, l.sha256);
        j["uri"] = l.path;
        deps.push_back(std::move(j));
    }
    std::vector<const PackageDigest*> sorted;
    for (const auto& p : in.packages) sorted.push_back(&p);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->purl < b->purl; });
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        const PackageDigest& p = *sorted[i];
        need_text(p.purl, "a package URL");
        if (p.purl.rfind("pkg:", 0) != 0) throw Error("provenance: package URL \"" + p.purl + "\" is not pkg:");
        if (i && sorted[i - 1]->purl == p.purl) throw Error("provenance: package " + p.purl + " listed twice");
        deps.push_back(Json{{"uri", p.purl}, {"digest", {{p.alg, p.hex}}}});
    }
}

// SLSA provenance v1 resolvedDependencies (docs/buildtype.md): source (gitCommit, gitTree, uri), build-request,
// toolchain, inputs/<name> for each extra input, input-disk.
Json resolved_dependencies(const ProvenanceInputs& in) {
    need_git_id(in.git_commit, "git commit");
    need_git_id(in.git_tree, "git tree");
    Json deps = Json::array();
    Json src = {{"name", "source"}, {"digest", {{"gitCommit", in.git_commit}, {"gitTree", in.git_tree}}}};
    if (!in.source_uri.empty()) src["uri"] = source_uri_for(in.source_uri, in.git_commit);
    deps.push_back(std::move(src));
    std::string request_digest = in.build_request_sha256;
    if (request_digest.empty()) request_digest = hex(sha256(in.build_request));
    need_sha256(request_digest, "build request sha256");
    deps.push_back(Json{{"name", "build-request"},
                        {"mediaType", "application/json"},
                        {"digest", {{"sha256", request_digest}}}});
    deps.push_back(toolchain_descriptor(in));
    std::set<std::string> input_names{"source", "build-request", "toolchain", "input-disk"};
    for (const auto& x : in.extra_inputs) {
        std::string name = "inputs/" + x.name;
        need_text(x.name, "an extra input name");
        if (x.name.empty() || !input_names.insert(name).second)
            throw Error("provenance: extra input name \"" + x.name + "\" is empty or duplicated");
        need_sha256(x.sha256, "extra input \"" + x.name + "\" sha256");
        Json j = rd(name, x.sha256);
        if (!x.uri.empty()) j["uri"] = x.uri;
        deps.push_back(std::move(j));
    }
    need_sha256(in.input_disk_sha256, "input disk sha256");
    deps.push_back(rd("input-disk", in.input_disk_sha256));
    append_packages(in, deps);
    attach_recipe(deps, in);
    return deps;
}

// runDetails.builder.builderDependencies: kernel, init, the kernel command line and the VM shape (the last two
// also as content, base64).
Json builder_dependencies(const ProvenanceInputs& in) {
    need_sha256(in.image.kernel_sha256, "image kernel sha256");
    need_sha256(in.image.init_sha256, "image init sha256");
    Json vm = {{"vcpus", in.vm.vcpus}, {"memoryKiB", in.vm.memory_kib}, {"cpuModel", in.vm.cpu_model}};
    Json builder_deps = Json::array();
    builder_deps.push_back(rd("kernel", in.image.kernel_sha256));
    builder_deps.push_back(rd("init", in.image.init_sha256));
    builder_deps.push_back(Json{{"name", "cmdline"},
                                {"digest", {{"sha256", hex(sha256(in.image.cmdline))}}},
                                {"content", base64_encode(as_bytes(in.image.cmdline))},
                                {"mediaType", "text/plain"}});
    if (!in.image.kettle_commit.empty()) {
        need_git_id(in.image.kettle_commit, "image kettle commit");
        builder_deps.push_back(Json{{"name", "kettle"},
                                    {"digest", {{"gitCommit", in.image.kettle_commit}}},
                                    {"annotations", {{"treeDirty", in.image.kettle_tree_dirty}}}});
    }
    builder_deps.push_back(Json{{"name", "vm-shape"},
                                {"content", base64_encode(as_bytes(jcs(vm)))},
                                {"mediaType", "application/json"},
                                {"annotations", vm}});
    return builder_deps;
}

}  // namespace

Json make_statement(const ProvenanceInputs& in, AttestMode mode) {
    Json subjects = subjects_json(in);
    Json external = parse_strict(in.build_request);
    if (!external.is_object() || external.empty())
        throw Error("provenance: the build request is not a non-empty JSON object");
    check_texts(in);
    Json deps = resolved_dependencies(in);
    if (!in.internal_parameters.is_object()) throw Error("provenance: internalParameters is not an object");
    Json builder_deps = builder_dependencies(in);
    if (in.invocation_id.empty()) throw Error("provenance: invocationId is empty");
    need_time(in.started_on, "startedOn");
    need_time(in.finished_on, "finishedOn");
    need_sha256(in.build_log_sha256, "build log sha256");

    Json predicate = {
        {"buildDefinition",
         {{"buildType", kKettleBuildType},
          {"externalParameters", std::move(external)},
          {"internalParameters", in.internal_parameters},
          {"resolvedDependencies", std::move(deps)}}},
        {"runDetails",
         {{"builder",
           {{"id", builder_id(mode)},
            {"version", {{"kettle-init", in.init_version}, {"linux", in.kernel_version}}},
            {"builderDependencies", std::move(builder_deps)}}},
          {"metadata",
           {{"invocationId", in.invocation_id}, {"startedOn", in.started_on}, {"finishedOn", in.finished_on}}},
          {"byproducts",
           Json::array({Json{{"name", in.build_log_name},
                             {"mediaType", "text/plain"},
                             {"digest", {{"sha256", in.build_log_sha256}}}}})}}}};
    Json st = {{"_type", kStatementType},
               {"subject", std::move(subjects)},
               {"predicateType", kSlsaProvenanceV1},
               {"predicate", std::move(predicate)}};
    auto problems = check_statement(st);
    if (!problems.empty()) throw Error("provenance: statement fails a structural rule: " + problems.front());
    return st;
}

std::string serialize_statement(const ProvenanceInputs& in, AttestMode mode) {
    Json st = make_statement(in, mode);
    try {
        return jcs(st);
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("provenance: cannot serialize the statement: ") + e.what());
    }
}

// ---- structural checker ------------------------------------------------------------------------------------

namespace {

std::size_t known_digest_len(const std::string& alg) {
    static const std::map<std::string, std::size_t> k = {
        {"md5", 16},        {"sha1", 20},       {"sha224", 28},     {"sha256", 32},   {"sha512_224", 28},
        {"sha512_256", 32}, {"sha3_224", 28},   {"sha3_256", 32},   {"sha384", 48},   {"sha3_384", 48},
        {"sha512", 64},     {"sha3_512", 64},   {"dirHash", 32},
    };
    auto it = k.find(alg);
    return it == k.end() ? 0 : it->second;
}

bool is_unset(const Json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return true;
    if ((it->is_string() || it->is_object() || it->is_array()) && it->empty()) return true;
    return false;
}

void check_digest_set(const Json& d, const std::string& where, std::vector<std::string>& out) {
    if (!d.is_object()) {
        out.push_back(where + ".digest is not an object");
        return;
    }
    for (auto it = d.begin(); it != d.end(); ++it) {
        if (!it.value().is_string()) {
            out.push_back(where + ".digest." + it.key() + " is not a string");
            continue;
        }
        const std::string v = it.value().get<std::string>();
        const std::string& alg = it.key();
        std::size_t want = known_digest_len(alg);
        bool git = alg == "gitCommit" || alg == "gitTree" || alg == "gitBlob" || alg == "gitTag";
        if (want == 0 && !git) continue;  // unknown algorithms are ignored
        if (!is_lower_hex(v)) {
            out.push_back(where + ".digest." + alg + " is not lower-case hex");
        } else if (git ? (v.size() != 40 && v.size() != 64) : v.size() != 2 * want) {
            out.push_back(where + ".digest." + alg + " has the wrong length");
        }
    }
}

void check_rd(const Json& r, const std::string& where, std::vector<std::string>& out) {
    if (!r.is_object()) {
        out.push_back(where + " is not an object");
        return;
    }
    if (is_unset(r, "name") && is_unset(r, "uri") && is_unset(r, "digest"))
        out.push_back(where + " has none of name, uri, digest");
    if (is_unset(r, "uri") && is_unset(r, "digest") && is_unset(r, "content"))
        out.push_back(where + " has none of uri, digest, content");
    for (const char* k : {"name", "uri", "downloadLocation", "mediaType", "content"}) {
        auto it = r.find(k);
        if (it != r.end() && !it->is_null() && !it->is_string()) out.push_back(where + "." + k + " is not a string");
    }
    if (!is_unset(r, "digest")) check_digest_set(r["digest"], where, out);
    if (!is_unset(r, "annotations") && !r["annotations"].is_object())
        out.push_back(where + ".annotations is not an object");
}

void check_rd_list(const Json& parent, const char* key, const std::string& where, std::vector<std::string>& out) {
    if (is_unset(parent, key)) return;
    const Json& l = parent[key];
    if (!l.is_array()) {
        out.push_back(where + " is not an array");
        return;
    }
    for (std::size_t i = 0; i < l.size(); ++i) check_rd(l[i], where + "[" + std::to_string(i) + "]", out);
}

const Json* obj(const Json& parent, const char* key, const std::string& where, std::vector<std::string>& out,
                bool required) {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) {
        if (required) out.push_back(where + " is missing");
        return nullptr;
    }
    if (!it->is_object()) {
        out.push_back(where + " is not an object");
        return nullptr;
    }
    return &*it;
}

}  // namespace

std::vector<std::string> check_statement(const Json& st) {
    std::vector<std::string> out;
    if (!st.is_object()) return {"statement is not a JSON object"};
    auto t = st.find("_type");
    if (t == st.end() || !t->is_string() || *t != kStatementType)
        out.push_back("_type is not \"https://in-toto.io/Statement/v1\"");
    auto s = st.find("subject");
    if (s == st.end() || !s->is_array() || s->empty()) {
        out.push_back("subject is missing or empty");
    } else {
        std::set<std::string> names;
        for (std::size_t i = 0; i < s->size(); ++i) {
            std::string w = "subject[" + std::to_string(i) + "]";
            const Json& e = (*s)[i];
            check_rd(e, w, out);
            if (e.is_object() && is_unset(e, "digest")) out.push_back(w + " has no digest");
            if (e.is_object() && e.contains("name") && e["name"].is_string() && e["name"] != "_" &&
                !names.insert(e["name"].get<std::string>()).second)
                out.push_back(w + ".name is not unique");
        }
    }
    auto pt = st.find("predicateType");
    if (pt == st.end() || !pt->is_string() || *pt != kSlsaProvenanceV1)
        out.push_back("predicateType is not \"https://slsa.dev/provenance/v1\"");
    const Json* pred = obj(st, "predicate", "predicate", out, true);
    if (!pred) return out;

    const Json* bd = obj(*pred, "buildDefinition", "predicate.buildDefinition", out, true);
    if (bd) {
        if (is_unset(*bd, "buildType") || !(*bd)["buildType"].is_string())
            out.push_back("buildDefinition.buildType is missing");
        auto ep = bd->find("externalParameters");
        if (ep == bd->end() || !ep->is_object() || ep->empty())
            out.push_back("buildDefinition.externalParameters is missing or empty");
        const Json* ip = obj(*bd, "internalParameters", "buildDefinition.internalParameters", out, false);
        if (ip && ep != bd->end() && ep->is_object())
            for (auto it = ip->begin(); it != ip->end(); ++it)
                if (ep->contains(it.key()))
                    out.push_back("internalParameters reuses the externalParameters key \"" + it.key() + "\"");
        check_rd_list(*bd, "resolvedDependencies", "buildDefinition.resolvedDependencies", out);
    }
    const Json* rdt = obj(*pred, "runDetails", "predicate.runDetails", out, true);
    if (rdt) {
        const Json* b = obj(*rdt, "builder", "runDetails.builder", out, true);
        if (b) {
            if (is_unset(*b, "id") || !(*b)["id"].is_string()) out.push_back("runDetails.builder.id is missing");
            const Json* v = obj(*b, "version", "runDetails.builder.version", out, false);
            if (v)
                for (auto it = v->begin(); it != v->end(); ++it)
                    if (!it.value().is_string())
                        out.push_back("runDetails.builder.version." + it.key() + " is not a string");
            check_rd_list(*b, "builderDependencies", "runDetails.builder.builderDependencies", out);
        }
        const Json* md = obj(*rdt, "metadata", "runDetails.metadata", out, false);
        if (md) {
            auto inv = md->find("invocationId");
            if (inv != md->end() && !inv->is_null() && !inv->is_string())
                out.push_back("runDetails.metadata.invocationId is not a string");
            for (const char* k : {"startedOn", "finishedOn"}) {
                auto it = md->find(k);
                if (it == md->end() || it->is_null()) continue;
                if (!it->is_string() || !is_rfc3339_utc(it->get<std::string>()))
                    out.push_back(std::string("runDetails.metadata.") + k + " is not an RFC 3339 UTC timestamp with Z");
            }
        }
        check_rd_list(*rdt, "byproducts", "runDetails.byproducts", out);
    }
    return out;
}

// ---- time ---------------------------------------------------------------------------------------------------

std::string rfc3339_utc(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) throw Error("time: cannot convert " + std::to_string(unix_seconds) + " to UTC");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string rfc3339_utc_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return rfc3339_utc(ts.tv_sec);
}

bool is_rfc3339_utc(std::string_view s) {
    // YYYY-MM-DDThh:mm:ss[.f+]Z
    if (s.size() < 20) return false;
    auto digits = [&](std::size_t off, std::size_t n, int lo, int hi) {
        int v = 0;
        for (std::size_t i = off; i < off + n; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
            v = v * 10 + (s[i] - '0');
        }
        return v >= lo && v <= hi;
    };
    if (!digits(0, 4, 0, 9999) || s[4] != '-' || !digits(5, 2, 1, 12) || s[7] != '-' || !digits(8, 2, 1, 31) ||
        s[10] != 'T' || !digits(11, 2, 0, 23) || s[13] != ':' || !digits(14, 2, 0, 59) || s[16] != ':' ||
        !digits(17, 2, 0, 60))
        return false;
    std::size_t i = 19;
    if (s[i] == '.') {
        ++i;
        std::size_t start = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        if (i == start) return false;
    }
    return i + 1 == s.size() && s[i] == 'Z';
}

// ---- image identity and VM shape ------------------------------------------------------------------------------

ImageIdentity parse_image_identity(std::string_view text) {
    Json j = parse_strict(text);
    if (!j.is_object()) throw Error("image.json: not a JSON object");
    auto str = [&](const char* k) {
        auto it = j.find(k);
        if (it == j.end() || !it->is_string()) throw Error(std::string("image.json: missing string \"") + k + "\"");
        return it->get<std::string>();
    };
    if (str("schema") != "kettle-image-identity/v1") throw Error("image.json: schema is not \"kettle-image-identity/v1\"");
    ImageIdentity id{str("kernel_sha256"), str("init_sha256"), str("cmdline"), "", false};
    need_sha256(id.kernel_sha256, "image.json kernel_sha256");
    need_sha256(id.init_sha256, "image.json init_sha256");
    if (auto c = j.find("kettle_commit"); c != j.end()) {
        if (!c->is_string()) throw Error("image.json: kettle_commit is not a string");
        id.kettle_commit = c->get<std::string>();
        need_git_id(id.kettle_commit, "image.json kettle_commit");
        auto d = j.find("kettle_tree_dirty");
        if (d == j.end() || !d->is_boolean()) throw Error("image.json: kettle_commit without a boolean kettle_tree_dirty");
        id.kettle_tree_dirty = d->get<bool>();
    }
    return id;
}

ImageIdentity read_image_identity(const std::string& path) {
    Bytes b = read_file(path, 64 * 1024);
    return parse_image_identity(to_string(b));
}

VmShape observe_vm_shape(const std::string& proc_root) {
    // /proc files report size 0, so read them with stdio rather than read_file (which trusts st_size).
    auto slurp = [](const std::string& path) {
        std::FILE* f = std::fopen(path.c_str(), "re");
        if (!f) throw Error("vm shape: cannot open " + path);
        std::string s;
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && s.size() < (std::size_t{4} << 20)) s.append(buf, n);
        std::fclose(f);
        return s;
    };
    VmShape v;
    std::string cpu = slurp(proc_root + "/cpuinfo");
    std::size_t pos = 0;
    while (pos < cpu.size()) {
        std::size_t nl = cpu.find('\n', pos);
        if (nl == std::string::npos) nl = cpu.size();
        std::string_view line(cpu.data() + pos, nl - pos);
        auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            std::string_view key = line.substr(0, colon);
            while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
            std::string_view val = line.substr(colon + 1);
            while (!val.empty() && val.front() == ' ') val.remove_prefix(1);
            if (key == "processor") ++v.vcpus;
            if (key == "model name" && v.cpu_model.empty()) {
                // The brand string comes from CPUID, which the host controls: keep printable ASCII only.
                for (char c : val.substr(0, 128)) v.cpu_model += (c >= 0x20 && c < 0x7f) ? c : '?';
            }
        }
        pos = nl + 1;
    }
    std::string mem = slurp(proc_root + "/meminfo");
    auto m = mem.find("MemTotal:");
    if (m == std::string::npos) throw Error("vm shape: no MemTotal in " + proc_root + "/meminfo");
    unsigned long long kib = 0;
    if (std::sscanf(mem.c_str() + m, "MemTotal: %llu kB", &kib) != 1)
        throw Error("vm shape: cannot parse MemTotal in " + proc_root + "/meminfo");
    v.memory_kib = kib;
    if (v.vcpus == 0) throw Error("vm shape: no processor entries in " + proc_root + "/cpuinfo");
    return v;
}

}  // namespace kettle
