#!/usr/bin/env bash
# Times berthd against `runc run` and, when given, a reference daemon (bench/README.md).
# Usage: bash bench/run.sh [--suite containers|pull|all] [--reference-host unix:///var/run/docker.sock] [--rounds N]
#
# The Node script cleans up after itself, also on Ctrl-C. The trap here is the backstop for
# when it cannot (killed with SIGKILL, crashed): it stops the bench's berthd, deletes runtime
# state, kills monitors and unmounts everything under the work directory, then removes it.
set -euo pipefail
cd "$(dirname "$0")/.."

# --suite picks the scripts: containers.mjs (issue 3), pull.mjs (issue 5), volumes.mjs (issue 6),
# logs.mjs and health.mjs (issue 8), network.mjs (issue 12), cli.mjs (issue 18), build.mjs (issue 13), or all of them (default). A bare first word (`volumes`) is
# the same as --suite.
suite=all
args=()
case "${1:-}" in containers|pull|volumes|logs|health|network|cli|spawn|build|scale) suite=$1; shift ;; esac
while [ $# -gt 0 ]; do
  case $1 in
    --suite) suite=${2:-}; shift 2 ;;
    --suite=*) suite=${1#--suite=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case $suite in containers|pull|volumes|logs|health|network|cli|spawn|build|scale|all) ;; *) echo "bench: --suite must be containers, pull, volumes, logs, health, network, cli, spawn, build, scale or all" >&2; exit 1 ;; esac
for arg in "${args[@]}"; do
  case $arg in -h|--help) if [ "$suite" = all ]; then node bench/containers.mjs --help; exec node bench/pull.mjs --help; fi; exec node "bench/$suite.mjs" --help ;; esac
done
die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (overlayfs, runc, /proc/<pid>/smaps_rollup of other processes)"
[ -x /usr/local/bin/docker ] || die "the docker CLI is missing at /usr/local/bin/docker"
for tool in node runc conmon tar; do command -v "$tool" >/dev/null || die "$tool is missing"; done
if [ "$suite" != containers ]; then [ -x /usr/bin/docker-registry ] || die "docker-registry is missing (scripts/setup.sh installs it)"; fi
[ -f dist/src/berthd.js ] || die "berth is not built (npm run build)"

tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)

backstop() {
  local rc=$?
  trap - EXIT INT TERM HUP
  for pidfile in "$tmp/berthd.pid" "$tmp/berthd/berthd.pid"; do
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    # Only our own berthd: its command line names this work directory.
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$tmp"; then
      echo "bench: stopping berthd $pid left running" >&2
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for root in "$tmp/exec/runtime/runc" "$tmp/runc" "$tmp/berthd/exec/runtime/runc"; do
    [ -d "$root" ] || continue
    for id in $(runc --root "$root" list -q 2>/dev/null); do
      runc --root "$root" delete -f "$id" >/dev/null 2>&1 || echo "bench: runc delete -f $id failed" >&2
    done
  done
  for pid in $(grep -lF -- "$tmp" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
    [ "$pid" = $$ ] || kill -KILL "$pid" 2>/dev/null || true
  done
  # Deepest mount points first; mountinfo escapes spaces as \040 (mktemp's names have none).
  awk -v d="$tmp" '$5 == d || index($5, d "/") == 1 { print length($5), $5 }' /proc/self/mountinfo \
    | sort -rn | cut -d' ' -f2- | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  if awk -v d="$tmp" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "bench: mounts remain under $tmp; not removing it" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap backstop EXIT

# Node runs in the background so that a TERM or HUP sent to this script reaches it at once (a
# foreground child would delay the trap until it exits). Ctrl-C reaches both: Node's first
# signal starts its cleanup, later ones are only reported.
run_script() {
  node "$1" --tmp "$tmp" "${args[@]}" &
  child=$!
  trap 'kill -INT $child 2>/dev/null || true' INT
  trap 'kill -TERM $child 2>/dev/null || true' TERM HUP
  local rc=0
  while :; do
    wait "$child" && rc=0 || rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  return "$rc"
}
rc=0
if [ "$suite" = containers ] || [ "$suite" = all ]; then run_script bench/containers.mjs || rc=$?; fi
if [ "$rc" = 0 ] && { [ "$suite" = pull ] || [ "$suite" = all ]; }; then run_script bench/pull.mjs || rc=$?; fi
for s in volumes logs health network cli spawn build; do
  if [ "$rc" = 0 ] && { [ "$suite" = "$s" ] || [ "$suite" = all ]; }; then run_script "bench/$s.mjs" || rc=$?; fi
done
# 1,000 containers on each daemon take minutes: only when asked for by name.
if [ "$rc" = 0 ] && [ "$suite" = scale ]; then run_script bench/scale.mjs || rc=$?; fi
exit "$rc"
