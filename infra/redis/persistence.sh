#!/bin/sh
# Starts redis-server in the persistence mode REDIS_PERSISTENCE names, with the data directory
# /data (a volume in compose), then any further redis-server flags given as arguments:
#   none          no snapshot, no log: a restart starts empty (files left by another mode are removed)
#   rdb           a snapshot (BGSAVE) every REDIS_RDB_SAVE="SECONDS CHANGES" (default "5 1"): a crash
#                 loses what was written since the last snapshot
#   aof-everysec  append-only file, fsync once a second: a crash loses about the last second
#   aof-always    append-only file, fsync before each reply: a crash loses no acknowledged write
# Used by compose (docker-compose.yml), by @sdl/testing's startRedis and by bench/redis; runs in the
# official redis image and in sdl/redis:7 (both have docker-entrypoint.sh, which drops to user redis).
set -eu
mode="${REDIS_PERSISTENCE:-none}"
cd /data
# A mode switched at run time outlives a restart only through the volume: the game days'
# lockRedis.persistence knob (gameday/src/faults/lab-executor.ts) leaves it in this file, and
# removes the file to go back to REDIS_PERSISTENCE.
if [ -f persistence-mode ]; then mode="$(cat persistence-mode)"; fi
case "$mode" in
  none)
    rm -rf dump.rdb appendonlydir
    set -- --save '' --appendonly no "$@" ;;
  rdb)
    # Word splitting is wanted: "5 1" is two arguments of --save.
    # shellcheck disable=SC2086
    set -- --save ${REDIS_RDB_SAVE:-5 1} --appendonly no "$@" ;;
  aof-everysec | aof-always)
    set -- --save '' --appendonly yes --appendfsync "${mode#aof-}" "$@" ;;
  *)
    echo "REDIS_PERSISTENCE=$mode: expected none, rdb, aof-everysec or aof-always" >&2
    exit 64 ;;
esac
exec docker-entrypoint.sh redis-server --dir /data "$@"
