#!/usr/bin/env bash
# Installs the Debian packages recur's build, tests, benchmarks and examples need, if missing.
# Usage: scripts/deps.sh [extra packages...]
set -euo pipefail
packages=(cmake g++ make ccache libeigen3-dev nlohmann-json3-dev catch2 libbenchmark-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "recur: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
