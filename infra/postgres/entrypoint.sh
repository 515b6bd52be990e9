#!/usr/bin/env bash
# System Design Lab Postgres entrypoint: one primary or one streaming hot-standby replica.
# Works unchanged with the official postgres:15-bookworm image and with sdl/postgres:15.
# Compose mounts this directory read-only at /infra/postgres and sets
#   entrypoint: ["bash", "/infra/postgres/entrypoint.sh"]
# It runs as root, fixes ownership and then execs postgres (as user postgres, via setpriv, so postgres
# is PID 1 and receives docker's stop signal itself). Extra arguments are passed on to postgres,
# e.g. command: ["-c", "log_min_duration_statement=100"].
#
# Environment:
#   PG_ROLE                  primary | replica                      (default primary)
#   PG_PRIMARY_HOST          replica only: host of the primary
#   PG_PRIMARY_PORT          replica only: port of the primary      (default 5432)
#   PG_PRIMARY_WAIT_SECONDS  replica only: how long to wait for it  (default 60)
#   PG_REPLICATION_SLOT      replica only: physical slot name       (default: this hostname, sanitized)
#   POSTGRES_PASSWORD        password of the superuser postgres     (primary; required)
#   PG_APP_USER / PG_APP_PASSWORD / PG_APP_DB                       (default lab / lab / lab)
#   PG_REPLICATION_PASSWORD  password of role replicator            (default replicator)
#   PGDATA                   (default /var/lib/postgresql/data)
#   PG_SYNC_REPLICATION      off | remote_write | on | remote_apply (default off: asynchronous)
#   PG_SYNC_STANDBY_NAMES    the standby a synchronous commit waits for (default *); see sync-replication.sh
# Each password may come from a file instead (Compose or Kubernetes secrets, so that it is in no
# environment, image or `docker inspect`): POSTGRES_PASSWORD_FILE, PG_APP_PASSWORD_FILE,
# PG_REPLICATION_PASSWORD_FILE (one trailing newline dropped; setting both NAME and NAME_FILE is an error).
set -Eeuo pipefail

