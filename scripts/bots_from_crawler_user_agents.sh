#!/usr/bin/env bash
# A list for `analytics_bots FILE` from the community's crawler-user-agents
# (https://github.com/monperrus/crawler-user-agents, MIT licence): every
# entry's "pattern", one a line, with the source and date on top. It is far
# longer than the module's built-in list and also names HTTP libraries
# (curl, python-requests, ...): use it on the browsers' beacons only.
#
#   bots_from_crawler_user_agents.sh OUT [URL]
#
# Needs the network, curl and jq. Then: nginx -t && nginx -s reload.
set -euo pipefail

out=${1:?usage: bots_from_crawler_user_agents.sh OUT [URL]}
url=${2:-https://raw.githubusercontent.com/monperrus/crawler-user-agents/master/crawler-user-agents.json}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

curl -fsSL "$url" -o "$tmp"
{
  echo "# from $url"
  echo "# fetched $(date -u +%Y-%m-%dT%H:%M:%SZ); one PCRE a line, matched without case"
  jq -r '.[].pattern' "$tmp"
} > "$out.new"
[ "$(grep -cv '^#' "$out.new")" -gt 100 ] || { echo "bots_from_crawler_user_agents: too few patterns in $url" >&2; exit 1; }
mv "$out.new" "$out"
echo "$(grep -cv '^#' "$out") patterns in $out"
