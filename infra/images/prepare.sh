#!/usr/bin/env bash
# Builds the offline infrastructure images of System Design Lab (no registry needed).
#
#   bash infra/images/prepare.sh [--force] [--refresh-rootfs] [IMAGE...]
#
# IMAGE is any of: debian node postgres redis etcd prometheus kafka-mock redis-exporter postgres-exporter
# (default: all, in that order).
# An image whose tag already exists is skipped unless --force is given (--force also builds without
# the docker layer cache). --refresh-rootfs re-runs debootstrap instead of reusing the cached root
# file system tarball.
#
# Needs: root (debootstrap), docker, apt over HTTP to $DEBIAN_MIRROR, and for sdl/node:24 a Node 24 binary
# (taken from $SDL_NODE24_BIN, /opt/node24, the cache, or `npm install node@24` into the cache).
# Cache: ${LAB_CACHE:-$HOME/.cache/sdl}
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INFRA=$(cd "$HERE/.." && pwd)
CACHE=${LAB_CACHE:-$HOME/.cache/sdl}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
ROOTFS_TAR="$CACHE/rootfs/debian-$SUITE-minbase.tar"

ALL_IMAGES=(debian node postgres redis etcd prometheus kafka-mock redis-exporter postgres-exporter)
declare -A TAGS=(
  [debian]=sdl/debian:bookworm
  [node]=sdl/node:24
  [postgres]=sdl/postgres:15
  [redis]=sdl/redis:7
  [etcd]=sdl/etcd:3.4
  [prometheus]=sdl/prometheus:latest
  [kafka-mock]=sdl/kafka-mock:latest
  [redis-exporter]=sdl/redis-exporter:1.45
  [postgres-exporter]=sdl/postgres-exporter:0.11
)

FORCE=0
REFRESH_ROOTFS=0
SELECTED=()
while (($#)); do
  case "$1" in
    --force|-f) FORCE=1 ;;
    --refresh-rootfs) REFRESH_ROOTFS=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *)
      [[ -n "${TAGS[$1]:-}" ]] || { echo "unknown image: $1 (one of: ${ALL_IMAGES[*]})" >&2; exit 2; }
      SELECTED+=("$1") ;;
  esac
  shift
