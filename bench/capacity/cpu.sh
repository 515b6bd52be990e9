# shellcheck shell=bash
# CPU counters for the idle benchmarks (sourced by idle-cpu.sh and idle-switch.sh).

# Microseconds of CPU used by the cgroups of the given container ids, or of every container when
# none is given (cgroup v1 cpuacct or v2 cpu.stat).
cgroup_us() {
  local t=0 f id
  if [ $# -eq 0 ]; then
    for f in /sys/fs/cgroup/cpuacct/docker/*/cpuacct.usage; do [ -f "$f" ] && t=$((t + $(cat "$f") / 1000)); done
    for f in /sys/fs/cgroup/system.slice/docker-*.scope/cpu.stat; do [ -f "$f" ] && t=$((t + $(awk '/usage_usec/ {print $2}' "$f"))); done
  fi
  for id in "$@"; do
    f=/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage
    [ -f "$f" ] && t=$((t + $(cat "$f") / 1000))
    f=/sys/fs/cgroup/system.slice/docker-$id.scope/cpu.stat
    [ -f "$f" ] && t=$((t + $(awk '/usage_usec/ {print $2}' "$f")))
  done
  echo "$t"
}

# The machine's busy and total jiffies from /proc/stat, as "BUSY TOTAL".
machine_jiffies() {
  local a b c d e f g h
  read -r _ a b c d e f g h _ </proc/stat
  echo "$((a + b + c + f + g + h)) $((a + b + c + d + e + f + g + h))"
}
