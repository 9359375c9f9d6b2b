#!/usr/bin/env bash
# Run a command beside a throwaway PostgreSQL cluster:
#
#   .ci/postgres.sh COMMAND [ARGS...]
#
# Installs PostgreSQL from the Debian packages if no server binaries are found, creates a
# cluster as the `postgres` user in a temporary directory (initdb; trust authentication on
# 127.0.0.1 only; fsync off, since the data is thrown away), starts it on a free local port,
# runs COMMAND with CADENCE_TEST_POSTGRES_URL pointing at it, then stops and removes the
# cluster whatever happened. Exits with COMMAND's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: .ci/postgres.sh COMMAND [ARGS...]" >&2
  exit 2
fi

find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PG_BIN=${PG_BIN:-$(find_bin)}
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "== installing PostgreSQL (Debian package)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(find_bin)
fi

# initdb and the server refuse to run as root: run them as the `postgres` user then.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

CLUSTER=$(mktemp -d -t cadence-pg.XXXXXX)
[ "$(id -u)" -ne 0 ] || chown postgres: "$CLUSTER"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop_cluster() {
  as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER"
}
trap stop_cluster EXIT

as_postgres "$PG_BIN/initdb" -D "$CLUSTER/data" -U postgres --auth=trust --encoding=UTF8 \
  --locale=C >"$CLUSTER/initdb.log" 2>&1 || { cat "$CLUSTER/initdb.log" >&2; exit 1; }
as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/server.log" -w -t 60 start -o \
  "-p $PORT -k $CLUSTER -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
   -c full_page_writes=off -c max_connections=300" >/dev/null \
  || { cat "$CLUSTER/server.log" >&2; exit 1; }

export CADENCE_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $CADENCE_TEST_POSTGRES_URL" >&2
status=0
"$@" || status=$?
exit "$status"
