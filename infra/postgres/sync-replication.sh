#!/usr/bin/env bash
# Synchronous vs asynchronous replication of one shard (issue 14): PG_SYNC_REPLICATION.
#
#   bash sync-replication.sh --boot   (entrypoint.sh, as root, before postgres starts): from the environment
#   bash sync-replication.sh MODE     (docker exec into a running primary, as root): switch now, until restart
#
# MODE (PG_SYNC_REPLICATION, default off):
#   off           synchronous_standby_names = ''         a commit waits for the local WAL flush only (async)
#   remote_write  standby named, synchronous_commit = remote_write   ... and the standby's write (its OS cache)
#   on            standby named, synchronous_commit = on             ... and the standby's flush (its disk)
#   remote_apply  standby named, synchronous_commit = remote_apply   ... and the standby's replay (visible there)
# PG_SYNC_STANDBY_NAMES (default *): the standby a commit waits for, its application_name (the replica's
# slot name: entrypoint.sh gives its base backup's primary_conninfo application_name=<slot>).
#
# The settings live in $PGDATA/sdl-sync-replication.conf, included at the end of postgresql.conf (so
# they win over its lines; nothing here uses ALTER SYSTEM, whose postgresql.auto.conf would outlive a
# restart). Each boot rewrites the file from the environment, so a run-time switch lasts until the
# container restarts. A replica always writes `off`: pg_basebackup copies the primary's file, and a
# promoted replica that waited for a standby it does not have would stall every commit.
set -Eeuo pipefail

die() { printf 'sync-replication: %s\n' "$*" >&2; exit 1; }

export PGDATA=${PGDATA:-/var/lib/postgresql/data}
CONF_NAME=sdl-sync-replication.conf
INCLUDE_LINE="include_if_exists = '$CONF_NAME'"
SOCKET_DIR=/var/run/postgresql
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
export PATH="$PGBIN:$PATH"

as_postgres() {
  HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres \
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
}

# Writes the settings file for MODE (atomically) and makes sure postgresql.conf includes it.
write_conf() {
  local mode=$1 names=${PG_SYNC_STANDBY_NAMES:-*} commit
  case "$mode" in
    off) names="" commit=on ;;
    remote_write | on | remote_apply) commit=$mode ;;
    *) die "PG_SYNC_REPLICATION must be off, remote_write, on or remote_apply (got '$mode')" ;;
  esac
  [[ "$names" =~ ^[A-Za-z0-9_*,]*$ ]] || die "PG_SYNC_STANDBY_NAMES: letters, digits, _, * and commas, no spaces (got '$names')"
  [[ -f "$PGDATA/postgresql.conf" ]] || die "no $PGDATA/postgresql.conf"
  local tmp="$PGDATA/.$CONF_NAME.tmp"
  cat >"$tmp" <<CONF
# Written by infra/postgres/sync-replication.sh (PG_SYNC_REPLICATION=$mode); rewritten at every start.
synchronous_standby_names = '$names'
synchronous_commit = $commit
CONF
  chown postgres:postgres "$tmp"
  mv -f "$tmp" "$PGDATA/$CONF_NAME"
  if ! grep -qxF "$INCLUDE_LINE" "$PGDATA/postgresql.conf"; then
    printf '\n# synchronous replication (issue 14): infra/postgres/sync-replication.sh\n%s\n' "$INCLUDE_LINE" \
      >>"$PGDATA/postgresql.conf"
  fi
}

if [[ "${1:-}" == --boot ]]; then
  if [[ "${PG_ROLE:-primary}" == replica ]]; then
    write_conf off
  else
    write_conf "${PG_SYNC_REPLICATION:-off}"
  fi
  exit 0
fi

[[ $# -eq 1 ]] || die "usage: sync-replication.sh --boot | off|remote_write|on|remote_apply"
psql_local() { as_postgres psql -X -q -At -h "$SOCKET_DIR" -U postgres -d postgres "$@"; }
[[ "$(psql_local -c 'select pg_is_in_recovery()')" == f ]] || die "this server is a standby: switch its primary"
write_conf "$1"
psql_local -c 'select pg_reload_conf()' >/dev/null
# The reload is asynchronous: wait (bounded) until a new session sees the new values, then print them.
now() { psql_local -F ' ' -c "select quote_literal(current_setting('synchronous_standby_names')), current_setting('synchronous_commit')"; }
want="$(sed -n "s/^synchronous_standby_names = //p" "$PGDATA/$CONF_NAME") $(sed -n "s/^synchronous_commit = //p" "$PGDATA/$CONF_NAME")"
for _ in $(seq 1 50); do
  [[ "$(now)" == "$want" ]] && break
  sleep 0.1
done
read -r names commit <<<"$(now)"
[[ "$names $commit" == "$want" ]] || die "reloaded, but the server still shows synchronous_standby_names=$names synchronous_commit=$commit"
echo "synchronous_standby_names=$names synchronous_commit=$commit"
