// Package URLs as the policy's package rules compare them (purl-spec PURL-SPECIFICATION.rst "How to parse a purl
// string", PURL-TYPES.rst): split into components, percent-decoded, case-folded where the type says so.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kettle::bundle {

/// A package URL "pkg:type/namespace/name@version?qualifiers#subpath" in the form Kettle compares. Two purls name
/// the same package when type and path are equal; "%2B", "%2b" and "+" are the same byte once decoded.
struct PurlParts {
    std::string type;               ///< lower case ("npm", "deb")
    std::vector<std::string> path;  ///< the namespace segments then the name, each percent-decoded, non-empty;
                                    ///< lower-cased for "npm" and "deb" (purl-spec: not case-sensitive)
    bool has_version = false;
    std::string version;                            ///< percent-decoded
    std::map<std::string, std::string> qualifiers;  ///< keys lower case, values percent-decoded; empty values dropped
    std::string subpath;  ///< decoded segments joined by '/', without empty, "." and ".." segments; "" when absent
};

/// Parse a package URL. Throws Error("<why>") when it does not begin with "pkg:", has an empty type or name, holds
/// a '%' not followed by two hex digits, a namespace or name segment that decodes to hold '/', or a qualifier
/// without '=' or given twice. Only "npm" and "deb" paths are case-folded: Kettle writes Go module paths and crate
/// names with their case (docs/dependencies.md §6), and purl-spec's cargo type is case-sensitive.
PurlParts parse_purl(std::string_view purl);

}  // namespace kettle::bundle
