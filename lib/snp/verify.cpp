// Offline SEV-SNP report verification steps (see kettle/snp/verify.hpp): the VCEK/VLEK extensions, the built-in AMD
// chains, the product, the certificate chain, the VEK binding, the report signature and the policy. The table of
// checks that runs them is in checks.cpp.
#include "kettle/snp/verify.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "kettle/core/error.hpp"
#include "kettle/core/hash.hpp"
#include "roots.hpp"

namespace kettle::snp {

using x509::Cert;

const char* vek_kind_name(VekKind k) { return k == VekKind::vcek ? "VCEK" : "VLEK"; }

namespace {
constexpr const char* kOidPrefix = "1.3.6.1.4.1.3704.1.";

bool has_sim_marker(const std::string& cn) { return cn.find(kSimMarker) != std::string::npos; }

std::string ext_oid(const char* tail) { return std::string(kOidPrefix) + tail; }

std::string product_cap(Product p) { return product_name(p); }
}  // namespace

VekExtensions decode_vek_extensions(const Cert& vek) {
    VekExtensions e;
    auto integer = [&](const char* tail, std::int64_t& out) {
        if (auto* x = vek.extension(ext_oid(tail)))
            out = x509::der_integer(x->value, ("VEK extension " + ext_oid(tail)).c_str());
    };
    integer("1", e.struct_version);
    if (auto* x = vek.extension(ext_oid("2"))) e.product_name = x509::der_string(x->value, "VEK product name (.1.2)");
    integer("3.1", e.bl);
    integer("3.2", e.tee);
    integer("3.3", e.snp);
    integer("3.8", e.ucode);
    integer("3.9", e.fmc);
    if (auto* x = vek.extension(ext_oid("4"))) {
        // The value is the raw chip id (no DER tag); tolerate an OCTET STRING wrapper of the same length.
        const Bytes& v = x->value;
        if (v.size() >= 2 && v[0] == 0x04 && v[1] == v.size() - 2 && (v.size() - 2 == 64 || v.size() - 2 == 8) &&
            v.size() != 64 && v.size() != 8)
            e.hwid.assign(v.begin() + 2, v.end());
        else
            e.hwid = v;
    }
    if (auto* x = vek.extension(ext_oid("5"))) e.csp_id = x509::der_string(x->value, "VLEK CSP id (.1.5)");
    return e;
}

Bytes pinned_ark_sha256(Product p) {
    switch (p) {
        case Product::milan: return unhex("69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd");
        case Product::genoa: return unhex("4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1");
        case Product::turin: return unhex("1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a");
        default: throw Error("chain: no pinned ARK for product 'unknown'");
    }
}

const BuiltinChain& builtin_chain(Product p) {
    static std::mutex mu;
    static std::map<Product, BuiltinChain> cache;
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(p); it != cache.end()) return it->second;
    const char *ark_pem = nullptr, *ask_pem = nullptr, *asvk_pem = nullptr;
    switch (p) {
        case Product::milan: ark_pem = roots::kMilanArk; ask_pem = roots::kMilanAsk; asvk_pem = roots::kMilanAsvk; break;
        case Product::genoa: ark_pem = roots::kGenoaArk; ask_pem = roots::kGenoaAsk; asvk_pem = roots::kGenoaAsvk; break;
        case Product::turin: ark_pem = roots::kTurinArk; ask_pem = roots::kTurinAsk; asvk_pem = roots::kTurinAsvk; break;
        default: throw Error("chain: no built-in AMD chain for product 'unknown'");
    }
    auto one = [](const char* pem) {
        auto certs = x509::pem_blocks(pem, "CERTIFICATE");
        if (certs.size() != 1) throw Error("chain: built-in AMD chain is damaged");
        return std::move(certs[0]);
    };
    Bytes ark = one(ark_pem);
    if (sha256(ark) != pinned_ark_sha256(p))
        throw Error(std::string("chain: built-in ARK-") + product_name(p) + " does not match its pinned SHA-256");
    BuiltinChain c{std::move(ark), one(ask_pem), one(asvk_pem)};
    return cache.emplace(p, std::move(c)).first->second;
}

