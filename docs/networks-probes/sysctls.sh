#!/bin/bash
cd /tmp/netx
unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/holder.pid; exec sleep 30' &
sleep 0.2; H=$(cat holder.pid)
nsenter -t $H -U --preserve-credentials -- unshare -n sh -c "echo \$\$ > /tmp/netx/c1.pid; exec sleep 30" &
sleep 0.2; C=$(cat c1.pid)
nsenter -t $C -U -n --preserve-credentials -- sh -c '
 for v in "0 2147483647" "0 4294967294" "0 65535" "0 0"; do printf "ping_group_range <- %-14s " "\"$v\""; echo "$v" > /proc/sys/net/ipv4/ping_group_range 2>&1 && echo "ok -> $(cat /proc/sys/net/ipv4/ping_group_range)"; done
 echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start && echo "ip_unprivileged_port_start <- 0 ok: $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
 echo 1 > /proc/sys/net/ipv4/ip_forward && echo "ip_forward <- 1 ok"
 echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo "disable_ipv6 ok"
 echo "host view unchanged? (read in this netns)"; '
echo "host: ping_group_range=$(cat /proc/sys/net/ipv4/ping_group_range) unpriv_port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
kill $C $H; wait
