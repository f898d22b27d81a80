#!/usr/bin/env bash
# Runs a command as on a machine without Debian's mosquitto, chromium and python3-can: hides them
# in a private mount namespace (overlay whiteouts; the machine itself is untouched). Needs root.
# Example: scripts/fresh-machine.sh npx vitest run test/mqtt/mosquitto.test.ts
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exec unshare -m bash -c '
  set -e
  hide() { # hide <dir> <name>: <dir>/<name> vanishes inside this namespace
    local d=$1 n=$2 k; k=$(echo "$d" | tr / _)
    mkdir -p "'"$tmp"'/$k/u" "'"$tmp"'/$k/w"
    mknod "'"$tmp"'/$k/u/$n" c 0 0
    mount -t overlay overlay -o "lowerdir=$d,upperdir='"$tmp"'/$k/u,workdir='"$tmp"'/$k/w" "$d"
  }
  hide /usr/sbin mosquitto
  hide /usr/bin chromium
  hide /usr/lib/python3/dist-packages can
  exec "$@"' fresh "$@"