Product determine_product(const Report& r, Product configured, const Cert* vek) {
    if (r.version >= 3) {
        Product p = product_from_cpuid(r.cpuid_fam_id, r.cpuid_mod_id);
        if (p == Product::unknown)
            throw Error("product: CPUID family 0x" + hex(ByteView(&r.cpuid_fam_id, 1)) + " model 0x" +
                        hex(ByteView(&r.cpuid_mod_id, 1)) + " is not a known SEV-SNP product");
        if (configured != Product::unknown && configured != p)
            throw Error(std::string("product: report CPUID says ") + product_name(p) + ", policy requires " +
                        product_name(configured));
        return p;
    }
    if (configured != Product::unknown) return configured;
    if (vek) {
        if (auto* x = vek->extension(ext_oid("2"))) {
            Product p = product_from_name(x509::der_string(x->value, "VEK product name"));
            if (p != Product::unknown) return p;
        }
    }
    throw Error("product: a v2 report carries no CPUID; name the product in the policy (\"product\")");
}

namespace {

// The leaf's kind from its subject CN: SEV-VCEK or SEV-VLEK (VCEK spec 57230), or a KETTLE-SIM test leaf (a VLEK
// when its CN says so or it carries a CSP id). It must not be a CA, and its key must be EC P-384.
VekKind leaf_kind(const Cert& vek, const VekExtensions& ext) {
    const std::string& cn = vek.subject_cn();
    VekKind kind;
    if (cn == "SEV-VCEK") kind = VekKind::vcek;
    else if (cn == "SEV-VLEK") kind = VekKind::vlek;
    else if (has_sim_marker(cn)) kind = (cn.find("VLEK") != std::string::npos || !ext.csp_id.empty()) ? VekKind::vlek : VekKind::vcek;
    else throw Error("chain: leaf certificate '" + cn + "' is neither SEV-VCEK nor SEV-VLEK");
    if (vek.is_ca()) throw Error("chain: the VCEK/VLEK is marked as a CA");
    if (vek.key_description() != "ec p384") throw Error("chain: the VCEK/VLEK key is " + vek.key_description() + ", not EC P-384");
    return kind;
}

// Candidate issuers of the VEK and candidate roots, in the order they are tried. Intermediates: those offered, then
// the product's built-in ASK and ASVK. Roots: a self-signed KETTLE-SIM root offered (only with allow_sim), the
// product's built-in ARK, then the --trust-root certificates. Any other self-signed certificate offered is ignored:
// roots are pinned.
struct Candidates {
    std::vector<Cert> inters, roots;
    std::vector<bool> root_builtin;
};

Candidates chain_candidates(Product product, const std::vector<Bytes>& extra_certs, const ChainOptions& opts) {
    Candidates c;
    for (std::size_t i = 0; i < extra_certs.size(); ++i) {
        Cert cert = Cert::parse(extra_certs[i], "chain: offered certificate");
        if (cert.self_issued()) {
            if (opts.allow_sim && has_sim_marker(cert.subject_cn())) {
                c.roots.push_back(cert);
                c.root_builtin.push_back(false);
            }
        } else {
            c.inters.push_back(std::move(cert));
        }
    }
    if (product != Product::unknown) {
        const BuiltinChain& b = builtin_chain(product);
        c.inters.push_back(Cert::parse(b.ask, "built-in ASK"));
        c.inters.push_back(Cert::parse(b.asvk, "built-in ASVK"));
        c.roots.push_back(Cert::parse(b.ark, "built-in ARK"));
        c.root_builtin.push_back(true);
    }
    for (auto& t : opts.trust_roots) {
        c.roots.push_back(Cert::parse(t, "trust root"));
        c.root_builtin.push_back(false);
    }
    return c;
}

// AMD's rules for a path that ends at a built-in ARK (VCEK spec 57230): the root is ARK-<Product>, a VCEK is issued
// by SEV-<Product> (the ASK) and a VLEK by SEV-VLEK-<Product> (the ASVK), every certificate is signed with
// RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt 48, and ASK and ARK are CAs.
void check_amd_path(const Cert& vek, const Cert& inter, const Cert& root, VekKind kind, Product product) {
    std::string P = product_cap(product);
    if (root.subject_cn() != "ARK-" + P) throw Error("chain: root '" + root.subject_cn() + "' is not ARK-" + P);
    std::string want = kind == VekKind::vcek ? "SEV-" + P : "SEV-VLEK-" + P;
    if (inter.subject_cn() != want)
        throw Error("chain: " + std::string(vek_kind_name(kind)) + " must be issued by " + want + ", not '" +
                    inter.subject_cn() + "'");
    for (const Cert* c : std::initializer_list<const Cert*>{&vek, &inter, &root})
        if (!c->is_pss_sha384_salt48())
            throw Error("chain: '" + c->subject_cn() + "' is signed with " + c->signature_algorithm() +
                        ", not RSASSA-PSS SHA-384 salt 48");
    if (!inter.is_ca() || !root.is_ca()) throw Error("chain: ASK/ARK lack the CA basic constraint");
}

// Accept the signed path VEK <- inter <- root into `res`: a simulated chain only with allow_sim, AMD's rules for a
// built-in root, and all three certificates valid at opts.now.
void accept_path(ChainResult& res, const Cert& vek, const Cert& inter, const Cert& root, bool builtin_root,
                 const ChainOptions& opts) {
    const std::string& cn = vek.subject_cn();
    res.path = {cn, inter.subject_cn(), root.subject_cn()};
    res.simulated = has_sim_marker(cn) || has_sim_marker(inter.subject_cn()) || has_sim_marker(root.subject_cn());
    if (res.simulated && !opts.allow_sim)
        throw Error("chain: simulated AMD-SP chain (" + std::string(kSimMarker) + ") is not accepted without --allow-sim");
    if (builtin_root) check_amd_path(vek, inter, root, res.kind, res.product);
    x509::check_validity(vek, opts.now, "chain");
    x509::check_validity(inter, opts.now, "chain");
    x509::check_validity(root, opts.now, "chain");
}

}  // namespace

