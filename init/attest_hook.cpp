// Default attestation hook: writes nothing. The attestation work replaces this file (see attest_hook.hpp).
#include "attest_hook.hpp"

namespace kettle::init {

void attest_and_write(const BuildRecord&, OutputWriter&, Json& status) { status["attestation"] = "none"; }

}  // namespace kettle::init