done
((${#SELECTED[@]})) || SELECTED=("${ALL_IMAGES[@]}")

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'prepare.sh: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "docker daemon is not reachable (start it: dockerd >/var/log/dockerd.log 2>&1 &)"
mkdir -p "$CACHE"

# docker build with the classic builder: it resolves FROM sdl/... from the local image store and never
# talks to a registry (BuildKit would try to fetch a frontend / image metadata on some setups).
# --force also disables the layer cache, so that apt fetches current packages.
dbuild() {
  local extra=()
  [[ $FORCE -eq 1 ]] && extra+=(--no-cache)
  DOCKER_BUILDKIT=0 docker build --pull=false "${extra[@]}" "$@"
}

# ---------------------------------------------------------------------------------------------------
build_rootfs() {
  [[ $EUID -eq 0 ]] || die "debootstrap needs root"
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  local dir="$CACHE/rootfs/build"
  mkdir -p "$CACHE/rootfs"
  cleanup_rootfs() {
    local m
    for m in proc sys dev/pts; do mountpoint -q "$dir/$m" 2>/dev/null && umount -l "$dir/$m" || true; done
  }
  cleanup_rootfs
  rm -rf "$dir"
  trap cleanup_rootfs EXIT
  log "debootstrap --variant=minbase $SUITE ($MIRROR)"
  debootstrap --variant=minbase "$SUITE" "$dir" "$MIRROR" >"$CACHE/rootfs/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/rootfs/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/rootfs/debootstrap.log)"; }

  # apt sources: main + updates + security, plain HTTP (HTTPS does not verify inside builds here).
  cat >"$dir/etc/apt/sources.list" <<SRC
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
SRC
  # The usual container tweaks (as in the official debian images): no services started by package
  # scripts, no docs/man pages/translations, no apt caches in layers.
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"; chmod 755 "$dir/usr/sbin/policy-rc.d"
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
CFG
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
  echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true"; Acquire::CompressionTypes::Order:: "gz";' >"$dir/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'APT::AutoRemove::SuggestsImportant "false";' >"$dir/etc/apt/apt.conf.d/docker-autoremove-suggests"
  echo 'APT::Install-Recommends "false"; APT::Install-Suggests "false";' >"$dir/etc/apt/apt.conf.d/docker-no-recommends"

  # Bring the base up to date with bookworm-updates/-security (debootstrap only knows the release).
  log "apt-get upgrade inside the new root file system"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get -y -qq -o Dpkg::Options::=--force-confold dist-upgrade && apt-get clean' >>"$CACHE/rootfs/debootstrap.log" 2>&1 \
    || die "apt-get upgrade in the chroot failed"

  # Trim what a container never needs.
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir"/var/cache/debconf/*-old \
         "$dir"/var/log/*.log "$dir"/var/log/apt/* "$dir"/tmp/* "$dir"/var/tmp/* \
         "$dir"/usr/share/doc/*/changelog* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
         "$dir"/usr/share/locale/*
  find "$dir/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  : >"$dir/etc/resolv.conf"; : >"$dir/etc/machine-id"; echo localhost >"$dir/etc/hostname"
  cleanup_rootfs
  trap - EXIT
  tar --numeric-owner --xattrs -C "$dir" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
      -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$dir"
}

build_debian() {
  if [[ $REFRESH_ROOTFS -eq 1 || ! -s "$ROOTFS_TAR" ]]; then
    build_rootfs
  else
    log "reusing cached root file system $ROOTFS_TAR (--refresh-rootfs to rebuild it)"
  fi
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase $SUITE" \
    "$ROOTFS_TAR" "${TAGS[debian]}" >/dev/null
}

# Prints the path of a Node 24 binary, obtaining one (npm install node@24 into the cache) if needed.
find_node24() {
  local c
  for c in "${SDL_NODE24_BIN:-}" /opt/node24/node_modules/node/bin/node "$CACHE/node24/node_modules/node/bin/node" \
           "$(command -v node 2>/dev/null || true)"; do
    [[ -n "$c" && -x "$c" ]] || continue
    [[ "$("$c" -v 2>/dev/null)" == v24.* ]] && { readlink -f "$c"; return; }
  done
  command -v npm >/dev/null || die "no Node 24 binary found and npm is not available to fetch one"
  log "fetching node@24 with npm into $CACHE/node24"
  npm install --no-audit --no-fund --prefix "$CACHE/node24" node@24 >&2
  c="$CACHE/node24/node_modules/node/bin/node"
  [[ "$("$c" -v 2>/dev/null)" == v24.* ]] || die "npm install node@24 did not give a v24 node ($c)"
  readlink -f "$c"
}

# Prints the directory of an npm >= 10 package tree to ship with node (empty if none can be found).
find_npm() {
  local d
  for d in "$CACHE/npm/node_modules/npm" "$(npm root -g 2>/dev/null || true)/npm"; do
    [[ -f "$d/package.json" && -f "$d/bin/npm-cli.js" ]] || continue
    local v; v=$(sed -n 's/^ *"version": *"\([0-9]*\)\..*/\1/p' "$d/package.json" | head -1)
    [[ "${v:-0}" -ge 10 ]] && { echo "$d"; return; }
  done
  if command -v npm >/dev/null && npm install --no-audit --no-fund --prefix "$CACHE/npm" npm@11 >&2; then
    echo "$CACHE/npm/node_modules/npm"
  fi
}

build_node() {
  local node_bin npm_dir ctx
  node_bin=$(find_node24)
  log "node binary: $node_bin ($("$node_bin" -v))"
  ctx="$CACHE/ctx-node"
  rm -rf "$ctx"; mkdir -p "$ctx/npm"
  cp "$HERE/node/Dockerfile" "$ctx/"
  ln "$node_bin" "$ctx/node" 2>/dev/null || cp "$node_bin" "$ctx/node"
  npm_dir=$(find_npm || true)
  if [[ -n "$npm_dir" ]]; then
    log "npm: $npm_dir"
    cp -a "$npm_dir/." "$ctx/npm/"
  else
    log "WARNING: no npm found; sdl/node:24 will have node only"
  fi
  dbuild -t "${TAGS[node]}" "$ctx"
  rm -rf "$ctx"
}

build_simple() { # name
  dbuild -t "${TAGS[$1]}" "$HERE/$1"
}

build_kafka_mock() {
  dbuild -t "${TAGS[kafka-mock]}" -f "$HERE/kafka-mock/Dockerfile" "$INFRA/kafka-mock"
}

# ---------------------------------------------------------------------------------------------------
T0=$(now)
SUMMARY=()
for name in "${SELECTED[@]}"; do
  tag=${TAGS[$name]}
  if [[ $FORCE -eq 0 ]] && image_exists "$tag"; then
    log "$tag exists, skipping (use --force to rebuild)"
    SUMMARY+=("$(printf '%-24s skipped (exists)' "$tag")")
    continue
  fi
  if [[ $name != debian ]] && ! image_exists "${TAGS[debian]}"; then
    die "$tag needs ${TAGS[debian]}; build it first: bash $0 debian"
  fi
  log "building $tag"
  t=$(now)
  case "$name" in
    debian) build_debian ;;
    node) build_node ;;
    kafka-mock) build_kafka_mock ;;
    *) build_simple "$name" ;;
  esac
  took=$(elapsed "$t")
  log "$tag built in $took"
  SUMMARY+=("$(printf '%-24s %s' "$tag" "$took")")
done
docker image prune -f --filter label=sdl.stage=builder >/dev/null 2>&1 || true
log "summary"
printf '  %s\n' "${SUMMARY[@]}" >&2
log "total $(elapsed "$T0")"
