#!/usr/bin/env bash
# Runs every farmgate benchmark and prints their result tables, with the date, the commit and the
# machine's load (other work on the machine skews every figure: look at the load average first).
#
#   bench/run-all.sh [--build] [--out FILE]
#
# --build   configure and build build-bench first (Release, the targets the benchmarks need)
# --out     also write everything to FILE (default: only stdout)
# Takes about 8 minutes: micro benchmarks, ingest.sh, drain.sh, footprint.sh, in that order.
set -euo pipefail
cd "$(dirname "$0")/.."
build=0
out=/dev/null
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run-all.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
BUILD=${FARMGATE_BUILD_DIR:-$PWD/build-bench}

if [ $build = 1 ]; then
  # -Wno-restrict: GCC 12 at -O3 reports a false -Wrestrict inside std::string (core/log.cpp),
  # which -Werror turns into a failed build; RelWithDebInfo (-O2) does not hit it.
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-Wno-restrict >/dev/null
  cmake --build "$BUILD" -j2 --target farmgate farmgate-sim farmgate_micro_bench farmgate_paho_count
fi

{
  echo "farmgate benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "$(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uptime)"
  echo
  echo "## Micro benchmarks"
  "$BUILD/bench/farmgate_micro_bench" 2>&1
  echo
  echo "## Ingest"
  bench/ingest.sh 2>&1 | sed -n '/^Ingest,/,$p'
  echo
  echo "## Backlog drain"
  bench/drain.sh 2>&1 | sed -n '/^Backlog drain,/,$p'
  echo
  echo "## Footprint"
  bench/footprint.sh 2>&1 | sed -n '/^Footprint,/,$p'
  echo
  echo "done, $(uptime)"
} | tee "$out"
