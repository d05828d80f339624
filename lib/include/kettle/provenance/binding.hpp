// The Kettle binding rule, version 1 ("kettle-binding/v1"; docs/evidence.md).
//
//   REPORT_DATA[0:32]  = SHA-256(S)         S = the in-toto Statement bytes exactly as signed (JCS)
//   REPORT_DATA[32:64] = SHA-256(SPKI DER)  the DER SubjectPublicKeyInfo of the ephemeral DSSE key
//
// The same 64 bytes go to SNP REPORT_DATA (ATTESTATION_REPORT offset 0x50, AMD ABI 56860 Table 23) and to
// TDX REPORTDATA (TD report body offset 0x208). Verifiers compare both halves byte for byte.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"

namespace kettle {

/// Name of this REPORT_DATA layout, written to evidence.json as "report_data_layout".
inline constexpr const char* kBindingLayout = "kettle-binding/v1";

using ReportData = std::array<std::uint8_t, 64>;

/// REPORT_DATA (64 bytes) for statement bytes `statement` and SPKI DER `spki_der`.
inline ReportData binding_report_data(ByteView statement, ByteView spki_der) {
    ReportData rd{};
    Bytes a = sha256(statement);
    Bytes b = sha256(spki_der);
    std::memcpy(rd.data(), a.data(), 32);
    std::memcpy(rd.data() + 32, b.data(), 32);
    return rd;
}

/// True when `report_data` (must be exactly 64 bytes) equals the binding of `statement` and `spki_der`.
inline bool binding_matches(ByteView report_data, ByteView statement, ByteView spki_der) {
    if (report_data.size() != 64) return false;
    ReportData want = binding_report_data(statement, spki_der);
    return equal_ct(report_data, ByteView(want.data(), want.size()));
}

}  // namespace kettle
