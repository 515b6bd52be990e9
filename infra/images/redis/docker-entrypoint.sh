#!/bin/sh
# Mirrors the official redis image's entrypoint: `redis-server` runs with protected mode off (the
# official image patches that default; Debian's binary keeps it on, which refuses every non-loopback
# client when no password is set) and as user redis.
set -e
case "$1" in
  -*|*.conf) set -- redis-server "$@" ;;
esac
if [ "$1" = redis-server ]; then
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
