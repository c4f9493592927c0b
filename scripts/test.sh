#!/usr/bin/env bash
# Runs berth's whole test suite: type-checked build, unit tests, then integration and e2e
# tests against a real berthd (as root: they mount overlayfs and run real tools).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
node ../shared/tools/check-layers.mjs src 2>/dev/null || [ ! -f ../shared/tools/check-layers.mjs ]
if [ "$(id -u)" != 0 ]; then
  echo "test: the integration tests need root (overlayfs, mknod, real runtimes)" >&2
  exit 1
fi
export BERTH_TEST_TMP=${BERTH_TEST_TMP:-$(mktemp -d /tmp/berth-test.XXXXXX)}
trap 'rm -rf "$BERTH_TEST_TMP"' EXIT
node --test --test-reporter=spec --test-concurrency=1 dist/src dist/test
# The cgroup parent berth's containers share: removed when the tests left it empty.
for d in /sys/fs/cgroup/*/berth; do rmdir "$d" 2>/dev/null || true; done
