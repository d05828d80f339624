// The guest's own measured-boot evidence (docs/evidence.md "Boot evidence"): bounded copies of the event logs
// the firmware left (the ACPI CCEL log on TDX, the TPM's log where a TPM is present) and the register values
// the guest can read (TPM PCRs from sysfs, TDX RTMRs from a TDREPORT). PID 1 copies bytes; it parses none.
#pragma once
#include <string>

#include "kettle/attest/attest.hpp"
#include "kettle/core/json.hpp"
#include "kettle/provenance/evidence.hpp"

namespace kettle::init {

/// Where the kernel exposes them (overridable for tests on fake trees).
struct BootLogPaths {
    std::string ccel_table = "/sys/firmware/acpi/tables/CCEL";
    std::string ccel_data = "/sys/firmware/acpi/tables/data/CCEL";
    std::string tpm_log = "/sys/kernel/security/tpm0/binary_bios_measurements";
    std::string tpm_class = "/sys/class/tpm/tpm0";  ///< pcr-<bank>/<index> files, one hex line each
    std::string tdx_guest = "/dev/tdx_guest";       ///< TDX_CMD_GET_REPORT0 for the RTMRs
};

/// Capture what exists; never throws. A log larger than kMaxBootEventLog keeps its first bytes and is marked
/// truncated; a PCR file that is not one line of hex of the bank's size is left out; the RTMRs are read from
/// a TDREPORT requested with zero REPORTDATA (offset 0x2D0 of the 1024-byte report: TDINFO at 0x200,
/// RTMR0..3 after ATTRIBUTES, XFAM, MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG; Intel TDX module ABI, TDREPORT_STRUCT).
/// `notes` receives one line per source that was present but unreadable.
BootEvidence capture_boot_evidence(const BootLogPaths& paths, IoctlFn ioctl_fn, std::string& notes);

/// For status.json: {"logs":[{"source","bytes","truncated"}],"tpm_pcr_banks":[...],"rtmrs":bool,"notes":text}.
Json boot_evidence_summary(const BootEvidence& ev, const std::string& notes);

}  // namespace kettle::init
