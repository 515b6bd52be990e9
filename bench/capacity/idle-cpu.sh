#!/usr/bin/env bash
# What the idle cluster costs the machine, with Docker healthchecks every 5 s (the old setting) and
# every HEALTH_INTERVAL (default 300 s), in one run: the whole machine from /proc/stat (cluster down,
# then up and idle), the share of Docker's machinery (dockerd, containerd, the shims and the runc
# processes they reap: the execs of the healthchecks) and of the containers' own cgroups.
# Usage: bench/capacity/idle-cpu.sh [SECONDS per phase, default 60]. Takes about 4 x that + starts.
# Run it on a quiet machine: anything else running counts as "machine".
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/capacity/cpu.sh
secs=${1:-60}
tick=$(getconf CLK_TCK)

proc_cpu() { # ticks of user+sys (incl. reaped children) of processes matching $1
  local t=0 p s
  for p in $(pgrep -f "$1"); do
    s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a f <<<"$s"
    t=$((t + f[11] + f[12] + f[13] + f[14]))
  done
  echo "$t"
}
measure() { # label: prints % of ONE core for machine, docker machinery, containers
  local a b c d e f g h A B C D E F G H m1 m2 c1 c2
  read -r _ a b c d e f g h _ </proc/stat
  m1=$(($(proc_cpu dockerd) + $(proc_cpu 'containerd --config') + $(proc_cpu containerd-shim)))
  c1=$(cgroup_us)
  sleep "$secs"
  read -r _ A B C D E F G H _ </proc/stat
  m2=$(($(proc_cpu dockerd) + $(proc_cpu 'containerd --config') + $(proc_cpu containerd-shim)))
  c2=$(cgroup_us)
  local busy=$(((A + B + C + F + G + H) - (a + b + c + f + g + h))) idle=$(((D + E) - (d + e)))
  awk -v label="$1" -v cores="$(nproc)" -v busy="$busy" -v idle="$idle" -v m="$((m2 - m1))" -v tick="$tick" \
    -v c="$((c2 - c1))" -v s="$secs" 'BEGIN {
      printf "%-34s machine %5.1f %%   docker machinery %5.1f %%   containers %5.1f %%   (of one core, %d s)\n",
        label, 100 * cores * busy / (busy + idle), 100 * m / tick / s, c / 10000 / s, s }'
}

echo "# idle cluster CPU on $(nproc) cores, $(date -u +%FT%TZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
./lab down >/dev/null 2>&1 || true
measure "cluster down"
HEALTH_INTERVAL=5s ./lab start >/dev/null
sleep 15
measure "up, idle, healthchecks every 5 s"
./lab start >/dev/null # default HEALTH_INTERVAL: compose recreates the containers
sleep 15
measure "up, idle, healthchecks every 300 s"
echo "# memory of the containers: $(docker stats --no-stream --format '{{.MemUsage}}' | awk '{ v=$1; u=substr(v, length(v)-2); n=v+0; if (u=="GiB") n*=1024; else if (u=="KiB") n/=1024; s+=n } END { printf "%.0f MiB", s }')"