ChainResult verify_chain(Product product, ByteView vek_der, const std::vector<Bytes>& extra_certs,
                         const ChainOptions& opts) {
    ChainResult res;
    res.product = product;
    Cert vek = Cert::parse(vek_der, "chain: VCEK/VLEK");
    res.vek_der.assign(vek_der.begin(), vek_der.end());
    res.ext = decode_vek_extensions(vek);
    res.kind = leaf_kind(vek, res.ext);
    const std::string& cn = vek.subject_cn();
    Candidates cand = chain_candidates(product, extra_certs, opts);

    // Find the intermediate that signed the VEK, then the root that signed it.
    std::string last_err = "chain: no certificate named '" + vek.issuer_cn() + "' (issuer of " + cn + ") is available";
    for (auto& inter : cand.inters) {
        try {
            x509::verify_signed_by(vek, inter, "chain: " + cn + " <- " + inter.subject_cn());
        } catch (const Error& e) {
            if (inter.subject() == vek.issuer()) last_err = e.what();
            continue;
        }
        std::string root_err;
        for (std::size_t ri = 0; ri < cand.roots.size(); ++ri) {
            const Cert& root = cand.roots[ri];
            try {
                x509::verify_signed_by(inter, root, "chain: " + inter.subject_cn() + " <- " + root.subject_cn());
                x509::verify_signed_by(root, root, "chain: " + root.subject_cn() + " self-signature");
            } catch (const Error& e) {
                if (root.subject() == inter.issuer()) root_err = e.what();
                continue;
            }
            accept_path(res, vek, inter, root, cand.root_builtin[ri], opts);
            return res;
        }
        last_err = !root_err.empty() ? root_err
                                     : "chain: no trusted root for '" + inter.subject_cn() + "' (issuer '" +
                                           inter.issuer_cn() + "'); the built-in root is ARK-" + product_cap(product);
    }
    throw Error(last_err);
}

void check_vek_binding(const Report& r, const ChainResult& chain, Product product) {
    const VekExtensions& e = chain.ext;
    std::uint32_t want_key = chain.kind == VekKind::vcek ? 0u : 1u;
    if (r.signing_key() != want_key)
        throw Error("vek-extensions: report SIGNING_KEY is " + std::to_string(r.signing_key()) + " but the certificate is a " +
                    vek_kind_name(chain.kind));
    if (!e.product_name.empty() && product_from_name(e.product_name) != product)
        throw Error("vek-extensions: certificate product '" + e.product_name + "' is not " + product_name(product));
    TcbVersion t = decode_tcb(r.reported_tcb, product);
    if (t.reserved_nonzero) throw Error("vek-extensions: REPORTED_TCB has non-zero reserved bytes");
    auto cmp = [&](const char* name, std::int64_t ext, std::uint8_t rep) {
        if (ext < 0) throw Error(std::string("vek-extensions: certificate lacks the ") + name + " SPL extension");
        if (ext != rep)
            throw Error(std::string("vek-extensions: ") + name + " SPL " + std::to_string(ext) +
                        " in the certificate != REPORTED_TCB " + std::to_string(rep));
    };
    cmp("BOOT_LOADER", e.bl, t.bootloader);
    cmp("TEE", e.tee, t.tee);
    cmp("SNP", e.snp, t.snp);
    cmp("MICROCODE", e.ucode, t.microcode);
    if (product == Product::turin) cmp("FMC", e.fmc, t.fmc);
    if (chain.kind == VekKind::vcek) {
        std::size_t n = product == Product::turin ? 8 : 64;
        if (e.hwid.size() != n)
            throw Error("vek-extensions: VCEK hwID is " + std::to_string(e.hwid.size()) + " bytes, expected " + std::to_string(n));
        if (!equal_ct(e.hwid, ByteView(r.chip_id.data(), n)))
            throw Error("vek-extensions: CHIP_ID " + hex(ByteView(r.chip_id.data(), n)) + " != VCEK hwID " + hex(e.hwid));
    }
}

