#!/usr/bin/env bash
# Runs a command on a given major version of Node.js, e.g. `scripts/with-node.sh 24 npm test`.
# The machine's node when it is that version; otherwise that version from the npm registry, which
# ships Node itself (node-linux-<arch>: the binary and its headers), into a temporary directory
# deleted at exit. The checkout's node_modules serves every version: sqlite3, the one native
# module, is a Node-API addon, whose binary loads on any Node that has its Node-API version.
#
# --build-sqlite3 first: the command runs in a temporary copy of the checkout whose sqlite3 is
# built from source against that Node's headers, as `npm ci` on that Node builds it where no
# prebuilt binary can be downloaded (a couple of minutes); the checkout itself stays as it is.
set -euo pipefail

build_sqlite3=false
if [ "${1:-}" = "--build-sqlite3" ]; then build_sqlite3=true; shift; fi
if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [--build-sqlite3] <node major version> <command> [args…]   e.g. $0 24 npm test" >&2
  exit 64
fi
major=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
started=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/callbot-node$major.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Other users may run this node: a spec runs a check as the unprivileged user nobody.
chmod 755 "$work"

if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)" = "$major" ]; then
  nodedir=$(dirname "$(dirname "$(command -v node)")")
else
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) echo "with-node: the npm registry has no Node.js package for this machine ($(uname -m))" >&2; exit 1 ;;
  esac
  echo "with-node: fetching Node.js $major from the npm registry (node-linux-$arch@$major)"
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$work/node" "node-linux-$arch@$major" >/dev/null
  nodedir=$work/node/node_modules/node-linux-$arch
  export PATH="$nodedir/bin:$PATH"
  if [ "$(node -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
    echo "with-node: node-linux-$arch@$major gave Node $(node --version)" >&2
    exit 1
  fi
fi

cd "$root"
if $build_sqlite3; then
  mkdir "$work/checkout"
  tar -C "$root" --exclude=./.git --exclude=./.build-lock -cf - . | tar -C "$work/checkout" -xf -
  cd "$work/checkout"
  echo "with-node: building sqlite3 from source for Node $(node --version)"
  # The environment's nodedir outranks one in a user's .npmrc; from source, as no prebuilt binary can be downloaded here.
  if ! npm_config_nodedir="$nodedir" npm_config_build_from_source=true npm rebuild sqlite3 --foreground-scripts >"$work/sqlite3-build.log" 2>&1; then
    cat "$work/sqlite3-build.log" >&2
    echo "with-node: sqlite3 did not build for Node $major; its log is above" >&2
    exit 1
  fi
fi
if ! node -e "require('sqlite3')" 2>"$work/load.log"; then
  cat "$work/load.log" >&2
  echo "with-node: sqlite3 does not load on Node $(node --version); try $0 --build-sqlite3 $major …" >&2
  exit 1
fi
echo "with-node: Node $(node --version) ready in $((SECONDS - started)) s; running: $*"

set +e
"$@"
status=$?
set -e
exit $status
