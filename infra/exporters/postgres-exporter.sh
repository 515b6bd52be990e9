#!/bin/sh
# One postgres_exporter per Postgres server, all in ONE container (compose's postgres-exporter).
#
#   sh postgres-exporter.sh HOST:PORT...     exporter i (from 0) listens on 9187+i for the i-th server
#
# Why not one process for all: Debian 12's postgres_exporter is 0.11.1, which has no multi-target
# /probe endpoint (0.12 added it), and its other multi-server mode (a comma-separated DATA_SOURCE_NAME)
# keeps a single pg_up for all servers (1 unless every one is down). One process per server gives
# Prometheus a pg_up per server, at the cost of a few idle Go processes in one container.
#
# Credentials never in the environment: PG_EXPORTER_PASSWORD_FILE (a Compose secret) is copied into a
# pgpass file that only this user reads (lib/pq, the exporter's driver, reads PGPASSFILE), and the
# data source names carry the user only. PG_EXPORTER_USER and PG_EXPORTER_DB name the role and database.
# POSIX sh: the official image is busybox, the offline one Debian's dash.
set -eu

: "${PG_EXPORTER_USER:?}" "${PG_EXPORTER_DB:?}" "${PG_EXPORTER_PASSWORD_FILE:?}"
[ $# -gt 0 ] || { echo "usage: postgres-exporter.sh HOST:PORT..." >&2; exit 2; }

umask 077
PGPASSFILE=$(mktemp)
export PGPASSFILE
# pgpass escapes ':' and '\' in a field with a backslash.
password=$(sed -e 's/[\\:]/\\&/g' "$PG_EXPORTER_PASSWORD_FILE")
printf '*:*:*:%s:%s\n' "$PG_EXPORTER_USER" "$password" >"$PGPASSFILE"
unset password

# Stopped (0) or one exporter ended (1): stop them all (one process group: no job control in a script).
stop() {
  trap '' TERM INT USR1
  kill -TERM 0 2>/dev/null
  wait
  exit "$1"
}
trap 'stop 0' TERM INT
trap 'stop 1' USR1

port=9187
for server in "$@"; do
  # If one exporter ends, so does the container (its restart shows; the others would hide it).
  (
    DATA_SOURCE_NAME="postgresql://$PG_EXPORTER_USER@$server/$PG_EXPORTER_DB?sslmode=disable&connect_timeout=3" \
      postgres_exporter --web.listen-address=":$port" --log.level=warn || true
    kill -USR1 $$ 2>/dev/null
  ) &
  port=$((port + 1))
done

wait
