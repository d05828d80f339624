// Fuzz target: the DSSE envelope reader (dsse_parse_envelope; provenance.intoto.jsonl of a bundle) and the
// PEM public-key reader (public_pem_to_spki_der; the signing_key of evidence.json).
// Invariant: an accepted envelope written again (dsse_envelope_jsonl) parses to the same type, payload and
// signatures.
#include "fuzz.hpp"
#include "kettle/provenance/dsse.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz::accepts([&] { public_pem_to_spki_der(text); });
    DsseEnvelope env;
    if (!fuzz::accepts([&] { env = dsse_parse_envelope(text, 1u << 20); })) return 0;
    std::string line = dsse_envelope_jsonl(env);
    DsseEnvelope again;
    KETTLE_FUZZ_CHECK(fuzz::accepts([&] { again = dsse_parse_envelope(line, 1u << 20); }), line);
    KETTLE_FUZZ_CHECK(again.payload_type == env.payload_type && again.payload == env.payload, line);
    KETTLE_FUZZ_CHECK(again.signatures.size() == env.signatures.size(), line);
    for (std::size_t i = 0; i < env.signatures.size(); ++i)
        KETTLE_FUZZ_CHECK(again.signatures[i].keyid == env.signatures[i].keyid && again.signatures[i].sig == env.signatures[i].sig, line);
    dsse_pae(env.payload_type, env.payload);
    return 0;
}
