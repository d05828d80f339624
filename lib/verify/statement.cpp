// The bundle rows over the statement S itself: its structure (in-toto Statement v1, SLSA provenance v1) and the
// nonce; and the input-disk digest the policy rows compare with HOST_DATA / MRCONFIGID (see rows.hpp).
#include <set>

#include "fields.hpp"
#include "kettle/core/error.hpp"
#include "rows.hpp"

namespace kettle::bundle {

namespace {

constexpr const char* kStatementType = "https://in-toto.io/Statement/v1";
constexpr const char* kProvenanceType = "https://slsa.dev/provenance/v1";

// Expected digest lengths in bytes for known DigestSet algorithms (in-toto Attestation Framework v1,
// digest_set.md); 0 for other algorithms.
std::size_t digest_len(const std::string& alg) {
    static const std::pair<const char*, std::size_t> t[] = {
        {"md5", 16},    {"sha1", 20},     {"sha224", 28},   {"sha256", 32},     {"sha512_224", 28},
        {"sha512_256", 32}, {"sha3_256", 32}, {"sha384", 48}, {"sha3_384", 48}, {"sha512", 64},
        {"sha3_512", 64}, {"dirHash", 32}, {"sha3_224", 28}};
    for (auto& [n, l] : t)
        if (alg == n) return l;
    return 0;
}

// The error "<what>: digest.<alg> <why>" of a DigestSet entry (built only when thrown, outside the entry loop).
Error digest_error(const std::string& what, const std::string& alg, const std::string& why) {
    return Error(what + ": digest." + alg + " " + why);
}

// An in-toto ResourceDescriptor (resource_descriptor.md): an object with a name, uri or digest; a digest is a
// non-empty DigestSet whose known algorithms are lowercase hex of their length and git ids 40 or 64 hex digits.
void check_resource_descriptor(const Json& rd, const std::string& what) {
    if (!rd.is_object()) throw Error(what + ": not an object");
    const Json* d = member(rd, "digest");
    if (!member(rd, "name") && !member(rd, "uri") && !d) throw Error(what + ": needs name, uri or digest");
    if (d) {
        if (!d->is_object() || d->empty()) throw Error(what + ": digest is not a non-empty object");
        for (auto& [alg, val] : d->items()) {
            if (!val.is_string()) throw digest_error(what, alg, "is not a string");
            std::string v = val.get<std::string>();
            std::size_t n = digest_len(alg);
            if (n && !is_lower_hex(v, n * 2))
                throw digest_error(what, alg, "is not " + std::to_string(n) + " bytes of lowercase hex");
            if ((alg == "gitCommit" || alg == "gitTree" || alg == "gitBlob" || alg == "gitTag") &&
                !is_lower_hex(v, 40) && !is_lower_hex(v, 64))
                throw digest_error(what, alg, "is not a git object id");
        }
    }
}

// The statement's subjects: a non-empty list of resource descriptors, each with a unique name and a sha256. Each is
// recorded in the summary as it passes.
void record_subjects(const Json& st, Summary& s) {
    const Json* subj = member(st, "subject");
    if (!subj || !subj->is_array() || subj->empty()) throw Error("statement: subject is empty");
    std::set<std::string> names;
    for (auto& x : *subj) {
        check_resource_descriptor(x, "statement: subject");
        std::string n = str_member(x, "name", "statement: subject");
        const Json* d = member(x, "digest");
        const Json* h = d ? member(*d, "sha256") : nullptr;
        if (!h) throw Error("statement: subject '" + n + "' has no sha256 digest");
        if (!names.insert(n).second) throw Error("statement: subject name '" + n + "' appears twice");
        s.subjects.push_back({n, h->get<std::string>()});
    }
}

// SLSA provenance v1 buildDefinition: buildType (Kettle's, or the policy's), non-empty externalParameters, and
// resolvedDependencies (if present) as resource descriptors. Records buildType in the summary.
void check_build_definition(const Json& bd, const Options& opts, Summary& s) {
    s.build_type = str_member(bd, "buildType", "statement: buildDefinition");
    std::string want_bt = opts.policy.build_type.value_or(kBuildType);
    if (s.build_type != want_bt) throw Error("statement: buildType '" + s.build_type + "' is not '" + want_bt + "'");
    const Json* ep = member(bd, "externalParameters");
    if (!ep || !ep->is_object() || ep->empty()) throw Error("statement: externalParameters is missing or empty");
    if (const Json* deps = member(bd, "resolvedDependencies")) {
        if (!deps->is_array()) throw Error("statement: resolvedDependencies is not an array");
        for (auto& d : *deps) check_resource_descriptor(d, "statement: resolvedDependency");
    }
}

// SLSA provenance v1 runDetails.builder.id: the one of the evidence platform, and the policy's if it names one.
// Records builder.id in the summary.
void check_builder(const Json& rd, const Options& opts, Summary& s) {
    const Json* builder = member(rd, "builder");
    if (!builder) throw Error("statement: runDetails has no builder");
    s.builder_id = str_member(*builder, "id", "statement: builder");
    std::string want_id = builder_id_for(s.platform);
    if (s.builder_id != want_id) throw Error("statement: builder.id '" + s.builder_id + "' is not '" + want_id + "' for platform " + s.platform);
    if (opts.policy.builder_id && s.builder_id != *opts.policy.builder_id)
        throw Error("statement: builder.id '" + s.builder_id + "' is not the policy's '" + *opts.policy.builder_id + "'");
}

// True when resolvedDependency `d`'s uri is `want` exactly or up to an "@ref" suffix, with or without "git+".
bool uri_matches(const Json& d, const std::string& want) {
    const Json* u = member(d, "uri");
    if (!u || !u->is_string()) return false;
    std::string us = u->get<std::string>();
    for (const std::string& w : {want, "git+" + want})
        if (us == w || (us.size() > w.size() && us.compare(0, w.size(), w) == 0 && us[w.size()] == '@')) return true;
    return false;
}

// True when resolvedDependency `d` has digest.<alg> == `want`.
bool digest_is(const Json& d, const char* alg, const std::string& want) {
    const Json* dg = member(d, "digest");
    const Json* v = dg ? member(*dg, alg) : nullptr;
    return v && v->is_string() && v->get<std::string>() == want;
}

// The policy's source_uri (a host claim: docs/buildtype.md), source_commit (a gitCommit digest) and source_tree (a
// gitTree digest; both computed in the guest) must each appear among the resolvedDependencies. Returns the detail
// to append ("" when the policy names none of them).
std::string check_source_policy(const Json& bd, const Policy& policy) {
    if (!policy.source_uri && !policy.source_commit && !policy.source_tree) return "";
    bool uri_ok = !policy.source_uri, commit_ok = !policy.source_commit, tree_ok = !policy.source_tree;
    const Json* deps = member(bd, "resolvedDependencies");
    if (deps && deps->is_array())
        for (auto& d : *deps) {
            if (policy.source_uri && uri_matches(d, *policy.source_uri)) uri_ok = true;
            if (policy.source_commit && digest_is(d, "gitCommit", *policy.source_commit)) commit_ok = true;
            if (policy.source_tree && digest_is(d, "gitTree", *policy.source_tree)) tree_ok = true;
        }
    if (!uri_ok) throw Error("statement: no resolved dependency has the source URI '" + *policy.source_uri + "'");
    if (!commit_ok) throw Error("statement: no resolved dependency has gitCommit " + *policy.source_commit);
    if (!tree_ok) throw Error("statement: no resolved dependency has gitTree " + *policy.source_tree);
    std::string out;
    if (policy.source_commit) out += "; source commit " + *policy.source_commit + " (proven: checked out in the guest)";
    if (policy.source_tree) out += "; source tree " + *policy.source_tree + " (proven: computed in the guest)";
    if (policy.source_uri) out += "; source URI " + *policy.source_uri + " (a host claim: the guest cannot verify where the source came from)";
    return out;
}

}  // namespace

std::string builder_id_for(const std::string& platform) {
    std::string m = platform == "sim-snp" ? "sim" : platform;
    return "https://kettle-build.org/builders/" + m + "/v1";
}

Bytes input_disk_digest(const Bytes& payload) {
    Json st;
    try {
        st = parse_strict(to_string(payload));
    } catch (const Error& e) {
        throw Error(std::string("policy: statement unreadable, so no input-disk digest: ") + e.what());
    }
    const Json* pred = member(st, "predicate");
    const Json* bd = pred ? member(*pred, "buildDefinition") : nullptr;
    const Json* deps = bd ? member(*bd, "resolvedDependencies") : nullptr;
    if (!deps || !deps->is_array()) throw Error("policy: provenance has no resolvedDependencies");
    const Json* found = nullptr;
    for (auto& d : *deps) {
        const Json* n = member(d, "name");
        if (n && n->is_string() && n->get<std::string>() == "input-disk") {
            if (found) throw Error("policy: provenance names two input-disk dependencies");
            found = &d;
        }
    }
    if (!found) throw Error("policy: provenance has no 'input-disk' dependency");
    const Json* dg = member(*found, "digest");
    const Json* h = dg ? member(*dg, "sha256") : nullptr;
    if (!h) throw Error("policy: input-disk dependency has no sha256 digest");
    return hex_field(*h, 32, "policy: input-disk sha256");
}

namespace rows {

std::string statement(Context& c) {
    Summary& s = c.summary;
    c.statement = parse_strict(to_string(c.payload));
    const Json& st = c.statement;
    if (jcs(st) != to_string(c.payload)) throw Error("statement: payload is not in RFC 8785 (JCS) canonical form");
    if (str_member(st, "_type", "statement") != kStatementType) throw Error("statement: _type is not " + std::string(kStatementType));
    if (str_member(st, "predicateType", "statement") != kProvenanceType)
        throw Error("statement: predicateType is not " + std::string(kProvenanceType));
    record_subjects(st, s);
    const Json* pred = member(st, "predicate");
    if (!pred || !pred->is_object()) throw Error("statement: no predicate");
    const Json* bd = member(*pred, "buildDefinition");
    const Json* rd = member(*pred, "runDetails");
    if (!bd || !rd) throw Error("statement: predicate lacks buildDefinition or runDetails");
    check_build_definition(*bd, c.opts, s);
    check_builder(*rd, c.opts, s);
    std::string source = check_source_policy(*bd, c.opts.policy);
    const Json* deps = member(*bd, "resolvedDependencies");
    // Without resolvedDependencies no ecosystem was checked: every package rule, "forbid" too, fails (no lockfile/).
    source += check_package_rules(deps ? *deps : Json::array(), c.opts.policy.require_packages,
                                  c.opts.policy.forbid_packages);
    return "in-toto Statement v1, SLSA provenance v1, builder " + s.builder_id + ", " +
           std::to_string(s.subjects.size()) + " subject(s)" + source;
}

std::string nonce(Context& c) {
    const std::optional<std::string>& want = c.opts.nonce;
    const Json* pred = member(c.statement, "predicate");
    const Json* bd = pred ? member(*pred, "buildDefinition") : nullptr;
    const Json* ep = bd ? member(*bd, "externalParameters") : nullptr;
    const Json* n = ep ? member(*ep, "nonce") : nullptr;
    if (!want) {
        const bool carries = n && n->is_string() && !n->get<std::string>().empty();
        if (c.opts.no_nonce) {
            c.summary.nonce = "skipped";
            return carries ? std::string("not checked (--no-nonce): the statement's nonce was not compared, freshness "
                                         "is not shown")
                           : std::string("not checked (--no-nonce); the statement carries no nonce");
        }
        if (carries)
            throw Error("nonce: the statement carries externalParameters.nonce; pass --nonce VALUE (the nonce given to "
                        "kettle run) to check freshness, or --no-nonce to skip it");
        c.summary.nonce = "absent";
        return std::string("the statement carries no nonce and none was requested");
    }
    if (!n || !n->is_string()) throw Error("nonce: the statement carries no externalParameters.nonce");
    std::string got = n->get<std::string>();
    bool same = equal_ct(as_bytes(got), as_bytes(*want));
    if (!same) {
        try {  // both hex: compare the bytes (case-insensitive)
            Bytes a = unhex(got), b = unhex(*want);
            same = !a.empty() && equal_ct(a, b);
        } catch (const Error&) {
        }
    }
    if (!same) throw Error("nonce: statement nonce '" + got + "' != expected '" + *want + "'");
    c.summary.nonce = "checked";
    return std::string("externalParameters.nonce matches");
}

}  // namespace rows

}  // namespace kettle::bundle
