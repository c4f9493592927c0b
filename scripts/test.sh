#!/usr/bin/env bash
# Runs berth's whole test suite: type-checked build, lint (floating promises), layer check, unit
# tests, then integration and e2e tests against real berthd daemons (as root: they mount
# overlayfs and run runc).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
npm run lint --silent
if [ -f ../shared/tools/check-layers.mjs ]; then node ../shared/tools/check-layers.mjs src; fi
if [ "$(id -u)" != 0 ]; then
  echo "test: the integration tests need root (overlayfs, mknod, runc, cgroups)" >&2
  exit 1
fi
export BERTH_TEST_TMP=${BERTH_TEST_TMP:-$(mktemp -d /tmp/berth-test.XXXXXX)}
cleanup() {
  local rc=$?
  set +e
  # Anything a crashed test left: mounts under the scratch dir, then the dir, then the
  # cgroup parent berth's containers share (removed only when empty).
  { grep -o " $BERTH_TEST_TMP[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$BERTH_TEST_TMP"
  for d in /sys/fs/cgroup/*/berth; do rmdir "$d" 2>/dev/null || true; done
  exit "$rc"
}
trap cleanup EXIT
node --test --test-reporter=spec --test-concurrency=1 dist/src dist/test
