#!/bin/sh
# Creates the cluster on the first start, then runs the server in the foreground (PID 1).
set -eu

: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user=${POSTGRES_USER:-callbot}
db=${POSTGRES_DB:-callbot}
listen=${POSTGRES_LISTEN:-127.0.0.1}
port=${POSTGRES_PORT:-5432}
case "$user$db" in *[!A-Za-z0-9_]*) echo "callbot-postgres: POSTGRES_USER and POSTGRES_DB take A-Z a-z 0-9 _ only" >&2; exit 2;; esac

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "callbot-postgres: creating the cluster in $PGDATA"
  initdb -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  # Single-user mode: nothing listens before the app's role has its password.
  quoted=$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")
  postgres --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE ROLE "$user" LOGIN PASSWORD '$quoted';
CREATE DATABASE "$db" OWNER "$user";
SQL
  echo "callbot-postgres: role $user and database $db created"
fi

exec postgres -D "$PGDATA" -c listen_addresses="$listen" -c port="$port" -c unix_socket_directories=/run/postgresql
