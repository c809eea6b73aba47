#!/bin/bash
# Stages the probes where they expect to be (/tmp/netx, binaries in /tmp/netx/c) and builds them.
# Run as root, then run each probe as the unprivileged user, e.g.
#   su rrtest -s /bin/bash -c /tmp/netx/netlink-wiring.sh
# Every probe sends packets only on loopback or inside namespaces it creates.
set -e
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p /tmp/netx/c /tmp/netx/www && chmod 777 /tmp/netx
echo host-loopback-ok > /tmp/netx/www/index.html
cp "$here"/*.sh "$here"/*.py /tmp/netx/ && rm -f /tmp/netx/setup.sh
for p in nl fwd tput; do gcc -O2 -Wall -o /tmp/netx/c/$p "$here/$p.c"; done
chmod 755 /tmp/netx/c /tmp/netx/c/* /tmp/netx/*.sh
