// Measured-boot event logs: the ACPI CCEL table (ACPI 6.5 §5.2.34) and the TCG2 crypto-agile event log
// (TCG PC Client Platform Firmware Profile 1.05, §10.2: TCG_PCR_EVENT, TCG_EfiSpecIDEvent, TCG_PCR_EVENT2),
// as written by TPM firmware (Linux: /sys/kernel/security/tpm0/binary_bios_measurements) and by TDX firmware
// (the CCEL log area). All integers little-endian; every length is bounded by the buffer.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kettle/core/bytes.hpp"
#include "kettle/core/hash.hpp"

namespace kettle::boot {

/// The 56-byte ACPI "CCEL" table: 36-byte header, u8 cc_type (2 = TDX), u8 cc_subtype, u16 reserved,
/// u64 LAML (log area minimum length), u64 LASA (log area start address).
struct CcelTable {
    std::uint8_t cc_type = 0;
    std::uint8_t cc_subtype = 0;
    std::uint64_t laml = 0;
    std::uint64_t lasa = 0;
};
/// Throws Error when the signature is not "CCEL", the length field is not ≥ 56 and ≤ the buffer, or the
/// checksum (bytes summing to 0 mod 256) fails.
CcelTable parse_ccel_table(ByteView table);

/// TCG algorithm identifiers (TCG Algorithm Registry, TPM_ALG_ID) used in event logs.
inline constexpr std::uint16_t kTpmAlgSha1 = 0x0004;
inline constexpr std::uint16_t kTpmAlgSha256 = 0x000B;
inline constexpr std::uint16_t kTpmAlgSha384 = 0x000C;
inline constexpr std::uint16_t kTpmAlgSha512 = 0x000D;
inline constexpr std::uint16_t kTpmAlgSm3 = 0x0012;
/// "sha1", "sha256", "sha384", "sha512", "sm3_256" or "0x…".
std::string tpm_alg_name(std::uint16_t alg);
/// The HashAlg for a TPM_ALG_ID (sha256, sha384, sha512); Error for any other (no implementation here).
HashAlg hash_alg_of(std::uint16_t alg);
/// The TPM_ALG_ID of a HashAlg.
std::uint16_t tpm_alg_of(HashAlg alg);

/// One bank the log lists in its Spec ID event: algorithm id and digest size in bytes (1..64).
struct LogAlgorithm {
    std::uint16_t id = 0;
    std::uint16_t digest_size = 0;
};

/// One TCG_PCR_EVENT2 record. `index` is the PCR index (TPM logs) or the CC MR index (CCEL: 0 MRTD,
/// 1..4 = RTMR0..3); `digests` holds every digest of the record, in log order, keyed by TPM_ALG_ID.
struct TcgEvent {
    std::uint32_t index = 0;
    std::uint32_t event_type = 0;
    std::vector<std::pair<std::uint16_t, Bytes>> digests;
    Bytes data;
    /// The digest for `alg`, or nullptr when the record has none.
    const Bytes* digest(std::uint16_t alg) const;
};

/// A parsed crypto-agile log: the banks of its Spec ID event and the records after it. `used` is the
/// number of bytes the records occupy (the rest of the buffer is padding, e.g. 0xFF in a CCEL log area).
struct EventLog {
    std::vector<LogAlgorithm> algorithms;
    std::vector<TcgEvent> events;
    std::size_t used = 0;
};

/// Parse a TCG2 crypto-agile event log: the first record is the SHA-1-format TCG_PCClientPCREvent carrying
/// "Spec ID Event03" (index 0 or 1, EV_NO_ACTION, zero digest; version 2.0, uintnSize 1 or 2; 1..32 banks, each
/// digest 1..64 bytes; a known algorithm must have its standard size; nothing after vendorInfo);
/// then TCG_PCR_EVENT2 records until the end of `log` or a record that starts with 0xFFFFFFFF or has zero
/// digests. A record must carry only listed algorithms, each at most once, and at most as many digests as
/// banks. Bounds: at most 65536 records, 16 MiB of data per record. Throws Error naming the byte offset on
/// truncation or any violation.
EventLog parse_tcg2_log(ByteView log);

/// Replay: every register that the log extends, from its initial value (all zero, except PCR 0 of a TPM log
/// whose EV_NO_ACTION "StartupLocality" event names locality 3 or 4: then the last byte is that locality),
/// extended as H(register ‖ digest) with bank `alg`, skipping EV_NO_ACTION records. `index` as in TcgEvent.
/// Throws Error when a counted record has no digest for `alg` or `alg` has no implementation.
std::map<std::uint32_t, Bytes> replay(const EventLog& log, std::uint16_t alg);

/// The CCEL form kept for TDX callers: the SHA-384 digest of a record (alg 0x000C).
struct CcelEvent {
    std::uint32_t mr_index = 0;  ///< CC MR index: 0 MRTD, 1..4 = RTMR0..3
    std::uint32_t event_type = 0;
    Bytes digest;
    Bytes data;
};

/// parse_tcg2_log, then require SHA-384 (0x000C, 48 bytes) among the banks and in every record.
std::vector<CcelEvent> parse_ccel_log(ByteView log);

/// Event type name ("EV_SEPARATOR", "EV_EFI_BOOT_SERVICES_APPLICATION", …) or "0x…".
std::string event_type_name(std::uint32_t type);

/// Event types used by the measured-boot predictor (TCG PC Client PFP §10.4.1).
inline constexpr std::uint32_t kEvNoAction = 0x3;
inline constexpr std::uint32_t kEvSeparator = 0x4;
inline constexpr std::uint32_t kEvEventTag = 0x6;
inline constexpr std::uint32_t kEvIpl = 0xD;
inline constexpr std::uint32_t kEvEfiBootServicesApplication = 0x80000003;
inline constexpr std::uint32_t kEvEfiGptEvent = 0x80000006;
inline constexpr std::uint32_t kEvEfiAction = 0x80000007;

}  // namespace kettle::boot
