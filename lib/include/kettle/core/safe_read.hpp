// Reading files from directories that someone else filled (a bundle, a collateral directory).
#pragma once
#include <cstddef>
#include <string>

#include "kettle/core/bytes.hpp"

namespace kettle {

/// Like read_file (which opens non-blocking, so a FIFO is refused as "not a regular file" instead of waiting for a
/// writer), but the last path component must not be a symbolic link (O_NOFOLLOW): a file of a hostile directory
/// must not lead the reader to a file elsewhere. Throws Error naming the path.
Bytes read_file_nofollow(const std::string& path, std::size_t max_bytes = std::size_t{1} << 30);

}  // namespace kettle
