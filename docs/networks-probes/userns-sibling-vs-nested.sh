#!/bin/bash
# sibling vs nested user namespaces
set -u
cd /tmp/netx
unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/holder.pid; exec sleep 600' &
sleep 0.3; H=$(cat holder.pid)
# sibling: its own userns from the host (what rr does today)
unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/sib.pid; exec sleep 600' &
# nested: a userns created inside the holder's userns
nsenter -t $H -U --preserve-credentials -- unshare --user --map-root-user --net sh -c 'echo $$ > /tmp/netx/nest.pid; exec sleep 600' &
sleep 0.3; S=$(cat sib.pid); N=$(cat nest.pid)
IN="nsenter -t $H -U -n --preserve-credentials --"
echo "--- sibling userns, from inside holder userns:"
$IN ip link add vs type veth peer name eth0 netns $S; echo "rc=$?"
echo "--- sibling: from the host userns (rrtest, owner of both) directly:"
ip link add vs type veth peer name eth0 netns $S 2>&1; echo "rc=$? (this would be the host netns: refused)"
echo "--- nested userns (child of holder's):"
$IN ip link add vn type veth peer name eth0 netns $N; echo "rc=$?"
nsenter -t $N -U -n --preserve-credentials -- ip -br link
echo "--- setns into holder netns without its userns:"
nsenter -t $H -n -- true; echo "rc=$?"
kill $H $S $N; wait
