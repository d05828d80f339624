// Offline verification of a Kettle build bundle (see bundle_verify.hpp).
#include "kettle/verify/bundle.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include <mbedtls/base64.h>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "kettle/core/safe_read.hpp"
#include "kettle/core/x509.hpp"

namespace fs = std::filesystem;

namespace kettle::bundle {

namespace {

constexpr const char* kPayloadType = "application/vnd.in-toto+json";
constexpr const char* kStatementType = "https://in-toto.io/Statement/v1";
constexpr const char* kProvenanceType = "https://slsa.dev/provenance/v1";

bool is_lower_hex(const std::string& s, std::size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

Bytes hex_field(const Json& v, std::size_t nbytes, const std::string& what) {
    if (!v.is_string()) throw Error(what + ": not a hex string");
    std::string s = v.get<std::string>();
    if (s.size() != nbytes * 2) throw Error(what + ": expected " + std::to_string(nbytes) + " bytes of hex");
    return unhex(s);
}

const Json* member(const Json& o, const char* k) {
    if (!o.is_object()) return nullptr;
    auto it = o.find(k);
    if (it == o.end() || it->is_null()) return nullptr;
    return &*it;
}

std::string str_member(const Json& o, const char* k, const std::string& what) {
    const Json* v = member(o, k);
    if (!v || !v->is_string() || v->get<std::string>().empty()) throw Error(what + ": missing string '" + k + "'");
    return v->get<std::string>();
}

// Expected digest lengths in bytes for known DigestSet algorithms (in-toto digest_set.md / Go validator).
std::size_t digest_len(const std::string& alg) {
    static const std::pair<const char*, std::size_t> t[] = {
        {"md5", 16},    {"sha1", 20},     {"sha224", 28},   {"sha256", 32},     {"sha512_224", 28},
        {"sha512_256", 32}, {"sha3_256", 32}, {"sha384", 48}, {"sha3_384", 48}, {"sha512", 64},
        {"sha3_512", 64}, {"dirHash", 32}, {"sha3_224", 28}};
    for (auto& [n, l] : t)
        if (alg == n) return l;
    return 0;
}

void check_resource_descriptor(const Json& rd, const std::string& what) {
    if (!rd.is_object()) throw Error(what + ": not an object");
    const Json* d = member(rd, "digest");
    if (!member(rd, "name") && !member(rd, "uri") && !d) throw Error(what + ": needs name, uri or digest");
    if (d) {
        if (!d->is_object() || d->empty()) throw Error(what + ": digest is not a non-empty object");
        for (auto& [alg, val] : d->items()) {
            if (!val.is_string()) throw Error(what + ": digest." + alg + " is not a string");
            std::string v = val.get<std::string>();
            std::size_t n = digest_len(alg);
            if (n && !is_lower_hex(v, n * 2)) throw Error(what + ": digest." + alg + " is not " + std::to_string(n) + " bytes of lowercase hex");
            if ((alg == "gitCommit" || alg == "gitTree" || alg == "gitBlob" || alg == "gitTag") &&
                !is_lower_hex(v, 40) && !is_lower_hex(v, 64))
                throw Error(what + ": digest." + alg + " is not a git object id");
        }
    }
}

// A subject name must be a plain relative path inside artifacts/.
bool safe_relative_path(const std::string& n) {
    if (n.empty() || n.size() > 4096 || n[0] == '/' || n.find('\\') != std::string::npos ||
        n.find('\0') != std::string::npos)
        return false;
    std::size_t start = 0;
    while (true) {
        std::size_t e = n.find('/', start);
        std::string part = n.substr(start, e == std::string::npos ? std::string::npos : e - start);
        if (part.empty() || part == "." || part == "..") return false;
        if (e == std::string::npos) break;
        start = e + 1;
    }
    return true;
}

std::string pad2(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

}  // namespace

std::string builder_id_for(const std::string& platform) {
    std::string m = platform == "sim-snp" ? "sim" : platform;
    return "https://kettle-build.org/builders/" + m + "/v1";
}

Bytes base64_decode_lenient(std::string_view s, const char* what, std::size_t max_out) {
    std::string t(s);
    bool url = t.find_first_of("-_") != std::string::npos, std_ = t.find_first_of("+/") != std::string::npos;
    if (url && std_) throw Error(std::string(what) + ": mixed base64 alphabets");
    if (url) std::replace(t.begin(), t.end(), '-', '+'), std::replace(t.begin(), t.end(), '_', '/');
    while (t.size() % 4) t.push_back('=');
    if (t.size() / 4 * 3 > max_out + 3) throw Error(std::string(what) + ": larger than allowed");
    std::size_t olen = 0;
    Bytes out(t.size() / 4 * 3 + 1);
    int rc = mbedtls_base64_decode(out.data(), out.size(), &olen, reinterpret_cast<const unsigned char*>(t.data()), t.size());
    if (rc != 0 || t.find_first_of(" \t\r\n") != std::string::npos) throw Error(std::string(what) + ": invalid base64");
    out.resize(olen);
    if (out.size() > max_out) throw Error(std::string(what) + ": larger than allowed");
    return out;
}

Policy parse_policy(std::string_view text) {
    Json j;
    try {
        j = parse_strict(text);
    } catch (const Error& e) {
        throw Error(std::string("policy file: ") + e.what());
    }
    if (!j.is_object()) throw Error("policy file: not a JSON object");
    Policy p;
    auto hexlist = [&](const Json& v, const std::string& k, std::size_t n) {
        if (!v.is_array()) throw Error("policy file: '" + k + "' is not an array");
        std::vector<Bytes> out;
        for (auto& x : v) out.push_back(hex_field(x, n, "policy file: " + k));
        return out;
    };
    auto boolean = [&](const Json& v, const std::string& k) {
        if (!v.is_boolean()) throw Error("policy file: '" + k + "' is not true/false");
        return v.get<bool>();
    };
    auto string = [&](const Json& v, const std::string& k) {
        if (!v.is_string()) throw Error("policy file: '" + k + "' is not a string");
        return v.get<std::string>();
    };
    for (auto& [k, v] : j.items()) {
        if (k == "product") {
            p.snp.product = snp::product_from_name(string(v, k));
            if (p.snp.product == snp::Product::unknown) throw Error("policy file: unknown product '" + v.get<std::string>() + "'");
        } else if (k == "measurements") {
            p.snp.measurements = hexlist(v, k, 48);
        } else if (k == "min_tcb") {
            if (!v.is_object()) throw Error("policy file: 'min_tcb' is not an object");
            snp::TcbVersion t;
            for (auto& [c, n] : v.items()) {
                if (!n.is_number_unsigned() || n.get<std::uint64_t>() > 255) throw Error("policy file: min_tcb." + c + " is not 0..255");
                auto val = static_cast<std::uint8_t>(n.get<std::uint64_t>());
                if (c == "bootloader") t.bootloader = val;
                else if (c == "tee") t.tee = val;
                else if (c == "snp") t.snp = val;
                else if (c == "microcode") t.microcode = val;
                else if (c == "fmc") t.fmc = val;
                else throw Error("policy file: unknown min_tcb component '" + c + "'");
            }
            p.snp.min_tcb = t;
        } else if (k == "allow_debug") {
            p.snp.allow_debug = p.tdx.allow_debug = boolean(v, k);
        } else if (k == "allow_migration_agent") {
            p.snp.allow_migration_agent = boolean(v, k);
        } else if (k == "smt") {
            std::string s = string(v, k);
            if (s == "any") p.snp.smt = snp::SnpPolicy::Smt::any;
            else if (s == "forbid") p.snp.smt = snp::SnpPolicy::Smt::forbid;
            else if (s == "require") p.snp.smt = snp::SnpPolicy::Smt::require;
            else throw Error("policy file: 'smt' must be any, forbid or require");
        } else if (k == "vmpl") {
            if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 3) throw Error("policy file: 'vmpl' is not 0..3");
            p.snp.vmpl = static_cast<std::uint32_t>(v.get<std::uint64_t>());
        } else if (k == "builder_id") {
            p.builder_id = string(v, k);
        } else if (k == "build_type") {
            p.build_type = string(v, k);
        } else if (k == "source_uri") {
            p.source_uri = string(v, k);
        } else if (k == "source_commit") {
            p.source_commit = string(v, k);
        } else if (k == "mrtd") {
            p.tdx.mr_td = hexlist(v, k, 48);
        } else if (k.size() == 5 && k.compare(0, 4, "rtmr") == 0 && k[4] >= '0' && k[4] <= '3') {
            p.tdx.rtmr[static_cast<std::size_t>(k[4] - '0')] = hexlist(v, k, 48);
        } else if (k == "accepted_tcb_status") {
            if (!v.is_array()) throw Error("policy file: 'accepted_tcb_status' is not an array");
            p.tdx.accepted_tcb_status.clear();
            for (auto& s : v) p.tdx.accepted_tcb_status.push_back(string(s, k));
        } else {
            throw Error("policy file: unknown key '" + k + "'");
        }
    }
    return p;
}

std::string Summary::failed() const {
    for (auto& c : checks)
        if (!c.ok) return c.name;
    return "";
}

Summary verify_bundle(const std::string& dir, const Options& opts) {
    Summary s;
    if (!fs::is_directory(dir)) throw Error("bundle '" + dir + "': not a directory");
    auto pass = [&](const char* name, std::string detail) { s.checks.push_back({name, true, std::move(detail)}); };
    auto fail = [&](const char* name, std::string detail) {
        s.checks.push_back({name, false, std::move(detail)});
        s.ok = false;
    };
    // Run one named check; a thrown Error is that check's FAIL.
    bool stop = false;
    auto step = [&](const char* name, const std::function<std::string()>& fn) {
        if (stop) return;
        try {
            pass(name, fn());
        } catch (const Error& e) {
            fail(name, e.what());
            stop = true;
        } catch (const std::exception& e) {
            fail(name, std::string("unexpected error: ") + e.what());
            stop = true;
        }
    };

    // ---- 1. evidence: evidence.json, the envelope and the key parse, with bounded sizes.
    Json evidence;
    Bytes report_raw, payload, spki_der, sig_der, envelope_bytes;
    std::string keyid;
    std::optional<Bytes> vek;
    std::vector<Bytes> extra_certs;
    step("evidence", [&] {
        Bytes ev = read_file_nofollow(dir + "/evidence.json", 4u << 20);
        try {
            evidence = parse_strict(to_string(ev));
        } catch (const Error& e) {
            throw Error(std::string("evidence: evidence.json: ") + e.what());
        }
        if (!evidence.is_object()) throw Error("evidence: evidence.json is not an object");
        if (str_member(evidence, "schema", "evidence") != "kettle-evidence/v1")
            throw Error("evidence: schema is not kettle-evidence/v1");
        s.platform = str_member(evidence, "platform", "evidence");
        if (s.platform != "snp" && s.platform != "sim-snp" && s.platform != "tdx" && s.platform != "none")
            throw Error("evidence: unknown platform '" + s.platform + "'");
        if (s.platform == "none") throw Error("evidence: platform 'none' carries no hardware evidence: nothing vouches for this build");
        if (str_member(evidence, "report_data_layout", "evidence") != "kettle-binding/v1")
            throw Error("evidence: report_data_layout is not kettle-binding/v1");
        report_raw = base64_decode_lenient(str_member(evidence, "report", "evidence"), "evidence: report", 1u << 20);
        if (s.platform != "tdx" && report_raw.size() != snp::kReportSize)
            throw Error("evidence: SNP report is " + std::to_string(report_raw.size()) + " bytes, expected 1184");
        if (const Json* certs = member(evidence, "certificates")) {
            if (!certs->is_array() || certs->size() > 16) throw Error("evidence: certificates is not an array of at most 16");
            for (auto& c : *certs) {
                std::string type = str_member(c, "type", "evidence: certificate");
                Bytes der = base64_decode_lenient(str_member(c, "der", "evidence: certificate"), "evidence: certificate der", 64u << 10);
                if (type == "vcek" || type == "vlek") {
                    if (vek) throw Error("evidence: more than one VCEK/VLEK");
                    vek = std::move(der);
                } else if (type == "ask" || type == "asvk" || type == "ark") {
                    extra_certs.push_back(std::move(der));
                } else {
                    throw Error("evidence: unknown certificate type '" + type + "'");
                }
            }
        }
        auto keys = x509::pem_blocks(str_member(evidence, "signing_key", "evidence"), "PUBLIC KEY");
        if (keys.size() != 1) throw Error("evidence: signing_key must hold exactly one PUBLIC KEY PEM block");
        spki_der = keys[0];

        envelope_bytes = read_file_nofollow(dir + "/provenance.intoto.jsonl", 16u << 20);
        s.envelope_sha256 = sha256(envelope_bytes);
        std::string line = to_string(envelope_bytes);
        if (!line.empty() && line.back() == '\n') line.pop_back();
        if (line.find('\n') != std::string::npos) throw Error("evidence: provenance.intoto.jsonl holds more than one line");
        Json env;
        try {
            env = parse_strict(line);
        } catch (const Error& e) {
            throw Error(std::string("evidence: provenance.intoto.jsonl: ") + e.what());
        }
        if (str_member(env, "payloadType", "evidence: envelope") != kPayloadType)
            throw Error("evidence: envelope payloadType is not application/vnd.in-toto+json");
        payload = base64_decode_lenient(str_member(env, "payload", "evidence: envelope"), "evidence: envelope payload");
        const Json* sigs = member(env, "signatures");
        if (!sigs || !sigs->is_array() || sigs->size() != 1) throw Error("evidence: envelope must carry exactly one signature");
        sig_der = base64_decode_lenient(str_member((*sigs)[0], "sig", "evidence: signature"), "evidence: signature", 256);
        if (const Json* k = member((*sigs)[0], "keyid")) {
            if (!k->is_string()) throw Error("evidence: keyid is not a string");
            keyid = k->get<std::string>();
        }
        return s.platform + " evidence, " + std::to_string(report_raw.size()) + "-byte report, " +
               std::to_string(payload.size()) + "-byte statement";
    });
    if (stop) return s;

    // The statement is read (strictly) here only to find the input-disk digest for HOST_DATA; it is bound by
    // check 8 and validated by check 10.
    auto input_disk_digest = [&]() -> Bytes {
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
    };

    Bytes report_data;
    if (s.platform == "snp" || s.platform == "sim-snp") {
        snp::SnpPolicy pol = opts.policy.snp;
        if (!pol.vmpl) pol.vmpl = 0;
        snp::ChainOptions co;
        co.now = opts.now;
        co.allow_sim = opts.allow_sim;
        co.trust_roots = opts.trust_roots;
        // 2-6 via the SNP verifier, with the policy step run separately below (it needs HOST_DATA).
        snp::SnpPolicy no_policy;
        no_policy.allow_debug = no_policy.allow_migration_agent = true;
        no_policy.product = pol.product;
        if (s.platform == "sim-snp" && pol.product == snp::Product::unknown && report_raw.size() == snp::kReportSize &&
            le32(report_raw, 0) == 2)
            no_policy.product = snp::Product::milan;  // v2 simulated reports use the Milan TCB layout
        if (!vek && opts.vek) vek = opts.vek;
        extra_certs.insert(extra_certs.end(), opts.extra_certs.begin(), opts.extra_certs.end());
        snp::Result r = snp::verify_evidence(report_raw, vek, extra_certs, no_policy, co);
        for (auto& c : r.checks) {
            if (c.name == "evidence") {  // size already checked in check 1
                if (!c.ok) {
                    fail("report-format", c.detail);
                    return s;
                }
                continue;
            }
            if (c.name == "policy") break;
            s.checks.push_back(c);
            if (!c.ok) {
                if (c.name == "chain" && s.platform == "sim-snp" && !opts.allow_sim)
                    s.checks.back().detail += " [platform sim-snp: simulated evidence needs --allow-sim]";
                return s;
            }
        }
        if (r.checks.empty() || r.checks.size() < 6) {
            fail("report-format", "SNP verification stopped early");
            return s;
        }
        s.simulated = r.chain && r.chain->simulated;
        if (s.simulated != (s.platform == "sim-snp")) {
            fail("chain", std::string("chain: evidence says platform '") + s.platform + "' but the chain is " +
                              (s.simulated ? "SIMULATED" : "AMD's"));
            return s;
        }
        const snp::Report& rep = *r.report;
        s.measurement = hex(rep.measurement);
        step("policy", [&] {
            if (pol.measurements.empty())
                throw Error("policy: no expected measurement (give --image DIR --vcpus N --vcpu-type T, --expected-measurement, "
                            "or a policy with \"measurements\")");
            pol.host_data = input_disk_digest();
            snp::check_policy(rep, r.product, pol);
            return "MEASUREMENT " + s.measurement.substr(0, 16) + "..., HOST_DATA = input-disk, VMPL " +
                   std::to_string(rep.vmpl) + ", debug off";
        });
        if (stop) return s;
        report_data.assign(rep.report_data.begin(), rep.report_data.end());
    } else {  // tdx
        tdx::Collateral col;
        // The bundle's own collateral/ is hostile input: a real directory, read without following links.
        bool in_bundle = opts.collateral_dir.empty();
        std::string cdir = in_bundle ? dir + "/collateral" : opts.collateral_dir;
        std::error_code cec;
        bool have_col = in_bundle ? fs::is_directory(fs::symlink_status(cdir, cec)) : fs::is_directory(cdir);
        if (have_col) col = tdx::load_collateral(cdir, !in_bundle);
        tdx::TdxPolicy pol = opts.policy.tdx;
        tdx::TdxPolicy no_policy = pol;
        no_policy.mr_td.clear();
        no_policy.rtmr = {};
        no_policy.allow_debug = true;
        tdx::Result r = tdx::verify_quote(report_raw, have_col ? &col : nullptr, no_policy, opts.now);
        for (auto& c : r.checks) {
            if (c.name == "evidence") {  // the quote did not parse
                if (!c.ok) {
                    fail("quote-format", c.detail);
                    return s;
                }
                continue;
            }
            if (c.name == "policy") break;
            s.checks.push_back(c);
            if (!c.ok) return s;
        }
        if (!r.quote) {
            fail("quote-format", "TDX verification stopped early");
            return s;
        }
        s.tcb_status = r.tcb_status;
        const tdx::TdReportBody& b = r.quote->body;
        s.measurement = hex(b.mr_td);
        step("policy", [&] {
            if (pol.mr_td.empty()) throw Error("policy: no expected MRTD (give --expected-measurement or a policy with \"mrtd\")");
            if (b.debug() && !pol.allow_debug) throw Error("policy: TD_ATTRIBUTES has DEBUG set");
            auto in = [](const std::vector<Bytes>& allowed, ByteView v) {
                return std::any_of(allowed.begin(), allowed.end(), [&](const Bytes& a) { return equal_ct(a, v); });
            };
            if (!in(pol.mr_td, b.mr_td)) throw Error("policy: MRTD " + hex(b.mr_td) + " is not an allowed value");
            for (std::size_t i = 0; i < 4; ++i)
                if (!pol.rtmr[i].empty() && !in(pol.rtmr[i], b.rtmr[i]))
                    throw Error("policy: RTMR" + std::to_string(i) + " " + hex(b.rtmr[i]) + " is not an allowed value");
            Bytes disk = input_disk_digest();
            if (!equal_ct(disk, ByteView(b.mr_config_id.data(), 32)))
                throw Error("policy: MRCONFIGID[0:32] " + hex(ByteView(b.mr_config_id.data(), 32)) + " != input-disk " + hex(disk));
            for (std::size_t i = 32; i < 48; ++i)
                if (b.mr_config_id[i] != 0) throw Error("policy: MRCONFIGID[32:48] is not zero");
            return "MRTD " + s.measurement.substr(0, 16) + "..., MRCONFIGID = input-disk, debug off";
        });
        if (stop) return s;
        report_data.assign(b.report_data.begin(), b.report_data.end());
    }

    // ---- 8. binding: all 64 bytes, no stripping.
    step("binding", [&] {
        Bytes want = sha256(payload);
        Bytes k = sha256(spki_der);
        want.insert(want.end(), k.begin(), k.end());
        if (!equal_ct(want, report_data))
            throw Error("binding: REPORT_DATA " + hex(report_data) + " != SHA-256(payload) || SHA-256(SPKI) " + hex(want));
        return std::string("REPORT_DATA = SHA-256(statement) || SHA-256(signing key SPKI)");
    });
    // ---- 9. DSSE signature under the bound key.
    step("dsse-signature", [&] {
        std::string spki_hex = hex(sha256(spki_der));
        if (!keyid.empty() && keyid != spki_hex) throw Error("dsse-signature: keyid " + keyid + " is not SHA-256(SPKI) " + spki_hex);
        std::string type = kPayloadType;
        std::string pae = "DSSEv1 " + std::to_string(type.size()) + " " + type + " " + std::to_string(payload.size()) + " ";
        Hasher h(HashAlg::sha256);
        h.update(pae);
        h.update(payload);
        Bytes digest = h.finish();
        if (!x509::ecdsa_verify_spki_der_sig(spki_der, digest, sig_der))
            throw Error("dsse-signature: ECDSA P-256 signature over PAE does not verify with the bound key");
        return std::string("ECDSA P-256 over PAE(application/vnd.in-toto+json, payload), keyid ") + spki_hex.substr(0, 16) + "...";
    });
    // ---- 10. statement structure.
    Json st;
    step("statement", [&] {
        st = parse_strict(to_string(payload));
        if (jcs(st) != to_string(payload)) throw Error("statement: payload is not in RFC 8785 (JCS) canonical form");
        if (str_member(st, "_type", "statement") != kStatementType) throw Error("statement: _type is not " + std::string(kStatementType));
        if (str_member(st, "predicateType", "statement") != kProvenanceType)
            throw Error("statement: predicateType is not " + std::string(kProvenanceType));
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
        const Json* pred = member(st, "predicate");
        if (!pred || !pred->is_object()) throw Error("statement: no predicate");
        const Json* bd = member(*pred, "buildDefinition");
        const Json* rd = member(*pred, "runDetails");
        if (!bd || !rd) throw Error("statement: predicate lacks buildDefinition or runDetails");
        s.build_type = str_member(*bd, "buildType", "statement: buildDefinition");
        std::string want_bt = opts.policy.build_type.value_or(kBuildType);
        if (s.build_type != want_bt) throw Error("statement: buildType '" + s.build_type + "' is not '" + want_bt + "'");
        const Json* ep = member(*bd, "externalParameters");
        if (!ep || !ep->is_object() || ep->empty()) throw Error("statement: externalParameters is missing or empty");
        if (const Json* deps = member(*bd, "resolvedDependencies")) {
            if (!deps->is_array()) throw Error("statement: resolvedDependencies is not an array");
            for (auto& d : *deps) check_resource_descriptor(d, "statement: resolvedDependency");
        }
        const Json* builder = member(*rd, "builder");
        if (!builder) throw Error("statement: runDetails has no builder");
        s.builder_id = str_member(*builder, "id", "statement: builder");
        std::string want_id = builder_id_for(s.platform);
        if (s.builder_id != want_id) throw Error("statement: builder.id '" + s.builder_id + "' is not '" + want_id + "' for platform " + s.platform);
        if (opts.policy.builder_id && s.builder_id != *opts.policy.builder_id)
            throw Error("statement: builder.id '" + s.builder_id + "' is not the policy's '" + *opts.policy.builder_id + "'");
        if (opts.policy.source_uri || opts.policy.source_commit) {
            bool uri_ok = !opts.policy.source_uri, commit_ok = !opts.policy.source_commit;
            const Json* deps = member(*bd, "resolvedDependencies");
            if (deps && deps->is_array())
                for (auto& d : *deps) {
                    const Json* u = member(d, "uri");
                    if (opts.policy.source_uri && u && u->is_string()) {
                        std::string us = u->get<std::string>();
                        std::string want = *opts.policy.source_uri;
                        for (const std::string& w : {want, "git+" + want})
                            if (us == w || (us.size() > w.size() && us.compare(0, w.size(), w) == 0 && us[w.size()] == '@'))
                                uri_ok = true;
                    }
                    const Json* dg = member(d, "digest");
                    const Json* gc = dg ? member(*dg, "gitCommit") : nullptr;
                    if (opts.policy.source_commit && gc && gc->is_string() && gc->get<std::string>() == *opts.policy.source_commit)
                        commit_ok = true;
                }
            if (!uri_ok) throw Error("statement: no resolved dependency has the source URI '" + *opts.policy.source_uri + "'");
            if (!commit_ok) throw Error("statement: no resolved dependency has gitCommit " + *opts.policy.source_commit);
        }
        return "in-toto Statement v1, SLSA provenance v1, builder " + s.builder_id + ", " +
               std::to_string(s.subjects.size()) + " subject(s)";
    });
    // ---- 11. artifacts: every subject present with its digest, nothing unlisted.
    step("artifacts", [&] {
        std::string adir = dir + "/artifacts";
        std::error_code ec;
        auto ast = fs::symlink_status(adir, ec);
        if (ec || !fs::is_directory(ast)) throw Error("artifacts: " + adir + " is not a directory");
        std::set<std::string> listed;
        for (auto& sub : s.subjects) {
            if (!safe_relative_path(sub.name)) throw Error("artifacts: subject name '" + sub.name + "' is not a safe relative path");
            listed.insert(sub.name);
            std::string p = adir + "/" + sub.name;
            // No component of the path may be a symlink.
            std::string acc = adir;
            std::size_t start = 0;
            while (true) {
                std::size_t e = sub.name.find('/', start);
                acc += "/" + sub.name.substr(start, e == std::string::npos ? std::string::npos : e - start);
                auto lst = fs::symlink_status(acc, ec);
                if (ec || fs::is_symlink(lst)) throw Error("artifacts: '" + sub.name + "' is missing or goes through a symlink");
                if (e == std::string::npos) break;
                start = e + 1;
            }
            if (!fs::is_regular_file(fs::symlink_status(p, ec))) throw Error("artifacts: '" + sub.name + "' is missing or not a regular file");
            std::string got = hex(sha256_file(p));
            if (got != sub.sha256) throw Error("artifacts: '" + sub.name + "' has sha256 " + got + ", the statement says " + sub.sha256);
        }
        for (auto it = fs::recursive_directory_iterator(adir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            auto lst = it->symlink_status();
            if (fs::is_directory(lst)) continue;
            std::string rel = it->path().lexically_relative(adir).generic_string();
            if (!fs::is_regular_file(lst)) throw Error("artifacts: '" + rel + "' is not a regular file");
            if (!listed.count(rel)) throw Error("artifacts: '" + rel + "' is not listed as a subject");
        }
        if (ec) throw Error("artifacts: cannot list " + adir + ": " + ec.message());
        // Byproducts (the build log) are covered by the statement too: each must be present and match.
        std::size_t byproducts = 0;
        const Json* pred = member(st, "predicate");
        const Json* rd = pred ? member(*pred, "runDetails") : nullptr;
        const Json* bps = rd ? member(*rd, "byproducts") : nullptr;
        if (bps && bps->is_array())
            for (const Json& b : *bps) {
                const Json* n = member(b, "name");
                const Json* dg = member(b, "digest");
                const Json* h = dg ? member(*dg, "sha256") : nullptr;
                if (!n || !n->is_string() || !h || !h->is_string()) continue;
                std::string name = n->get<std::string>();
                if (!safe_relative_path(name) || name.find('/') != std::string::npos)
                    throw Error("artifacts: byproduct name '" + name + "' is not a plain file name");
                std::string p = dir + "/" + name;
                if (!fs::is_regular_file(fs::symlink_status(p, ec)))
                    throw Error("artifacts: byproduct '" + name + "' is missing or not a regular file");
                std::string got = hex(sha256_file(p));
                if (got != h->get<std::string>())
                    throw Error("artifacts: byproduct '" + name + "' has sha256 " + got + ", the statement says " +
                                h->get<std::string>());
                ++byproducts;
            }
        return std::to_string(s.subjects.size()) + " file(s) match their subjects, none unlisted; " +
               std::to_string(byproducts) + " byproduct(s) match";
    });
    // ---- 12. nonce.
    step("nonce", [&] {
        if (!opts.nonce) return std::string("no nonce requested");
        const Json* pred = member(st, "predicate");
        const Json* bd = pred ? member(*pred, "buildDefinition") : nullptr;
        const Json* ep = bd ? member(*bd, "externalParameters") : nullptr;
        const Json* n = ep ? member(*ep, "nonce") : nullptr;
        if (!n || !n->is_string()) throw Error("nonce: the statement carries no externalParameters.nonce");
        std::string got = n->get<std::string>();
        bool same = equal_ct(as_bytes(got), as_bytes(*opts.nonce));
        if (!same) {
            try {  // both hex: compare the bytes (case-insensitive)
                Bytes a = unhex(got), b = unhex(*opts.nonce);
                same = !a.empty() && equal_ct(a, b);
            } catch (const Error&) {
            }
        }
        if (!same) throw Error("nonce: statement nonce '" + got + "' != expected '" + *opts.nonce + "'");
        return std::string("externalParameters.nonce matches");
    });
    if (stop) return s;
    s.ok = s.checks.size() == 12 && std::all_of(s.checks.begin(), s.checks.end(), [](const Check& c) { return c.ok; });
    return s;
}

Json summary_json(const Summary& s) {
    Json j = Json::object();
    j["schema"] = "kettle-verify-summary/v1";
    j["result"] = s.ok ? "PASSED" : "FAILED";
    j["simulated"] = s.simulated;
    j["platform"] = s.platform;
    Json checks = Json::array();
    for (auto& c : s.checks) checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    j["checks"] = checks;
    if (!s.ok) j["failed_check"] = s.failed();
    if (!s.measurement.empty()) j["measurement"] = s.measurement;
    if (!s.builder_id.empty()) j["builder_id"] = s.builder_id;
    if (!s.build_type.empty()) j["build_type"] = s.build_type;
    if (!s.tcb_status.empty()) j["tcb_status"] = s.tcb_status;
    Json subj = Json::array();
    for (auto& x : s.subjects) subj.push_back({{"name", x.name}, {"digest", {{"sha256", x.sha256}}}});
    j["subjects"] = subj;
    return j;
}

std::string summary_text(const Summary& s) {
    std::string out;
    for (auto& c : s.checks) out += std::string("  ") + (c.ok ? "ok    " : "FAIL  ") + pad2(c.name, 18) + c.detail + "\n";
    if (s.ok) {
        out += s.simulated ? "VERIFIED (SIMULATED AMD-SP: not hardware evidence)\n" : "VERIFIED\n";
    } else {
        out += "FAILED at check '" + s.failed() + "'" + (s.simulated ? " (SIMULATED)" : "") + "\n";
    }
    return out;
}

Json vsa_statement(const Summary& s, const std::string& policy_uri, const Bytes& policy_sha256, std::int64_t now) {
    Json subj = Json::array();
    for (auto& x : s.subjects) subj.push_back({{"name", x.name}, {"digest", {{"sha256", x.sha256}}}});
    if (subj.empty()) subj.push_back({{"name", "_"}, {"digest", {{"sha256", hex(s.envelope_sha256)}}}});
    Json pred = Json::object();
    pred["verifier"] = {{"id", "https://kettle-build.org/verifiers/kettle-verify/v1"}};
    pred["timeVerified"] = x509::format_rfc3339(now);
    pred["resourceUri"] = "file:artifacts";
    Json pol = Json::object();
    pol["uri"] = policy_uri.empty() ? "https://kettle-build.org/policies/default/v1" : policy_uri;
    if (!policy_sha256.empty()) pol["digest"] = {{"sha256", hex(policy_sha256)}};
    pred["policy"] = pol;
    pred["inputAttestations"] = Json::array({{{"uri", "provenance.intoto.jsonl"}, {"digest", {{"sha256", hex(s.envelope_sha256)}}}}});
    pred["verificationResult"] = s.ok ? "PASSED" : "FAILED";
    Json levels = Json::array();
    if (s.ok) levels.push_back(s.simulated ? "SLSA_BUILD_LEVEL_1" : "SLSA_BUILD_LEVEL_3");
    else levels.push_back("FAILED");
    pred["verifiedLevels"] = levels;
    pred["slsaVersion"] = "1.1";
    Json st = Json::object();
    st["_type"] = "https://in-toto.io/Statement/v1";
    st["subject"] = subj;
    st["predicateType"] = "https://slsa.dev/verification_summary/v1";
    st["predicate"] = pred;
    return st;
}

}  // namespace kettle::bundle
