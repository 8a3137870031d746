#!/bin/sh
# `farmgate replay` exit codes, against the real binary: 2 for a bad command line or time, 1 for
# a store that cannot be read. Usage: replay_cli.sh FARMGATE_BINARY SOURCE_DIR
set -u
bin=$1
config=$2/config/examples/farm.yaml
FARMGATE_DATA_DIR=$(mktemp -d)
export FARMGATE_DATA_DIR
trap 'rm -rf "$FARMGATE_DATA_DIR"' EXIT
failed=0

expect() {
  want=$1
  shift
  "$bin" "$@" >/dev/null 2>"$FARMGATE_DATA_DIR/err"
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: farmgate $* exited $got, want $want; stderr:" >&2
    cat "$FARMGATE_DATA_DIR/err" >&2
    failed=1
  fi
}

expect 2 replay --config "$config" --from 2026-11-01
expect 2 replay --config "$config" --from 2026-11-01 --to 2026-11-02 --bogus
expect 2 replay --config "$config" --from 2026-11-01 --to 2026-11-02 --format xml
expect 2 replay --config "$config" --from yesterday --to 2026-11-02
expect 2 replay --config "$config" --from 2026-11-02 --to 2026-11-01
# No store under the data dir: read-only replay must not create one.
expect 1 replay --config "$config" --from 2026-11-01 --to 2026-11-02
if [ -e "$FARMGATE_DATA_DIR/farmgate.db" ]; then
  echo "FAIL: replay created the store" >&2
  failed=1
fi
exit $failed
