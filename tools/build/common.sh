# Sourced by the build recipes. Content-addressed cache helpers.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${KETTLE_CACHE:=$HOME/.cache/kettle}"
export KETTLE_CACHE LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=1735689600
# lock_rows PKG...: the lock lines of these packages (part of a cache key).
lock_rows() { for p in "$@"; do awk -F'\t' -v p="$p" '$2==p' "$top/deps/kettle.lock"; done; }
# host_versions PKG...: installed Debian versions of host tools (part of a cache key).
host_versions() { dpkg-query -W -f='${Package} ${Version}\n' "$@" 2>/dev/null; }
# key_of TEXT: short content hash used as a cache directory suffix.
key_of() { sha256sum | cut -c1-16; }
# publish TMPDIR FINAL: atomically move a finished build into the cache.
publish() { rm -rf "$2"; mv "$1" "$2"; }
