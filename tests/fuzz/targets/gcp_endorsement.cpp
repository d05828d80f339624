// Fuzz target: Google's launch endorsement of GCE's TDX firmware as `kettle verify --boot gcp-tdx --endorsement FILE`
// reads it: the VMLaunchEndorsement / VMGoldenMeasurement reader (tdx::parse_launch_endorsement over the bounded
// protobuf reader, lib/tdx/gcp_endorsement.cpp, lib/core/protobuf.cpp), then tdx::verify_launch_endorsement with the
// endorsement's own ca_bundle as the root (PEM, X.509, RSASSA-PSS) for its first listed MRTD, and the root pin.
// Invariants: an accepted file's golden bytes lie within the input; every TDX measurement has a 48-byte MRTD; a UEFI
// digest is empty or 48 bytes; a verified endorsement matched the MRTD asked for and its root has a 32-byte SHA-256.
#include "fuzz.hpp"
#include "kettle/tdx/gcp_endorsement.hpp"

using namespace kettle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView file(data, size);
    tdx::LaunchEndorsement e;
    if (!fuzz::accepts([&] { e = tdx::parse_launch_endorsement(file); })) return 0;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const std::string_view golden(reinterpret_cast<const char*>(e.golden_bytes.data()), e.golden_bytes.size());
    KETTLE_FUZZ_CHECK(in.find(golden) != std::string_view::npos, "golden bytes not in the input");
    const tdx::GoldenMeasurement& g = e.golden;
    KETTLE_FUZZ_CHECK(g.uefi_digest.empty() || g.uefi_digest.size() == 48, hex(g.uefi_digest));
    for (const auto& m : g.tdx) KETTLE_FUZZ_CHECK(m.mrtd.size() == 48, hex(m.mrtd));
    const Bytes mrtd = g.tdx.empty() ? Bytes(48, 0) : g.tdx.front().mrtd;
    tdx::EndorsementCheck c;
    // 2026-10-01T16:54:33Z: inside the validity of Google's real signing certificate, so its seed verifies.
    if (!fuzz::accepts([&] { c = tdx::verify_launch_endorsement(file, {}, mrtd, 1790873673); })) return 0;
    KETTLE_FUZZ_CHECK(c.root_from_ca_bundle && c.root_sha256.size() == 32 && c.match.mrtd == mrtd, hex(c.root_sha256));
    fuzz::accepts([&] { tdx::check_root_pin(c.root_sha256, std::nullopt); });
    return 0;
}
