// Fuzz target: the PE/COFF readers of lib/boot/pe.cpp on a hostile image (a UKI or boot loader `kettle measure`
// and `kettle measure boot` are given): the Authenticode image hash (boot::authenticode_digest; Microsoft PE
// format, "Calculating the PE Image Hash") over PE32 and PE32+, with and without the 8-byte padding variant, and
// the section table, systemd-stub's section choice and the loader's in-memory view of a section (pe_sections,
// find_section, section_in_memory, pe_section). Sections are mapped with a 1 MiB bound instead of 1 GiB, to keep
// each run short; the bound check is the same code.
// Invariants: digest sizes; a mapped section is VirtualSize bytes, its file part equal to the raw bytes.
#include "fuzz.hpp"
#include "kettle/boot/pe.hpp"

#include <algorithm>
#include <cstring>

using namespace kettle;

namespace {

void sections(ByteView in) {
    std::vector<boot::PeSection> secs;
    if (!fuzz::accepts([&] { secs = boot::pe_sections(in); })) return;
    KETTLE_FUZZ_CHECK(secs.size() <= 96, "more than 96 sections");
    for (const char* name : {".linux", ".initrd", ".cmdline", ".osrel", ".uname"}) {
        auto s = boot::find_section(secs, name);
        if (!s) continue;
        Bytes m;
        if (!fuzz::accepts([&] { m = boot::section_in_memory(in, *s, 1u << 20); })) continue;
        KETTLE_FUZZ_CHECK(m.size() == s->virtual_size, "mapped size is not VirtualSize");
        std::size_t raw = std::min(s->virtual_size, s->raw_size);
        // raw == 0: an empty section maps to no bytes (m.data() may be null, which memcmp may not be given).
        KETTLE_FUZZ_CHECK(raw == 0 || std::memcmp(m.data(), in.data() + s->raw_offset, raw) == 0,
                          "mapped bytes differ from the file");
        std::optional<Bytes> again = boot::pe_section(in, name, 1u << 20);
        KETTLE_FUZZ_CHECK(again && *again == m, "pe_section differs from section_in_memory");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteView in(data, size);
    sections(in);
    Bytes a;
    if (!fuzz::accepts([&] { a = boot::authenticode_digest(in, HashAlg::sha384, false); })) return 0;
    KETTLE_FUZZ_CHECK(a.size() == 48, "digest size");
    Bytes b = boot::authenticode_digest(in, HashAlg::sha256, true);
    KETTLE_FUZZ_CHECK(b.size() == 32, "digest size");
    return 0;
}
