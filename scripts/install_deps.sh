#!/usr/bin/env bash
# Installs the Debian packages the build, the local stack and the tests need.
# Quiet and quick when everything is there already.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-14 libclang-rt-14-dev
  nginx nginx-dev libpcre2-dev zlib1g-dev libssl-dev
  libhiredis-dev libjansson-dev libpq-dev libmicrohttpd-dev libsystemd-dev libcmocka-dev libfmt-dev liburiparser-dev
  redis-server postgresql-15 postgresql-client-15
  wrk curl perl jq procps strace python3 bc chromium
  debhelper dpkg-dev fakeroot lintian
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install_deps: missing packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi

echo "install_deps: installing ${missing[*]}"
# the packages' own services must not start: the stack runs its own on free ports
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  made_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ "$made_policy" -eq 1 ] && rm -f "$policy"
exit 0
