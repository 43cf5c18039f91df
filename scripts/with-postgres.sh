#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster: a temporary directory, a loopback port,
# stopped and deleted on exit. TEST_DATABASE_URL tells the command where it is.
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
# Fails (never skips) when PostgreSQL's server binaries are missing or the cluster cannot start.
# `with-postgres.sh --check` only looks for the binaries (and a user to run them as): it exits 0, or
# 1 saying what is missing, starting nothing.
set -euo pipefail

if [ $# -eq 0 ]; then echo "usage: $0 <command> [args…] | --check" >&2; exit 64; fi

bindir=""
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bindir=$candidate; break; fi
done
if [ -z "$bindir" ] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
  bindir=$(dirname "$(command -v initdb)")
fi
if [ -z "$bindir" ]; then
  echo "with-postgres: PostgreSQL server binaries (initdb, pg_ctl) not found; install them with Debian's 'postgresql' package (apt-get install postgresql, as .ci/run does)" >&2
  exit 1
fi

as_db_user=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "with-postgres: running as root but there is no 'postgres' user to run the cluster as" >&2; exit 1
  fi
  as_db_user=(runuser -u postgres --)
fi
if [ "$1" = "--check" ]; then exit 0; fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/callbot-pg.XXXXXX")
chmod 755 "$workdir"
[ ${#as_db_user[@]} -gt 0 ] && chown postgres "$workdir"
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

stop_cluster() {
  "${as_db_user[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap stop_cluster EXIT

"${as_db_user[@]}" "$bindir/initdb" -D "$workdir/data" -U callbot --auth=trust --no-sync -E UTF8 >"$workdir/initdb.log" 2>&1 \
  || { cat "$workdir/initdb.log" >&2; echo "with-postgres: initdb failed" >&2; exit 1; }
"${as_db_user[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null \
  || { cat "$workdir/server.log" >&2; echo "with-postgres: the server did not start" >&2; exit 1; }
"${as_db_user[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U callbot callbot_test

version=$("${as_db_user[@]}" "$bindir/postgres" --version)
echo "with-postgres: $version running on 127.0.0.1:$port (temporary cluster in $workdir)"
export TEST_DATABASE_URL="postgres://callbot@127.0.0.1:$port/callbot_test"
set +e
"$@"
status=$?
set -e
echo "with-postgres: stopping the temporary cluster"
exit $status