log() { printf '%s [sdl-entrypoint] %s\n' "$(date -u +'%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# NAME from the file NAME_FILE names, if set (read as root, before dropping to postgres).
from_file() {
  local name=$1 file_var="${1}_FILE"
  [[ -n "${!file_var:-}" ]] || return 0
  [[ -z "${!name:-}" ]] || die "set $name or $file_var, not both"
  [[ -r "${!file_var}" ]] || die "$file_var: cannot read ${!file_var}"
  printf -v "$name" '%s' "$(cat "${!file_var}")"
  unset "$file_var"
}
for secret in POSTGRES_PASSWORD PG_APP_PASSWORD PG_REPLICATION_PASSWORD; do from_file "$secret"; done

export PGDATA=${PGDATA:-/var/lib/postgresql/data}
PG_ROLE=${PG_ROLE:-primary}
PG_APP_USER=${PG_APP_USER:-lab}
PG_APP_PASSWORD=${PG_APP_PASSWORD:-lab}
PG_APP_DB=${PG_APP_DB:-lab}
PG_REPLICATION_PASSWORD=${PG_REPLICATION_PASSWORD:-replicator}
PG_PRIMARY_PORT=${PG_PRIMARY_PORT:-5432}
PG_PRIMARY_WAIT_SECONDS=${PG_PRIMARY_WAIT_SECONDS:-60}
SOCKET_DIR=/var/run/postgresql
READY_MARK="$PGDATA/.sdl-replica-basebackup-complete"

# Binaries: both images keep them in /usr/lib/postgresql/<major>/bin; take the newest one installed.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[[ -n "$PGBIN" && -x "$PGBIN/postgres" ]] || die "no PostgreSQL binaries under /usr/lib/postgresql/*/bin"
export PATH="$PGBIN:$PATH"

# The compose command may repeat the program name (the official image's CMD is "postgres").
[[ "${1:-}" == postgres ]] && shift

id postgres >/dev/null 2>&1 || die "user postgres does not exist in this image"
[[ $(id -u) -eq 0 ]] || die "must start as root (it fixes ownership and then drops to postgres)"

# Run a command as postgres without a forking wrapper (setpriv execs; util-linux, in both images).
as_postgres() {
  HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres \
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
}

# The roles' passwords follow the password files at every start, not only the first: a data directory
# kept across a container's re-creation (compose keeps its volume) may meet other files (rotated
# secrets, or another checkout's .lab/secrets over the same volumes), and clients would be locked out.
# PASSWORDS_MARK holds a digest of the passwords last given (sha256, never the passwords), so an
# unchanged start costs nothing.
PASSWORDS_MARK="$PGDATA/.sdl-role-passwords"
passwords_digest() {
  printf '%s\n' "${POSTGRES_PASSWORD:-}" "$PG_APP_USER" "$PG_APP_PASSWORD" "$PG_REPLICATION_PASSWORD" | sha256sum | cut -d' ' -f1
}
mark_passwords() {
  passwords_digest >"$PASSWORDS_MARK"
  chown postgres:postgres "$PASSWORDS_MARK"; chmod 0600 "$PASSWORDS_MARK"
}

data_is_empty() { [[ -z "$(ls -A "$PGDATA" 2>/dev/null | grep -v '^lost+found$' || true)" ]]; }
wipe_data() { find "$PGDATA" -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {} +; }

fix_ownership() {
  mkdir -p "$PGDATA" "$SOCKET_DIR"
  chown postgres:postgres "$SOCKET_DIR"; chmod 2775 "$SOCKET_DIR"
  # Only touch what is wrong: a large data directory stays untouched on restarts.
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres {} + 2>/dev/null || true
  chmod 0700 "$PGDATA"
}

# A temporary server on the unix socket only (no client can reach it over TCP): start | stop. The start
# may include crash recovery after a kill, hence its long wait.
socket_only_server() {
  if [[ $1 == start ]]; then
    as_postgres pg_ctl -D "$PGDATA" -w -t 600 -o "-c listen_addresses='' -c unix_socket_directories=$SOCKET_DIR" start >/dev/null
  else
    as_postgres pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
  fi
}

init_primary() {
  [[ -n "${POSTGRES_PASSWORD:-}" ]] || die "POSTGRES_PASSWORD must be set to initialise a primary"
  log "initialising a new primary in $PGDATA"
  local pwfile
  pwfile=$(mktemp /tmp/pgpw.XXXXXX)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"; chmod 0600 "$pwfile"
  as_postgres initdb -D "$PGDATA" --username=postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --data-checksums >/dev/null
  rm -f "$pwfile"

  cat >>"$PGDATA/postgresql.conf" <<'CONF'

# ---- System Design Lab (infra/postgres/entrypoint.sh) ----
listen_addresses = '*'
max_connections = 100
shared_buffers = 32MB
password_encryption = scram-sha-256
# replication (these settings are copied to every replica by pg_basebackup)
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 128MB
max_slot_wal_keep_size = 1GB
wal_log_hints = on
hot_standby = on
hot_standby_feedback = on
synchronous_commit = on
# logging
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = off
CONF

  cat >>"$PGDATA/pg_hba.conf" <<'HBA'

# ---- System Design Lab: password (scram) access from any address ----
host    replication     replicator      0.0.0.0/0       scram-sha-256
host    replication     replicator      ::/0            scram-sha-256
host    all             all             0.0.0.0/0       scram-sha-256
host    all             all             ::/0            scram-sha-256
HBA

  # Roles and database, on a temporary server that listens on the unix socket only.
  socket_only_server start
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -U postgres -d postgres \
    -v app_user="$PG_APP_USER" -v app_password="$PG_APP_PASSWORD" -v app_db="$PG_APP_DB" \
    -v replication_password="$PG_REPLICATION_PASSWORD" -f "$HERE/init-primary.sql"
  socket_only_server stop
  mark_passwords
  log "primary initialised: database $PG_APP_DB owned by $PG_APP_USER, replication role replicator"
}

# An existing primary whose password files changed since its roles were last given them: the roles
# get the files' passwords, on a temporary server that listens on the unix socket only (crash recovery
# after a kill happens there). A failure is logged and the primary starts anyway, with the old ones.
sync_primary_passwords() {
  [[ "$(cat "$PASSWORDS_MARK" 2>/dev/null || true)" != "$(passwords_digest)" ]] || return 0
  log "password files differ from the ones this data directory's roles were given: setting the roles' passwords"
  socket_only_server start
  # synchronous_commit local: a synchronous standby cannot reach this socket-only server.
  if {
    echo "SET synchronous_commit = local;"
    [[ -z "${POSTGRES_PASSWORD:-}" ]] || echo "ALTER ROLE postgres PASSWORD :'su_password';"
    echo "ALTER ROLE :\"app_user\" PASSWORD :'app_password';"
    echo "ALTER ROLE replicator PASSWORD :'replication_password';"
  } | as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -U postgres -d postgres \
    -v su_password="${POSTGRES_PASSWORD:-}" -v app_user="$PG_APP_USER" -v app_password="$PG_APP_PASSWORD" \
    -v replication_password="$PG_REPLICATION_PASSWORD" -f -; then
    mark_passwords
    log "roles postgres, $PG_APP_USER and replicator have the password files' passwords"
  else
    log "WARNING: could not set the roles' passwords; starting with the ones they had"
  fi
  socket_only_server stop
}

slot_name() {
  local s=${PG_REPLICATION_SLOT:-${HOSTNAME:-$(cat /proc/sys/kernel/hostname)}}
  s=$(printf '%s' "$s" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_' '_')
  printf '%s' "${s:0:63}"
}

init_replica() {
  [[ -n "${PG_PRIMARY_HOST:-}" ]] || die "PG_PRIMARY_HOST must be set for PG_ROLE=replica"
  export PGPASSWORD=$PG_REPLICATION_PASSWORD PGCONNECT_TIMEOUT=5
  local slot; slot=$(slot_name)
  local conn=(-h "$PG_PRIMARY_HOST" -p "$PG_PRIMARY_PORT" -U replicator)

  log "waiting up to ${PG_PRIMARY_WAIT_SECONDS}s for the primary $PG_PRIMARY_HOST:$PG_PRIMARY_PORT"
  local deadline=$((SECONDS + PG_PRIMARY_WAIT_SECONDS))
  until pg_isready -q "${conn[@]}" -d postgres; do
    ((SECONDS < deadline)) || die "primary $PG_PRIMARY_HOST:$PG_PRIMARY_PORT not ready after ${PG_PRIMARY_WAIT_SECONDS}s"
    sleep 1
  done
  # pg_isready only proves the postmaster accepts connections; wait until our role can log in too.
  until psql -X -q -At "${conn[@]}" -d postgres -c 'select 1' >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "cannot log in to $PG_PRIMARY_HOST as replicator (password? pg_hba?)"
    sleep 1
  done

  # A slot of that name may be left over from an earlier replica container (or a failed attempt):
  # drop it once no walsender uses it. A container being replaced (compose recreates it) may still
  # hold it for a few seconds while its walsender ends, so wait for that, within the same deadline;
  # still in use then: refuse (two replicas must not share a slot).
  local active
  while :; do
    active=$(psql -X -At "${conn[@]}" -d postgres -v slot="$slot" <<<"select active from pg_replication_slots where slot_name = :'slot';")
    [[ "$active" == t ]] || break
    ((SECONDS < deadline)) || die "replication slot $slot is in use by another standby; set PG_REPLICATION_SLOT or hostname"
    log "replication slot $slot still in use (an earlier standby ending?); waiting"
    sleep 1
  done
  if [[ "$active" == f ]]; then
    log "dropping stale replication slot $slot on the primary"
    psql -X -q -At "${conn[@]}" -d postgres -v slot="$slot" \
      <<<"select pg_drop_replication_slot(:'slot');" >/dev/null
  fi

  log "pg_basebackup from $PG_PRIMARY_HOST (slot $slot)"
  chown postgres:postgres "$PGDATA"
  # Services start without waiting for each other's health (docker-compose.yml): the primary may be
  # restarting under us (compose recreating both). A failed base backup is wiped and tried again
  # until the deadline.
  until as_postgres pg_basebackup \
      -d "host=$PG_PRIMARY_HOST port=$PG_PRIMARY_PORT user=replicator application_name=$slot" \
      -D "$PGDATA" -R -X stream -C -S "$slot" --checkpoint=fast; do
    wipe_data
    ((SECONDS < deadline)) || die "pg_basebackup failed"
    log "pg_basebackup failed; trying again"
    sleep 2
    psql -X -q -At "${conn[@]}" -d postgres -v slot="$slot" \
      <<<"select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = :'slot' and not active;" \
      >/dev/null 2>&1 || true
  done
  touch "$READY_MARK"; chown postgres:postgres "$READY_MARK"
  log "base backup complete; starting as a hot standby"
}

# A standby's connection to its primary, written again at every start (pg_basebackup -R wrote it once,
# with the replication password of that day): the password is the file's, as the primary's role's is.
# Quoted for libpq inside a postgresql.conf string (both escape \ and ').
standby_conninfo() {
  [[ -f "$PGDATA/standby.signal" ]] || return 0
  local conf="$PGDATA/postgresql.auto.conf" pw=${PG_REPLICATION_PASSWORD//\\/\\\\} conninfo
  pw=${pw//\'/\\\'}
  conninfo="user=replicator password='$pw' host=$PG_PRIMARY_HOST port=$PG_PRIMARY_PORT application_name=$(slot_name) connect_timeout=5"
  conninfo=${conninfo//\\/\\\\}
  conninfo=${conninfo//\'/\'\'}
  { grep -v '^primary_conninfo[[:space:]]*=' "$conf" || true; printf "primary_conninfo = '%s'\n" "$conninfo"; } >"$conf.new"
  chown postgres:postgres "$conf.new"; chmod 0600 "$conf.new"
  mv "$conf.new" "$conf"
}

fix_ownership
case "$PG_ROLE" in
  primary)
    # `./lab shard promote N` promoted this primary's replica and left this mark: started again as a
    # primary it would take writes the new primary never sees (split brain), so it does not start.
    [[ ! -f "$PGDATA/sdl-fenced" ]] || die "fenced: $(cat "$PGDATA/sdl-fenced"); ./lab down && ./lab up starts the shard over"
    if data_is_empty; then init_primary; else
      log "existing data directory, starting the primary"
      sync_primary_passwords
    fi
    ;;
  replica)
    if ! data_is_empty && [[ ! -f "$READY_MARK" ]]; then
      log "data directory holds an incomplete base backup (no $(basename "$READY_MARK")); discarding it"
      wipe_data
    fi
    if data_is_empty; then init_replica; else log "existing data directory, starting the replica"; fi
    [[ -z "${PG_PRIMARY_HOST:-}" ]] || standby_conninfo
    ;;
  *) die "PG_ROLE must be primary or replica (got '$PG_ROLE')" ;;
esac

# Synchronous or asynchronous replication, from PG_SYNC_REPLICATION (a replica always writes off).
bash "$HERE/sync-replication.sh" --boot

unset PGPASSWORD POSTGRES_PASSWORD PG_APP_PASSWORD PG_REPLICATION_PASSWORD
cd "$PGDATA"
exec env HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres \
  setpriv --reuid=postgres --regid=postgres --init-groups -- \
  "$PGBIN/postgres" -D "$PGDATA" "$@"
