// The policy file of `kettle verify` (see kettle/verify/policy.hpp; docs/verify.md "Policy file").
#include "kettle/verify/policy.hpp"

#include "fields.hpp"
#include "kettle/core/error.hpp"

namespace kettle::bundle {

namespace {

// "min_tcb": {"bootloader","tee","snp","microcode","fmc"} each 0..255 (TCB_VERSION components, ABI 56860).
snp::TcbVersion parse_min_tcb(const Json& v) {
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
    return t;
}

std::vector<Bytes> hexlist(const Json& v, const std::string& k, std::size_t n) {
    if (!v.is_array()) throw Error("policy file: '" + k + "' is not an array");
    std::vector<Bytes> out;
    for (auto& x : v) out.push_back(hex_field(x, n, "policy file: " + k));
    return out;
}

bool bool_value(const Json& v, const std::string& k) {
    if (!v.is_boolean()) throw Error("policy file: '" + k + "' is not true/false");
    return v.get<bool>();
}

std::string string_value(const Json& v, const std::string& k) {
    if (!v.is_string()) throw Error("policy file: '" + k + "' is not a string");
    return v.get<std::string>();
}

// The SNP keys: product, measurements, min_tcb, allow_migration_agent, smt, vmpl. False when `k` is not one.
bool parse_snp_key(const std::string& k, const Json& v, snp::SnpPolicy& p) {
    if (k == "product") {
        p.product = snp::product_from_name(string_value(v, k));
        if (p.product == snp::Product::unknown) throw Error("policy file: unknown product '" + v.get<std::string>() + "'");
    } else if (k == "measurements") {
        p.measurements = hexlist(v, k, 48);
    } else if (k == "min_tcb") {
        p.min_tcb = parse_min_tcb(v);
    } else if (k == "allow_migration_agent") {
        p.allow_migration_agent = bool_value(v, k);
    } else if (k == "smt") {
        std::string s = string_value(v, k);
        if (s == "any") p.smt = snp::SnpPolicy::Smt::any;
        else if (s == "forbid") p.smt = snp::SnpPolicy::Smt::forbid;
        else if (s == "require") p.smt = snp::SnpPolicy::Smt::require;
        else throw Error("policy file: 'smt' must be any, forbid or require");
    } else if (k == "vmpl") {
        if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 3) throw Error("policy file: 'vmpl' is not 0..3");
        p.vmpl = static_cast<std::uint32_t>(v.get<std::uint64_t>());
    } else {
        return false;
    }
    return true;
}

// The TDX keys: mrtd, rtmr0..rtmr3, xfam, the TD attribute switches, accepted_tcb_status. False when `k` is not one.
bool parse_tdx_key(const std::string& k, const Json& v, tdx::TdxPolicy& p) {
    if (k == "mrtd") {
        p.mr_td = hexlist(v, k, 48);
    } else if (k.size() == 5 && k.compare(0, 4, "rtmr") == 0 && k[4] >= '0' && k[4] <= '3') {
        p.rtmr[static_cast<std::size_t>(k[4] - '0')] = hexlist(v, k, 48);
    } else if (k == "xfam") {
        p.xfam = hex_field(v, 8, "policy file: xfam");
    } else if (k == "allow_migratable" || k == "require_sept_ve_disable" || k == "allow_pks" || k == "allow_kl" ||
               k == "allow_perfmon" || k == "allow_mr_service_td") {
        bool b = bool_value(v, k);
        if (k == "allow_migratable") p.allow_migratable = b;
        else if (k == "require_sept_ve_disable") p.require_sept_ve_disable = b;
        else if (k == "allow_pks") p.allow_pks = b;
        else if (k == "allow_kl") p.allow_kl = b;
        else if (k == "allow_perfmon") p.allow_perfmon = b;
        else p.allow_mr_service_td = b;
    } else if (k == "accepted_tcb_status") {
        if (!v.is_array()) throw Error("policy file: 'accepted_tcb_status' is not an array");
        p.accepted_tcb_status.clear();
        for (auto& s : v) p.accepted_tcb_status.push_back(string_value(s, k));
    } else {
        return false;
    }
    return true;
}

}  // namespace

Policy parse_policy(std::string_view text) {
    Json j;
    try {
        j = parse_strict(text);
    } catch (const Error& e) {
        throw Error(std::string("policy file: ") + e.what());
    }
    if (!j.is_object()) throw Error("policy file: not a JSON object");
    Policy p;
    for (auto& [k, v] : j.items()) {
        if (parse_snp_key(k, v, p.snp) || parse_tdx_key(k, v, p.tdx)) continue;
        if (k == "allow_debug") p.snp.allow_debug = p.tdx.allow_debug = bool_value(v, k);
        else if (k == "builder_id") p.builder_id = string_value(v, k);
        else if (k == "build_type") p.build_type = string_value(v, k);
        else if (k == "source_uri") p.source_uri = string_value(v, k);
        else if (k == "source_commit") p.source_commit = string_value(v, k);
        else if (k == "source_tree") p.source_tree = string_value(v, k);
        else if (k == "packages") parse_package_rules(v, p.require_packages, p.forbid_packages);
        else if (k == "gcp_tcb_root_sha256") p.gcp_tcb_root_sha256 = hex_field(v, 32, "policy file: " + k);
        else throw Error("policy file: unknown key '" + k + "'");
    }
    return p;
}

}  // namespace kettle::bundle
