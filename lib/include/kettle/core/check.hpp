// One named verification step and its outcome: the row type of every verifier (SNP report, TDX quote,
// bundle) and of the JSON summaries; and the table runner all of them share.
#pragma once
#include <exception>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "kettle/core/error.hpp"

namespace kettle {

/// A check's name (stable, used in --json and in "FAILED at check '<name>'"), whether it passed, and a
/// one-line detail (what was checked, or what failed).
struct Check {
    std::string name;
    bool ok = false;
    std::string detail;
};

/// One row of a verifier's table of checks: the check's stable name and the function that runs it over the
/// verifier's context `Ctx` (the inputs, and what earlier rows established). The function returns the detail of
/// a passing check, or throws Error whose message is the FAIL detail. Adding a check is one row and one function.
template <class Ctx>
struct CheckRow {
    const char* name;
    std::string (*run)(Ctx&);
};

/// Run `rows` in order over `ctx`, appending one Check per row that ran to `out`. The first FAIL stops: later
/// rows do not run. An exception other than Error (a library's own, e.g. a JSON value of the wrong type in a
/// collateral file) is that row's FAIL with the detail "<name>: malformed input (<what>)". Returns true when every
/// row passed.
template <class Ctx>
bool run_checks(std::span<const CheckRow<std::type_identity_t<Ctx>>> rows, Ctx& ctx, std::vector<Check>& out) {
    for (const CheckRow<Ctx>& row : rows) {
        try {
            out.push_back({row.name, true, row.run(ctx)});
        } catch (const Error& e) {
            out.push_back({row.name, false, e.what()});
            return false;
        } catch (const std::exception& e) {
            out.push_back({row.name, false, std::string(row.name) + ": malformed input (" + e.what() + ")"});
            return false;
        }
    }
    return true;
}

}  // namespace kettle
