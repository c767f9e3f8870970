#!/usr/bin/env bash
# make deb: the two Debian packages (libnginx-mod-http-analytics and
# analytics-aggregator) built by dpkg-buildpackage from the checkout's
# tracked files, then checked by lintian.
#
#   build_debs.sh [OUT]   the .deb, .changes and .buildinfo files land in OUT
#                         (default build-deb/); OUT/src is the build's copy
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# a copy of what git tracks (and what is new and not ignored): the build
# never sees build/, .run/ or an earlier package's files
rm -rf "$out/src" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mkdir -p "$out/src"
cd "$root"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done \
  | tar -c --null -T - | tar -x -C "$out/src"

(cd "$out/src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
  dpkg-buildpackage --build=binary --no-sign > "$out/build.log" 2>&1) \
  || { tail -n 40 "$out/build.log"; echo "build_debs: dpkg-buildpackage failed; see $out/build.log" >&2; exit 1; }

lintian --fail-on error "$out"/*.changes || { echo "build_debs: lintian found errors" >&2; exit 1; }
ls "$out"/*.deb
