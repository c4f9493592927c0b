#!/usr/bin/env bash
# Sets berth up on a fresh Debian 12 machine (as root), starts berthd in the background on
# /run/berth.sock, makes a busybox image with berth itself (no network) and shows it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
sock=/run/berth.sock
if ! ./bin/berth -H "unix://$sock" version >/dev/null 2>&1; then
  mkdir -p /var/log
  nohup ./bin/berthd -H "unix://$sock" >/var/log/berthd.log 2>&1 &
  for _ in $(seq 1 100); do [ -S "$sock" ] && ./bin/berth -H "unix://$sock" version >/dev/null 2>&1 && break; sleep 0.1; done
fi
export BERTH_HOST="unix://$sock"
tarball=$(mktemp /tmp/busybox-rootfs.XXXXXX.tar)
trap 'rm -f "$tarball"' EXIT
bash scripts/make-busybox-rootfs.sh "$tarball"
./bin/berth import --change 'CMD ["sh"]' --message 'busybox from Debian busybox-static' "$tarball" busybox:latest
./bin/berth images
./bin/berth image inspect --format 'id={{.Id}} layers={{len .RootFS.Layers}} cmd={{json .Config.Cmd}}' busybox
./bin/berth history busybox
echo
echo "berthd is running (log: /var/log/berthd.log). Try: DOCKER_HOST=$BERTH_HOST docker images"
