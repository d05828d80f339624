// The TDX measured boot of a disk-booted TD (GCP C3 first): the CCEL event log replayed into RTMR0..3 and held to
// the quote, and the RTMR1/RTMR2 events held to the prediction of our disk image. Sources: UEFI 2.10 §38.4.1
// (EFI_CC_MEASUREMENT_PROTOCOL: CC MR index 0 = MRTD, 1..4 = RTMR0..3), ACPI 6.5 §5.2.34 (CCEL), Intel TDX module
// ABI (TDG.MR.RTMR.EXTEND: RTMR = SHA-384(RTMR ‖ 48-byte digest), from zero), docs/measurement.md ("Disk boot").
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/core/bytes.hpp"

namespace kettle::tdx {

/// The RTMR (0..3) a CCEL record with CC MR index `index` extends: 1..4 → RTMR0..3. Index 0 names MRTD, which
/// nothing extends at run time; Google's firmware logs some records with index 0 (the "0-based IMR indices" that
/// Dstack-TEE/dstack's GCP support fixed), so a counted record with index 0 is taken as RTMR0, as dstack does —
/// safe because RTMR0 is held to the quote and an allow-list, and RTMR1/RTMR2 do not depend on it. nullopt for
/// index ≥ 5.
std::optional<std::uint32_t> rtmr_of_cc_index(std::uint32_t index);

/// RTMR0..3 replayed from a CCEL log (SHA-384 bank), and what the replay counted.
struct CcelReplay {
    std::array<Bytes, 4> rtmr;     ///< 48 bytes each, from zero
    std::size_t counted = 0;       ///< records extended (EV_NO_ACTION excluded)
    std::size_t index0 = 0;        ///< of them, records with CC MR index 0 taken as RTMR0
};

/// Replay a parsed CCEL log. Throws Error when the log has no SHA-384 bank, a counted record has no SHA-384
/// digest, or a counted record's CC MR index is ≥ 5.
CcelReplay replay_ccel(const boot::EventLog& log);

/// Require the replay of `log` to equal the quote's RTMR0..3 (`quote_rtmr`, TD report body 0x148.., 48 bytes each).
/// Returns the detail ("43 events replay to RTMR0..3 of the quote (2 with CC MR index 0 counted as RTMR0)");
/// throws Error naming each RTMR that differs, with both values.
std::string check_ccel_replay(const boot::EventLog& log, const std::array<std::array<std::uint8_t, 48>, 4>& quote_rtmr);

/// Require the log's RTMR1 and RTMR2 records to be exactly the prediction's CC events (BootEvent::cc,
/// cc_mr_index 2 and 3), in order, nothing else (boot::match_predicted_events with SHA-384). Returns its detail.
std::string check_ccel_image_events(const boot::EventLog& log, const boot::BootPrediction& p);

}  // namespace kettle::tdx
