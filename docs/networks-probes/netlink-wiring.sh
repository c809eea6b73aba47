#!/bin/bash
set -u
cd /tmp/netx
unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/holder.pid; exec sleep 60' &
sleep 0.2; H=$(cat holder.pid)
for c in 1 2; do nsenter -t $H -U --preserve-credentials -- unshare -n sh -c "echo \$\$ > /tmp/netx/c$c.pid; exec sleep 60" & done
sleep 0.3; C1=$(cat c1.pid); C2=$(cat c2.pid)
./c/nl $H $C1 $C2
nsenter -t $H -U -n --preserve-credentials -- sh -c 'ip -d link show rr-hadoop | head -3; bridge link'
nsenter -t $C2 -U -n --preserve-credentials -- sh -c 'ip -br addr; ip route'
nsenter -t $C2 -U -n --preserve-credentials -- timeout 5 busybox sh -c "echo hi-from-c2 | busybox nc -l -p 9000" &
sleep 0.3
echo "c1 -> 172.18.0.3:9000: $(nsenter -t $C1 -U -n --preserve-credentials -- timeout 3 busybox nc 172.18.0.3 9000 </dev/null)"
echo "--- kill c1; does its veth host end go away?"
kill $C1; sleep 0.5
nsenter -t $H -U -n --preserve-credentials -- ip -br link
kill $C2 $H 2>/dev/null; wait 2>/dev/null
