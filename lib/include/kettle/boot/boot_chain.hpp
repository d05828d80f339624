// Checking a measured-boot event log against the prediction of our disk image (kettle/boot/measured_boot.hpp):
// the records that extend the registers covering the image must be exactly the predicted events, in order;
// and a TPM log's replay must equal given PCR values. Generic over the register numbering (TPM PCR index, or
// a TDX RTMR number mapped from the CCEL's CC MR index by the caller, lib/tdx/boot_chain.cpp). Sources: TCG PC
// Client Platform Firmware Profile 1.05 §10 (event records, EV_NO_ACTION is never extended), docs/measurement.md
// ("Disk boot"), docs/verify.md ("Measured boot").
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kettle/boot/eventlog.hpp"
#include "kettle/boot/measured_boot.hpp"
#include "kettle/core/bytes.hpp"

namespace kettle::boot {

/// One register whose logged events must equal the prediction: its number (as `register_of` returns it), its
/// name for messages ("RTMR1", "PCR4") and the predicted events for it, in log order (may be empty: then the log
/// must extend nothing into it).
struct ExpectedRegister {
    std::uint32_t number = 0;
    std::string name;
    std::vector<const BootEvent*> events;
};

/// For every register in `expected`: the counted records of `log` (EV_NO_ACTION excluded) for which
/// `register_of(record.index)` is that register must be as many as the predicted events, and record i must have
/// predicted event i's event type and `alg` digest (event data is not compared: it holds load addresses).
/// `register_of` returns nullopt for a record index that names no register (the caller's replay rejects those).
/// Returns a one-line detail ("RTMR1 7 events, RTMR2 2 events as predicted"). Throws Error naming the register and
/// the first record that differs ("RTMR1 event 4 of 7: logged EV_EFI_BOOT_SERVICES_APPLICATION sha384 ab…, predicted
/// … (UKI Authenticode)"), is missing, or is extra.
std::string match_predicted_events(const EventLog& log, std::uint16_t alg,
                                   const std::function<std::optional<std::uint32_t>(std::uint32_t)>& register_of,
                                   const std::vector<ExpectedRegister>& expected);

/// Require the event data of every counted record whose digest the firmware computes over that data to hash to
/// the record's digests (each bank with a hash here: SHA-256, SHA-384, SHA-512; SHA-1 digests are not checked):
/// EV_S_CRTM_VERSION, EV_SEPARATOR, EV_EFI_ACTION, EV_EFI_GPT_EVENT, EV_EFI_VARIABLE_DRIVER_CONFIG and
/// EV_EFI_VARIABLE_AUTHORITY over the whole event data; EV_EFI_VARIABLE_BOOT over the VariableData of its
/// UEFI_VARIABLE_DATA (GUID, u64 UnicodeNameLength in CHAR16, u64 VariableDataLength, name, data; bounded by the
/// event data) (TCG PC Client PFP 1.05 §10.4.1, §10.4.4; edk2 Tcg2Dxe / TdTcg2Dxe MeasureVariable; each rule holds
/// for every such record of the public GCP CCEL and GCE vTPM logs in tests/data). Other types (boot applications,
/// firmware blobs, handoff tables, EV_IPL, EV_EVENT_TAG) carry data their digest does not cover: it is not checked,
/// and nothing here relies on it. Returns the number of records checked; throws Error naming the first record whose
/// data does not fit its digest.
std::size_t check_event_data(const EventLog& log);

/// The TPM bank a check uses: SHA-256 (0x000B) when the log lists it, else SHA-384, else SHA-512; Error when the
/// log lists none of them (a SHA-1-only log cannot be checked here).
std::uint16_t tpm_check_bank(const EventLog& log);

/// The PCRs that cover our image in a TPM log (kPredictedPcrs: 4, 5, 9, 11, 12, 13) with the predicted TPM events
/// of each (BootEvent::tpm), for match_predicted_events.
std::vector<ExpectedRegister> tpm_image_registers(const BootPrediction& p);

/// Replay bank `alg` of a TPM log (replay()) and compare it with `pcrs` (PCR index → value of that bank, e.g. as
/// read by the guest): every PCR 0..15 in `pcrs` except 10 (IMA, extended by the kernel, not logged by firmware)
/// must equal the replay (a PCR the log never extends: all zero), and each of `required` must be in `pcrs`.
/// Returns "N PCRs equal the replay"; throws Error naming the first PCR that differs or is missing, or a value
/// of the wrong size.
std::string check_tpm_replay(const EventLog& log, std::uint16_t alg, const std::map<std::uint32_t, Bytes>& pcrs,
                             const std::vector<std::uint32_t>& required);

}  // namespace kettle::boot
