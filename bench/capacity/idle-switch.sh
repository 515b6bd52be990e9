#!/usr/bin/env bash
# What a setting costs the idle cluster, in one run: baseline / candidate / baseline, each phase
# started with `./lab start` under its environment (compose re-creates only the containers whose
# settings change), left to settle, then measured over SECONDS: the named services' cgroups, all
# the containers' cgroups and the whole machine (/proc/stat), in % of one core. The two baselines
# show the machine's drift over the run.
# Usage: bench/capacity/idle-switch.sh 'BASELINE ENV' 'CANDIDATE ENV' SERVICE... (cluster up: ./lab up)
#   e.g. bench/capacity/idle-switch.sh 'ETCD_HEARTBEAT_MS=100 ETCD_ELECTION_MS=1000' \
#          'ETCD_HEARTBEAT_MS=250 ETCD_ELECTION_MS=1250' etcd-1 etcd-2 etcd-3
# Env: SECS per phase (default 60), SETTLE seconds after each start (default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/capacity/cpu.sh
[ $# -ge 3 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
base=$1 cand=$2
shift 2
secs=${SECS:-60}
settle=${SETTLE:-30}
ids() { docker ps -q --no-trunc --filter label=com.docker.compose.project=sdl "$@"; }

measure() { # label SERVICE...
  local label=$1 named m1 m2 n1 n2 c1 c2 s
  shift
  named=$(for s in "$@"; do ids --filter "label=com.docker.compose.service=$s"; done)
  m1=$(machine_jiffies)
  # shellcheck disable=SC2086
  n1=$(cgroup_us $named)
  c1=$(cgroup_us)
  sleep "$secs"
  m2=$(machine_jiffies)
  # shellcheck disable=SC2086
  n2=$(cgroup_us $named)
  c2=$(cgroup_us)
  awk -v label="$label" -v cores="$(nproc)" -v m1="$m1" -v m2="$m2" -v n="$((n2 - n1))" -v c="$((c2 - c1))" \
    -v s="$secs" -v k="$#" 'BEGIN {
      split(m1, a, " "); split(m2, b, " ")
      printf "%-48s named (%d) %5.2f %%   containers %5.1f %%   machine %5.1f %%   (of one core, %d s)\n",
        label, k, n / 10000 / s, c / 10000 / s, 100 * cores * (b[1] - a[1]) / (b[2] - a[2]), s }'
}

phase() { # ENV SERVICE...
  local assignments=$1
  shift
  # shellcheck disable=SC2086
  env $assignments ./lab start >/dev/null 2>&1
  sleep "$settle"
  measure "$assignments" "$@"
}

echo "# idle cluster, $(nproc) cores, $(date -u +%FT%TZ), load before: $(cut -d' ' -f1-3 /proc/loadavg); named: $*"
phase "$base" "$@"
phase "$cand" "$@"
phase "$base" "$@"
env ./lab start >/dev/null 2>&1 # back to the defaults
