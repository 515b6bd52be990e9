#!/usr/bin/env bash
# Health probe at the path of the official apache/kafka image's tool
# (/opt/kafka/bin/kafka-broker-api-versions.sh), so one compose healthcheck works with both images:
#   /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092
# Here it only checks that a TCP connection to host:port succeeds (exit 0) or not (exit 1).
set -u
server=""
while (($#)); do
  case "$1" in
    --bootstrap-server) server=${2:-}; shift ;;
    --bootstrap-server=*) server=${1#*=} ;;
  esac
  shift
done
[[ -n "$server" ]] || { echo "usage: $0 --bootstrap-server host:port" >&2; exit 2; }
server=${server%%,*}
host=${server%:*}; port=${server##*:}
[[ "$host" != "$server" && -n "$port" ]] || port=9092
host=${host#[}; host=${host%]}
if timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
  echo "$host:$port is reachable (sdl/kafka-mock: TCP check only)"
  exit 0
fi
echo "$host:$port is not reachable" >&2
exit 1
