// Fuzz target: the structural rules of an in-toto Statement v1 with SLSA provenance v1 (check_statement, run by
// `kettle verify` on the DSSE payload of a bundle) and the image identity file reader (parse_image_identity).
// check_statement never throws: it lists violations.
#include "fuzz.hpp"
#include "kettle/core/json.hpp"
#include "kettle/provenance/statement.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz::accepts([&] { parse_image_identity(text); });
    Json st;
    if (!fuzz::accepts([&] { st = parse_strict(text); })) return 0;
    check_statement(st);
    if (st.is_object()) {
        auto pred = st.find("predicate");
        if (pred != st.end()) check_statement(*pred);
    }
    return 0;
}
