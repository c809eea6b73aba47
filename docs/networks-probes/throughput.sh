#!/bin/bash
set -u
cd /tmp/netx
MIB=${MIB:-2000}
unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/holder.pid; exec sleep 300' &
sleep 0.2; H=$(cat holder.pid)
for c in 1 2; do nsenter -t $H -U --preserve-credentials -- unshare -n sh -c "echo \$\$ > /tmp/netx/c$c.pid; exec sleep 300" & done
sleep 0.3; C1=$(cat c1.pid); C2=$(cat c2.pid)
IN="nsenter -t $H -U -n --preserve-credentials --"
$IN sh -c 'ip link add rr-br0 type bridge; ip addr add 172.18.0.1/16 dev rr-br0; ip link set rr-br0 up; ip link set lo up'
for c in 1 2; do P=$(cat c$c.pid); $IN sh -c "ip link add v$c master rr-br0 up type veth peer name eth0 netns $P"
  nsenter -t $P -U -n --preserve-credentials -- sh -c "ip link set lo up; ip link set eth0 up; ip addr add 172.18.0.$((c+1))/16 dev eth0; ip route add default via 172.18.0.1"; done
nsenter -t $C2 -U -n --preserve-credentials -- ./c/tput sink 5001 & S=$!
sleep 0.3
echo "c2 loopback (baseline):            $(nsenter -t $C2 -U -n --preserve-credentials -- ./c/tput src 127.0.0.1 5001 $MIB)"
echo "c1 -> c2 over bridge/veth:          $(nsenter -t $C1 -U -n --preserve-credentials -- ./c/tput src 172.18.0.3 5001 $MIB)"
./c/fwd splice 18500 $H 172.18.0.3 5001 & F1=$!
./c/fwd rw 18501 $H 172.18.0.3 5001 & F2=$!
sleep 0.3
echo "host 127.0.0.1:18500 -> c2 (splice): $(./c/tput src 127.0.0.1 18500 $MIB)"
echo "host 127.0.0.1:18501 -> c2 (rw):     $(./c/tput src 127.0.0.1 18501 $MIB)"
echo "--- a second forwarder on the same port:"; ./c/fwd splice 18500 $H 172.18.0.3 5001
# slirp4netns reference: a netns -> 10.0.2.2 (host loopback) sink
./c/tput sink 5002 127.0.0.1 & HS=$!
unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/s.pid; exec sleep 300' &
sleep 0.2; SP=$(cat s.pid)
slirp4netns --configure --mtu=65520 $SP tap0 >/dev/null 2>&1 & SL=$!
sleep 0.5
echo "netns -> slirp4netns -> host lo:     $(nsenter -t $SP -U -n --preserve-credentials -- ./c/tput src 10.0.2.2 5002 $((MIB/10)))"
kill $F1 $F2 $S $HS $SL $SP $C1 $C2 $H 2>/dev/null; wait 2>/dev/null
