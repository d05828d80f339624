// Package URLs (purl-spec PURL-SPECIFICATION.rst "Character encoding", PURL-TYPES.rst npm/cargo/golang/deb) and
// Subresource Integrity values (W3C SRI §3.1), the identities the provenance records.
#include <cstring>

#include "kettle/core/base64.hpp"
#include "kettle/core/error.hpp"
#include "kettle/pkgdeps/package.hpp"

namespace kettle::pkgdeps {

bool is_ecosystem(std::string_view name) {
    for (const char* e : kEcosystems)
        if (name == e) return true;
    return false;
}

std::size_t digest_length(std::string_view alg) {
    if (alg == "sha512") return 64;
    if (alg == "sha256") return 32;
    if (alg == "sha1") return 20;
    return 0;
}

std::string purl_encode(std::string_view s) {
    static const char* hexd = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_' || c == '~';
        if (keep) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hexd[c >> 4]);
            out.push_back(hexd[c & 15]);
        }
    }
    return out;
}

std::string npm_purl(std::string_view name, std::string_view version) {
    std::string out = "pkg:npm/";
    if (!name.empty() && name[0] == '@') {
        auto slash = name.find('/');
        if (slash == std::string_view::npos) throw Error("npm name " + std::string(name) + " has a scope but no name");
        out += purl_encode(name.substr(0, slash)) + "/";
        name.remove_prefix(slash + 1);
    }
    return out + purl_encode(name) + "@" + purl_encode(version);
}

std::string cargo_purl(std::string_view name, std::string_view version) {
    return "pkg:cargo/" + purl_encode(name) + "@" + purl_encode(version);
}

std::string golang_purl(std::string_view module, std::string_view version) {
    std::string out = "pkg:golang/";
    std::size_t i = 0;
    while (i <= module.size()) {
        std::size_t j = module.find('/', i);
        if (j == std::string_view::npos) j = module.size();
        if (i) out += "/";
        out += purl_encode(module.substr(i, j - i));
        i = j + 1;
    }
    return out + "@" + purl_encode(version);
}

std::string deb_purl(std::string_view name, std::string_view version, std::string_view arch) {
    return "pkg:deb/debian/" + purl_encode(name) + "@" + purl_encode(version) + "?arch=" + purl_encode(arch);
}

bool parse_sri(std::string_view sri, std::string& alg, Bytes& digest) {
    static const char* order[] = {"sha512", "sha256", "sha1"};
    int best = 3;
    std::size_t i = 0;
    while (i < sri.size()) {
        while (i < sri.size() && (sri[i] == ' ' || sri[i] == '\t')) ++i;
        std::size_t j = i;
        while (j < sri.size() && sri[j] != ' ' && sri[j] != '\t') ++j;
        std::string_view tok = sri.substr(i, j - i);
        i = j;
        auto dash = tok.find('-');
        if (tok.empty() || dash == std::string_view::npos) continue;
        std::string_view a = tok.substr(0, dash), b64 = tok.substr(dash + 1);
        b64 = b64.substr(0, b64.find('?'));
        for (int k = 0; k < best; ++k) {
            if (a != order[k]) continue;
            Bytes d = base64_decode(b64, "integrity", false, 64);
            if (d.size() != digest_length(a))
                throw Error("integrity " + std::string(a) + " digest is " + std::to_string(d.size()) + " bytes, not " +
                            std::to_string(digest_length(a)));
            best = k;
            alg = order[k];
            digest = std::move(d);
        }
    }
    return best < 3;
}

}  // namespace kettle::pkgdeps
