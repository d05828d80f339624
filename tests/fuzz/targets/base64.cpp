// Fuzz target: base64 decoding (RFC 4648 sections 4 and 5, as DSSE envelopes and evidence.json carry it).
// Invariants: a decoded value encodes back to the canonical padded standard form, which decodes to the same bytes;
// an input in the standard alphabet with padding decodes only if it is exactly that canonical form.
#include "fuzz.hpp"
#include "kettle/core/base64.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    for (bool url : {false, true}) {
        Bytes out;
        if (!fuzz::accepts([&] { out = base64_decode(text, "fuzz", url, 1u << 20); })) continue;
        std::string enc = base64_encode(out);
        Bytes again;
        KETTLE_FUZZ_CHECK(fuzz::accepts([&] { again = base64_decode(enc, "fuzz", false, 1u << 20); }), enc);
        KETTLE_FUZZ_CHECK(again == out, "re-encoding changed the bytes");
        if (!url && size % 4 == 0) KETTLE_FUZZ_CHECK(enc == text, "a second standard encoding was accepted: " + std::string(text));
    }
    return 0;
}