void verify_report_signature(ByteView raw, ByteView vek_der) {
    if (raw.size() != kReportSize) throw Error("report-signature: report is not 1184 bytes");
    Cert vek = Cert::parse(vek_der, "report-signature: VCEK/VLEK");
    Bytes r_be(48), s_be(48);
    for (std::size_t i = 0; i < 48; ++i) {
        r_be[i] = raw[0x2A0 + 47 - i];
        s_be[i] = raw[0x2E8 + 47 - i];
    }
    for (std::size_t i = 48; i < 72; ++i)
        if (raw[0x2A0 + i] || raw[0x2E8 + i]) throw Error("report-signature: R or S exceeds 48 bytes");
    Bytes h = sha384(slice(raw, 0, kSignedSize, "report"));
    if (!x509::ecdsa_verify_cert(vek, h, r_be, s_be))
        throw Error("report-signature: ECDSA P-384 signature over bytes 0x000..0x29F does not verify with the " +
                    vek.subject_cn() + " key");
}

void check_policy(const Report& r, Product product, const SnpPolicy& p) {
    if (!p.measurements.empty()) {
        bool hit = std::any_of(p.measurements.begin(), p.measurements.end(), [&](const Bytes& m) {
            return equal_ct(m, ByteView(r.measurement.data(), r.measurement.size()));
        });
        if (!hit) throw Error("policy: MEASUREMENT " + hex(r.measurement) + " is not an allowed measurement");
    }
    const TcbFloor floor = effective_tcb_floor(product, p);
    const std::pair<const char*, std::uint64_t> tcbs[] = {
        {"REPORTED_TCB", r.reported_tcb}, {"COMMITTED_TCB", r.committed_tcb}, {"LAUNCH_TCB", r.launch_tcb}};
    for (auto& [name, raw] : tcbs) {
        TcbVersion have = decode_tcb(raw, product);
        if (!tcb_at_least(have, floor.min, product))
            throw Error(std::string("policy: ") + name + " (" + tcb_string(have, product) + ") is below the minimum (" +
                        tcb_string(floor.min, product) + ", " + floor.source + ")");
    }
    if (r.debug() && !p.allow_debug) throw Error("policy: guest POLICY allows DEBUG (bit 19)");
    if ((r.policy & policy_bit::kMigrateMa) && !p.allow_migration_agent)
        throw Error("policy: guest POLICY allows a migration agent (MIGRATE_MA, bit 18)");
    if (p.smt == SnpPolicy::Smt::forbid && (r.policy & policy_bit::kSmt))
        throw Error("policy: guest POLICY allows SMT but the policy forbids it");
    if (p.smt == SnpPolicy::Smt::require && !(r.policy & policy_bit::kSmt))
        throw Error("policy: guest POLICY forbids SMT but the policy requires it");
    if (p.vmpl && r.vmpl != *p.vmpl)
        throw Error("policy: VMPL is " + std::to_string(r.vmpl) + ", required " + std::to_string(*p.vmpl));
    if (p.host_data && !equal_ct(*p.host_data, ByteView(r.host_data.data(), r.host_data.size())))
        throw Error("policy: HOST_DATA " + hex(r.host_data) + " != expected " + hex(*p.host_data));
    if (p.report_data && !equal_ct(*p.report_data, ByteView(r.report_data.data(), r.report_data.size())))
        throw Error("policy: REPORT_DATA " + hex(r.report_data) + " != expected " + hex(*p.report_data));
}

std::string kds_vcek_url(const Report& r, Product p) {
    TcbVersion t = decode_tcb(r.reported_tcb, p);
    std::size_t n = p == Product::turin ? 8 : 64;
    std::string u = std::string("https://kdsintf.amd.com/vcek/v1/") + product_name(p) + "/" +
                    hex(ByteView(r.chip_id.data(), n)) + "?";
    if (p == Product::turin) u += "fmcSPL=" + std::to_string(t.fmc) + "&";
    u += "blSPL=" + std::to_string(t.bootloader) + "&teeSPL=" + std::to_string(t.tee) +
         "&snpSPL=" + std::to_string(t.snp) + "&ucodeSPL=" + std::to_string(t.microcode);
    return u;
}

}  // namespace kettle::snp
