#!/bin/sh
# `farmgate user` against the real binary, with the password through a real pipe: exit 0 and the
# user stored, or 2 with a reason. Usage: user_cmd_test.sh FARMGATE_BINARY SOURCE_DIR
set -u
bin=$1
config=$2/config/examples/farm.yaml
FARMGATE_DATA_DIR=$(mktemp -d)
export FARMGATE_DATA_DIR
trap 'rm -rf "$FARMGATE_DATA_DIR"' EXIT
failed=0

expect() {
  want=$1
  input=$2
  shift 2
  printf '%s' "$input" | "$bin" "$@" >"$FARMGATE_DATA_DIR/out" 2>"$FARMGATE_DATA_DIR/err"
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: farmgate $* exited $got, want $want; stderr:" >&2
    cat "$FARMGATE_DATA_DIR/err" >&2
    failed=1
  fi
}

expect 0 'quan-tri-789
' user add hoa --role admin --config "$config"
grep -q '^added hoa as admin$' "$FARMGATE_DATA_DIR/out" || { echo "FAIL: no confirmation" >&2; failed=1; }
expect 2 'quan-tri-789
' user add hoa --role admin --config "$config"
expect 2 'short
' user add an --role farmer --config "$config"
expect 2 '' user add an --role farmer --config "$config"
expect 2 'lua-nuoc-123
' user add an --role boss --config "$config"
expect 2 '' user frobnicate --config "$config"
expect 0 '' user token hoa --config "$config"
grep -q '^fgt_[0-9a-f]\{64\}$' "$FARMGATE_DATA_DIR/out" || { echo "FAIL: no token printed" >&2; failed=1; }
expect 0 '' user list --config "$config"
[ "$(cat "$FARMGATE_DATA_DIR/out")" = "$(printf 'hoa\tadmin')" ] || { echo "FAIL: list" >&2; failed=1; }
exit $failed
