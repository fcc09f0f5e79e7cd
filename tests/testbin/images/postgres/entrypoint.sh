#!/bin/bash
# Initialise (once) and run PostgreSQL 15 as user postgres, honouring the official image's interface:
# env POSTGRES_PASSWORD (required), POSTGRES_USER (default postgres), POSTGRES_DB (optional), PGDATA;
# arguments `postgres -c …` (or just `-c …`) replace the defaults, as with the official image.
# Without arguments: listen on POSTGRES_LISTEN (default 127.0.0.1), port PGPORT (default 5432).
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
: "${PGPORT:=5432}"
: "${POSTGRES_LISTEN:=127.0.0.1}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "comind-postgres: POSTGRES_PASSWORD must be set" >&2; exit 2
fi
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 0700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  chown postgres "$pwfile"
  as_pg initdb -D "$PGDATA" -E UTF8 --locale=C.UTF-8 -U "$POSTGRES_USER" \
    --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    db="${POSTGRES_DB//\"/\"\"}"
    echo "CREATE DATABASE \"$db\";" | as_pg postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "comind-postgres: initialised $PGDATA" >&2
fi

first="${1:-}"
if [ "$first" = postgres ]; then shift; set -- -D "$PGDATA" -c unix_socket_directories=/run/postgresql "$@"
elif [ "${first:0:1}" = - ]; then set -- -D "$PGDATA" -c unix_socket_directories=/run/postgresql "$@"
else set -- -D "$PGDATA" -p "$PGPORT" -c listen_addresses="$POSTGRES_LISTEN" -c unix_socket_directories=/run/postgresql "$@"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres "$@"
