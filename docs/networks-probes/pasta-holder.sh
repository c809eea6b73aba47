#!/bin/bash
set -u
cd /tmp/netx
get() { timeout 5 sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc $1 $2 | tail -1"; echo "(rc=$?)"; }
busybox httpd -f -p 127.0.0.1:18080 -h /tmp/netx/www & WEB=$!
unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/holder.pid; exec sleep 120' &
sleep 0.3; H=$(cat holder.pid)
IN="nsenter -t $H -U -n --preserve-credentials --"
rm -f pasta.log
timeout 60 pasta --config-net -f --debug -l /tmp/netx/pasta.log ${PASTA_OPTS:--t none -u none -T none -U none} $H & P=$!
sleep 1
echo "holder -> 192.0.2.1:18080: $($IN bash -c "$(declare -f get); get 192.0.2.1 18080")"
echo "holder -> 127.0.0.1:18080: $($IN bash -c "$(declare -f get); get 127.0.0.1 18080")"
kill $P $H $WEB; wait 2>/dev/null
