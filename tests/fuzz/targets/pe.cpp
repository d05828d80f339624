// Fuzz target: the PE/COFF Authenticode image hash (boot::authenticode_digest; Microsoft PE format,
// "Calculating the PE Image Hash"), over PE32 and PE32+, with and without the 8-byte padding variant.
#include "fuzz.hpp"
#include "kettle/boot/pe.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteView in(data, size);
    Bytes a;
    if (!fuzz::accepts([&] { a = boot::authenticode_digest(in, HashAlg::sha384, false); })) return 0;
    KETTLE_FUZZ_CHECK(a.size() == 48, "digest size");
    Bytes b = boot::authenticode_digest(in, HashAlg::sha256, true);
    KETTLE_FUZZ_CHECK(b.size() == 32, "digest size");
    return 0;
}
