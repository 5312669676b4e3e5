#!/usr/bin/env bash
# Installs what the tests need beyond Python: Debian's redis-server, chromium and npm.
# As root it installs them with apt-get; otherwise it says which packages to install.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)  # axe-core for the accessibility checks
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "The Redis and browser tests need: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
fi
