#!/bin/sh
# Switches a running Redis to another persistence mode of persistence.sh, now and across restarts:
#   sh set-persistence.sh MODE     (docker exec, as root): none | rdb | aof-everysec | aof-always
#   sh set-persistence.sh --reset  back to the container's REDIS_PERSISTENCE
# CONFIG SET alone would not outlive a restart: persistence.sh starts from REDIS_PERSISTENCE and, for
# none, deletes the append-only files. So MODE is also left in /data/persistence-mode (the volume),
# which persistence.sh honours at the next start; --reset removes it. Used by the game days'
# lockRedis.persistence knob (gameday/src/faults/lab-executor.ts) on redis-lock-1..3.
set -eu
die() { echo "set-persistence: $*" >&2; exit 1; }
cd /data
if [ "${1:-}" = --reset ]; then
  mode="${REDIS_PERSISTENCE:-none}"
  rm -f persistence-mode
else
  mode="${1:-}"
fi
# One CONFIG SET; an error reply (printed, exit status 0 in redis-cli) fails the switch.
config_set() {
  reply="$(redis-cli CONFIG SET "$1" "$2")"
  [ "$reply" = OK ] || die "CONFIG SET $1 '$2': $reply"
}
case "$mode" in
  none) config_set save '' && config_set appendonly no ;;
  rdb) config_set save "${REDIS_RDB_SAVE:-5 1}" && config_set appendonly no ;;
  aof-everysec | aof-always)
    config_set save '' && config_set appendfsync "${mode#aof-}" && config_set appendonly yes ;;
  *) die "expected none, rdb, aof-everysec, aof-always or --reset, got '$mode'" ;;
esac
[ "${1:-}" = --reset ] || echo "$mode" >persistence-mode
# Turning the log on starts a rewrite of the whole data set into it: the keys held now are on disk
# once it is done (about a millisecond for the lab's few keys; 10 s at most).
tries=0
while redis-cli INFO persistence | grep -Eq '^aof_rewrite_(in_progress|scheduled):1'; do
  tries=$((tries + 1))
  [ "$tries" -le 100 ] || die "the append-only rewrite did not finish within 10 s"
  sleep 0.1
done
echo "persistence $mode"
