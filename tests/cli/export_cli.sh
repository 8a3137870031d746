#!/bin/sh
# `farmgate export` against the real binary: CSV with a byte order mark and Vietnamese intact,
# JSON a real parser reads, 2 for a bad command line, 1 for a store that is not there.
# Usage: export_cli.sh FARMGATE_BINARY SOURCE_DIR
set -u
bin=$1
config=$2/config/examples/farm.yaml
FARMGATE_DATA_DIR=$(mktemp -d)
export FARMGATE_DATA_DIR
trap 'rm -rf "$FARMGATE_DATA_DIR"' EXIT
db=$FARMGATE_DATA_DIR/farmgate.db
out=$FARMGATE_DATA_DIR/out
failed=0

fail() {
  echo "FAIL: $*" >&2
  failed=1
}

expect() {
  want=$1
  shift
  "$bin" "$@" >"$out" 2>"$FARMGATE_DATA_DIR/err"
  got=$?
  if [ "$got" -ne "$want" ]; then
    fail "farmgate $* exited $got, want $want; stderr:"
    cat "$FARMGATE_DATA_DIR/err" >&2
  fi
}

# No store under the data dir: 1, and a read-only export must not create one.
expect 1 export lots --config "$config"
[ -e "$db" ] && fail "export created the store"

# A store as the gateway leaves it (`farmgate user add` creates and migrates it), with one lot
# and one diary entry written in by hand.
printf 'quan-tri-789\n' | "$bin" user add hoa --role admin --config "$config" >/dev/null 2>&1 ||
  fail "could not create the store"
sqlite3 "$db" <<'SQL' || fail "could not write the lot"
INSERT INTO lots(code, product, planted, created_by, created_ms, hash, head, entries)
  VALUES ('BUOI-2026-01', 'Bưởi da xanh', '2026-01-15', 'officer1', 1768410000000, 'x', 'y', 1);
INSERT INTO lot_zones(lot, zone, area_m2) VALUES ('BUOI-2026-01', 'z1', 5000);
INSERT INTO lot_entries(lot, seq, kind, date, zone, material, note, who, recorded_ms,
                        prev_hash, hash)
  VALUES ('BUOI-2026-01', 1, 'fertiliser', '2026-02-01', 'z1', 'NPK 20-20-15', '=bón gốc',
          'farmer1', 1769900000000, 'x', 'y');
SQL

expect 0 export lots --format csv --lang vi --config "$config"
[ "$(head -c 3 "$out" | od -An -tx1 | tr -d ' \n')" = "efbbbf" ] || fail "lots CSV has no BOM"
grep -q 'Mã lô' "$out" || fail "lots CSV has no Vietnamese header"
python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
assert rows[0][0] == "Mã lô", rows[0]
assert rows[1][0] == "BUOI-2026-01" and rows[1][1] == "Bưởi da xanh", rows[1]
' "$out" || fail "lots CSV read back wrong"

expect 0 export diary --format json --config "$config"
python3 -c '
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["kind"] == "diary", doc
row = doc["rows"][0]
assert row["lot"] == "BUOI-2026-01" and row["kind"] == "fertiliser", row
assert row["material"] == "NPK 20-20-15" and row["note"] == "=bón gốc", row
' "$out" || fail "diary JSON read back wrong"

# A window without the entry: a header and nothing else.
expect 0 export diary --from 2026-03-01 --to 2026-04-01 --lang en --config "$config"
[ "$(wc -l <"$out")" -eq 1 ] || fail "diary outside its dates is not empty"

expect 2 export --config "$config"
expect 2 export bogus --config "$config"
expect 2 export lots --format xml --config "$config"
expect 2 export lots --lang fr --config "$config"
expect 2 export lots --frobnicate --config "$config"
expect 2 export lots --from yesterday --config "$config"
expect 2 export lots --from 2026-06-02 --to 2026-06-01 --config "$config"
exit $failed
