#!/usr/bin/env bash
# What etcd's Raft timers cost the idle cluster, in one run: the three etcd members' cgroups, all
# containers' cgroups and the whole machine (/proc/stat), % of one core over SECONDS each, at the
# baseline (heartbeat 100 ms, election timeout 1,000 ms: etcd's defaults), at the candidate
# (HB / EL below), and at the baseline again (the machine's drift shows between the two baselines).
# Only the etcd containers are re-created between phases (their ETCD_* environment changes).
# Usage: bench/capacity/etcd-heartbeat.sh [SECONDS per phase, default 60] (cluster up: ./lab up).
# Env: HB, EL: the candidate's heartbeat and election timeout in ms (default 250 and 1250: the compose default).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
hb=${HB:-250}
el=${EL:-1250}

cg_us() { # microseconds of CPU used by the cgroups of the given container ids (cgroup v1 or v2)
  local t=0 id f
  for id in "$@"; do
    for f in "/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage" "/sys/fs/cgroup/system.slice/docker-$id.scope/cpu.stat"; do
      [ -f "$f" ] || continue
      case $f in
        *usage) t=$((t + $(cat "$f") / 1000)) ;;
        *) t=$((t + $(awk '/usage_usec/ {print $2}' "$f"))) ;;
      esac
    done
  done
  echo "$t"
}
ids() { docker ps -q --no-trunc --filter label=com.docker.compose.project=sdl "$@"; }

measure() { # label
  local etcd all a b c d e f g h A B C D E F G H e1 e2 c1 c2
  etcd=$(for s in etcd-1 etcd-2 etcd-3; do ids --filter "label=com.docker.compose.service=$s"; done)
  all=$(ids)
  read -r _ a b c d e f g h _ </proc/stat
  # shellcheck disable=SC2086
  e1=$(cg_us $etcd); c1=$(cg_us $all)
  sleep "$secs"
  read -r _ A B C D E F G H _ </proc/stat
  # shellcheck disable=SC2086
  e2=$(cg_us $etcd); c2=$(cg_us $all)
  local busy=$(((A + B + C + F + G + H) - (a + b + c + f + g + h))) idle=$(((D + E) - (d + e)))
  awk -v label="$1" -v cores="$(nproc)" -v busy="$busy" -v idle="$idle" -v e="$((e2 - e1))" -v c="$((c2 - c1))" -v s="$secs" 'BEGIN {
    printf "%-34s etcd x3 %5.2f %%   containers %5.1f %%   machine %5.1f %%   (of one core, %d s)\n",
      label, e / 10000 / s, c / 10000 / s, 100 * cores * busy / (busy + idle), s }'
}

phase() { # heartbeat election label
  ETCD_HEARTBEAT_MS=$1 ETCD_ELECTION_MS=$2 ./lab start >/dev/null 2>&1
  sleep 20 # the re-created members elect a leader and settle
  measure "$3"
}

echo "# etcd Raft timers, idle cluster, $(nproc) cores, $(date -u +%FT%TZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
phase 100 1000 "heartbeat 100 ms, election 1000 ms"
phase "$hb" "$el" "heartbeat $hb ms, election $el ms"
phase 100 1000 "heartbeat 100 ms, election 1000 ms"
