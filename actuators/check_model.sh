#!/bin/sh
# Checks actuators/supervisor.pml with spin: the LTL safety property and every assert, for one
# and for two open valves per line. Exit 77 (CTest: skipped) when spin is not installed.
set -eu
model=$(realpath "$1")
if ! command -v spin >/dev/null 2>&1; then
  echo "spin is not installed (apt-get install spin): model check skipped"
  exit 77
fi
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for maxopen in 1 2; do
  echo "== supervisor.pml, max_open_valves=$maxopen"
  spin -DMAXOPEN=$maxopen -a "$model" >spin.out 2>&1 || { cat spin.out; exit 1; }
  "$cc" -O2 -DCOLLAPSE -o pan pan.c
  ./pan -a -m1000000 >pan.out 2>&1 || true
  sed -n '/^State-vector/,/^hash conflicts/p' pan.out
  # A violation (of the ltl claim or an assert) or an incomplete search fails the test.
  if ! grep -q "errors: 0" pan.out || grep -q "max search depth too small" pan.out; then
    cat pan.out
    ls ./*.trail >/dev/null 2>&1 && spin -t -p -g -DMAXOPEN=$maxopen "$model" | tail -80
    echo "model check FAILED (max_open_valves=$maxopen)"
    exit 1
  fi
done
echo "model check passed"
