// Built-in AMD certificates, one PEM per constant (ARK, ASK, ASVK per product). Internal to lib/snp/verify.cpp.
#pragma once

namespace kettle::snp::roots {
extern const char* const kMilanArk;
extern const char* const kMilanAsk;
extern const char* const kMilanAsvk;
extern const char* const kGenoaArk;
extern const char* const kGenoaAsk;
extern const char* const kGenoaAsvk;
extern const char* const kTurinArk;
extern const char* const kTurinAsk;
extern const char* const kTurinAsvk;
}  // namespace kettle::snp::roots
