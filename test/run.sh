#!/bin/bash
# The whole test suite: unit tests, then integration tests of dist/rr as
# root, rootless (subordinate ids) and rootless-single. Ends with one line
# "N passed, N failed" for CI.
set -uo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
[ -x dist/rr ] || $BUN run build.ts || exit 1
if [ "$(id -u)" = 0 ]; then
  bash test/setup-user.sh
  # Debian's defaults; a fresh machine without udev may have them 0600
  for dev in /dev/net/tun /dev/fuse; do [ -e "$dev" ] && chmod 0666 "$dev"; done
fi
log=$(mktemp)
$BUN test --timeout 120000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
pass=$(grep -Eo '^ *[0-9]+ pass' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
fail=$(grep -Eo '^ *[0-9]+ fail' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
if [ "$status" != 0 ] && [ "$fail" = 0 ]; then fail=1; fi
skip=$(grep -Eo "^ *[0-9]+ skip" "$log" | tail -1 | grep -Eo "[0-9]+" || echo 0)
rm -f "$log"
echo "$pass passed, $fail failed, $skip skipped"
exit "$status"
