#!/usr/bin/env bash
# Checks systemd/farmgate.service, farmgate.sysusers and farmgate.tmpfiles with systemd's own
# tools, without installing anything. Exit 0: clean; 1: a tool complained (its words are
# printed); 77: skipped (no systemd-analyze here), the code CTest and automake treat as "skip".
#
# The unit's binary is not installed on a build machine, and `systemd-analyze verify` rightly
# refuses a unit whose ExecStart= does not exist; a temporary copy points every farmgate command
# at /bin/true so the check is about the unit, not about this machine.
set -euo pipefail

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "verify.sh: systemd-analyze not found: skipped"
  exit 77
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
unit="$root/systemd/farmgate.service"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e 's|/usr/bin/farmgate|/bin/true|g' "$unit" >"$tmp/farmgate.service"

failed=0

# verify exits 0 even for "Unknown key ..., ignoring" and unparsable values, which systemd then
# silently drops at run time: any output at all counts as a failure.
echo "verify.sh: systemd-analyze verify farmgate.service"
if ! out=$(systemd-analyze verify --man=no "$tmp/farmgate.service" 2>&1) || [ -n "$out" ]; then
  printf '%s\n' "$out"
  failed=1
fi

# The exposure score (0 = locked down, 10 = wide open); --offline needs systemd 250+ (Debian 12
# has 252). Informational: docs/operations.md records the score.
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  score=$(systemd-analyze security --offline=yes --no-pager "$tmp/farmgate.service" 2>&1 |
            sed -n 's/.*Overall exposure level for farmgate.service: \(.*\)$/\1/p')
  echo "verify.sh: systemd-analyze security: exposure ${score:-unknown}"
fi

# sysusers and tmpfiles snippets: applied to a scratch root so nothing on this machine changes.
# sysusers first, so that tmpfiles finds the farmgate group in the scratch root's /etc/group.
sysusers_ok=0
if command -v systemd-sysusers >/dev/null 2>&1; then
  echo "verify.sh: systemd-sysusers farmgate.sysusers (scratch root)"
  mkdir -p "$tmp/root/etc"
  if out=$(systemd-sysusers --root="$tmp/root" "$root/systemd/farmgate.sysusers" 2>&1); then
    sysusers_ok=1
    printf '%s\n' "$out" | sed 's/^/  /'
  else
    printf '%s\n' "$out"
    failed=1
  fi
fi
if [ "$sysusers_ok" -eq 1 ] && command -v systemd-tmpfiles >/dev/null 2>&1; then
  echo "verify.sh: systemd-tmpfiles --create farmgate.tmpfiles (scratch root)"
  if ! out=$(systemd-tmpfiles --root="$tmp/root" --create "$root/systemd/farmgate.tmpfiles" 2>&1) ||
     [ -n "$out" ]; then
    printf '%s\n' "$out"
    failed=1
  fi
fi

if [ "$failed" -ne 0 ]; then
  echo "verify.sh: FAILED"
  exit 1
fi
echo "verify.sh: ok"
