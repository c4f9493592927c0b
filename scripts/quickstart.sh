#!/usr/bin/env bash
# Sets berth up on a fresh Debian 12 machine (as root), starts berthd in the background on
# /run/berth.sock (its pid in /run/berth.pid: stop it with `kill $(cat /run/berth.pid)`),
# makes a busybox image with berth itself (no network) and runs a container. A berthd already
# answering on the socket is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
sock=/run/berth.sock
pidfile=/run/berth.pid
export BERTH_HOST="unix://$sock"
if ! ./bin/berth version >/dev/null 2>&1; then
  mkdir -p /var/log
  nohup ./bin/berthd -H "unix://$sock" --pidfile "$pidfile" >/var/log/berthd.log 2>&1 &
  for _ in $(seq 1 100); do ./bin/berth version >/dev/null 2>&1 && break; sleep 0.1; done
  ./bin/berth version >/dev/null || { echo "berthd did not start; see /var/log/berthd.log" >&2; exit 1; }
fi
tarball=$(mktemp /tmp/busybox-rootfs.XXXXXX.tar)
trap 'rm -f "$tarball"' EXIT
bash scripts/make-busybox-rootfs.sh "$tarball"
./bin/berth import --change 'CMD ["sh"]' --message 'busybox from Debian busybox-static' "$tarball" busybox:latest
./bin/berth images
./bin/berth run --rm busybox sh -c 'echo "hello from a berth container: $(uname -sr), pid $$, $(id)"'
echo
echo "berthd is running (log: /var/log/berthd.log, pid in $pidfile). Try: DOCKER_HOST=$BERTH_HOST docker ps -a"
