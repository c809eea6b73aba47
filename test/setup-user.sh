#!/bin/bash
# Creates the unprivileged account the rootless tests run as, with
# subordinate id ranges for newuidmap/newgidmap. Idempotent; needs root.
set -euo pipefail
user=rrtest
id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  grep -q "^$user:" "$f" || echo "$user:200000:65536" >> "$f"
done
