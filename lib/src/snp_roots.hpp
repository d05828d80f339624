// Built-in AMD certificate chains (PEM: ASK or ASVK, then ARK). Internal to snp_verify.cpp.
#pragma once

namespace kettle::snp::roots {
extern const char* const kMilanVcek;
extern const char* const kMilanVlek;
extern const char* const kGenoaVcek;
extern const char* const kGenoaVlek;
extern const char* const kTurinVcek;
extern const char* const kTurinVlek;
}  // namespace kettle::snp::roots
