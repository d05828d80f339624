// One named verification step and its outcome: the row type of every verifier (SNP report, TDX quote,
// bundle) and of the JSON summaries.
#pragma once
#include <string>

namespace kettle {

/// A check's name (stable, used in --json and in "FAILED at check '<name>'"), whether it passed, and a
/// one-line detail (what was checked, or what failed).
struct Check {
    std::string name;
    bool ok = false;
    std::string detail;
};

}  // namespace kettle
