#!/usr/bin/env bash
# Installs what berth needs on a fresh Debian 12 machine (as root), then builds berth.
# Idempotent: re-running only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(runc crun conmon tini busybox-static iproute2 iptables umoci skopeo docker-registry openssl libcrypt1 tmux netavark aardvark-dns containernetworking-plugins docker-compose debootstrap bzip2 xz-utils git)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# docker-registry's package starts a service where an init system runs; tests start their own.
npm ci --no-audit --no-fund
npm run build
# The integration tests drive the real docker CLI: $DOCKER_CLI, else `docker` on PATH. Without
# one, the suites that need it are skipped (each says so); install one to run them all.
if [ -z "${DOCKER_CLI:-}" ] && ! command -v docker >/dev/null 2>&1; then
  echo "setup: no docker CLI (DOCKER_CLI or docker on PATH): the tests that drive it will be skipped." >&2
  echo "setup: to run them, 'apt-get install docker.io' (Debian's: CLI 20.10, API 1.41; its dockerd is not needed) or set DOCKER_CLI." >&2
fi
