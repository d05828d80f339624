// Kettle core library: the one exception type.
#pragma once
#include <stdexcept>
#include <string>

namespace kettle {

/// Every failure the core library reports. `what()` is a complete sentence fragment for the user,
/// naming the input that was wrong (for example "report: version 4 is not supported").
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace kettle
