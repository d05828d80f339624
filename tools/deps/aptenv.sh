# Sourced by the dependency scripts: the project's own apt configuration.
# It never touches /etc/apt: sources, state and cache live under $KETTLE_CACHE/apt.
# Usage: . tools/deps/aptenv.sh; apt-get "${KETTLE_APT_OPTS[@]}" ...
: "${KETTLE_CACHE:=$HOME/.cache/kettle}"
KETTLE_APT_DIR="$KETTLE_CACHE/apt"
KETTLE_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$KETTLE_APT_DIR/state/lists/partial" "$KETTLE_APT_DIR/cache/archives/partial" \
         "$KETTLE_APT_DIR/etc/preferences.d" "$KETTLE_APT_DIR/etc/apt.conf.d" "$KETTLE_APT_DIR/etc/sources.list.d"
cat > "$KETTLE_APT_DIR/etc/sources.list.new" <<SRC
deb-src [signed-by=$KETTLE_KEYRING] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$KETTLE_KEYRING] http://deb.debian.org/debian-security bookworm-security main
deb-src [signed-by=$KETTLE_KEYRING] http://deb.debian.org/debian trixie main
deb [signed-by=$KETTLE_KEYRING arch=amd64] http://deb.debian.org/debian bookworm main
deb [signed-by=$KETTLE_KEYRING arch=amd64] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=$KETTLE_KEYRING arch=amd64] http://deb.debian.org/debian trixie main
SRC
mv -f "$KETTLE_APT_DIR/etc/sources.list.new" "$KETTLE_APT_DIR/etc/sources.list"
KETTLE_APT_OPTS=(
  -o "Dir::Etc::SourceList=$KETTLE_APT_DIR/etc/sources.list"
  -o "Dir::Etc::SourceParts=$KETTLE_APT_DIR/etc/sources.list.d"
  -o "Dir::Etc::Preferences=$KETTLE_APT_DIR/etc/preferences"
  -o "Dir::Etc::PreferencesParts=$KETTLE_APT_DIR/etc/preferences.d"
  -o "Dir::Etc::Parts=$KETTLE_APT_DIR/etc/apt.conf.d"
  -o "Dir::State=$KETTLE_APT_DIR/state"
  -o "Dir::State::status=/var/lib/dpkg/status"
  -o "Dir::Cache=$KETTLE_APT_DIR/cache"
  -o "APT::Get::List-Cleanup=0"
  -o "Debug::NoLocking=1"
  -o "Acquire::Retries=3"
  -o "APT::Sandbox::User=root"
)
