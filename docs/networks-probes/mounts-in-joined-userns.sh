#!/bin/bash
cd /tmp/netx
rm -rf ov; mkdir -p ov/l ov/u ov/w ov/m; echo lower > ov/l/f
unshare --user --map-root-user --map-users=100000,1,65536 --map-groups=100000,1,65536 --net sh -c 'echo $$ > /tmp/netx/holder.pid; exec sleep 30' &
sleep 0.3; H=$(cat holder.pid)
nsenter -t $H -U --preserve-credentials -- unshare -m -p -n -u -i -f sh -c '
  mount --make-rslave / &&
  mount -t overlay -o userxattr,lowerdir=/tmp/netx/ov/l,upperdir=/tmp/netx/ov/u,workdir=/tmp/netx/ov/w overlay /tmp/netx/ov/m && echo "overlay(userxattr) ok: $(cat /tmp/netx/ov/m/f)"
  mkdir -p /tmp/netx/ov/m/proc /tmp/netx/ov/m/sys
  mount -t proc proc /tmp/netx/ov/m/proc && echo "proc ok"
  mount -t sysfs sysfs /tmp/netx/ov/m/sys && echo "sysfs ok (netns owned by this userns)"
  hostname node1 && echo "uts ok: $(hostname)"
  id; cat /proc/self/uid_map
  readlink /proc/self/ns/user; '
echo "holder userns: $(readlink /proc/$H/ns/user)"
kill $H; wait
