#!/bin/bash
set -u
cd /tmp/netx
get() { timeout 5 sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc $1 $2 | tail -1"; echo "(rc=$?)"; }
busybox httpd -f -p 127.0.0.1:18080 -h /tmp/netx/www & WEB=$!
unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/holder.pid; exec sleep 120' &
sleep 0.3; H=$(cat holder.pid)
IN="nsenter -t $H -U -n --preserve-credentials --"
t0=$(date +%s%N)
timeout 60 slirp4netns --configure --mtu=65520 ${SLIRP_OPTS:-} $H tap0 > slirp.log 2>&1 & P=$!
for i in $(seq 1 200); do $IN ip route 2>/dev/null | grep -q default && break; sleep 0.005; done
t1=$(date +%s%N); echo "slirp4netns configured the netns in $(( (t1-t0)/1000000 )) ms"
$IN ip -br addr; $IN ip route; $IN ip link show tap0 | head -1
echo "holder -> 10.0.2.2:18080: $($IN bash -c "$(declare -f get); get 10.0.2.2 18080")"
$IN sh -c 'ip link add rr-br0 type bridge; ip addr add 172.18.0.1/16 dev rr-br0; ip link set rr-br0 up; echo 1 > /proc/sys/net/ipv4/ip_forward'
nsenter -t $H -U --preserve-credentials -- unshare -n sh -c 'echo $$ > /tmp/netx/c1.pid; exec sleep 120' &
sleep 0.3; C=$(cat c1.pid)
$IN sh -c "ip link add v1 type veth peer name eth0 netns $C; ip link set v1 master rr-br0 up"
CN="nsenter -t $C -U -n --preserve-credentials --"
$CN sh -c 'ip link set lo up; ip addr add 172.18.0.2/16 dev eth0; ip link set eth0 up; ip route add default via 172.18.0.1'
echo "container (routed, no NAT) -> 10.0.2.2:18080: $($CN bash -c "$(declare -f get); get 10.0.2.2 18080")"
$IN nft -f - <<'NFT' && echo "nft masquerade rule loaded in holder netns"
table ip rr { chain post { type nat hook postrouting priority 100; ip saddr 172.18.0.0/16 oifname != "rr-br0" masquerade; }; }
NFT
echo "container (NAT) -> 10.0.2.2:18080: $($CN bash -c "$(declare -f get); get 10.0.2.2 18080")"
kill $P $C $H $WEB; wait 2>/dev/null
cat slirp.log
