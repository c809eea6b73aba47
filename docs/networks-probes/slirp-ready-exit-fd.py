import os, subprocess, time, sys
os.chdir('/tmp/netx')
web = subprocess.Popen(['busybox','httpd','-f','-p','127.0.0.1:18080','-h','/tmp/netx/www'])
holder = subprocess.Popen(['unshare','--user','--map-root-user','--net','sleep','60'])
time.sleep(0.2)
H = str(holder.pid)
# unshare execs sleep in place: the pid is the namespace holder
rr, rw = os.pipe(); er, ew = os.pipe()
t0 = time.monotonic()
sl = subprocess.Popen(['slirp4netns','--configure','--mtu=65520','--disable-host-loopback','--enable-sandbox','--enable-seccomp',
                       f'--ready-fd={rw}', f'--exit-fd={er}', H, 'tap0'], pass_fds=(rw, er), stdout=open('slirp.log','w'), stderr=subprocess.STDOUT)
os.close(rw); os.close(er)
r = os.read(rr, 1)
print(f"slirp4netns (sandbox+seccomp) ready-fd said {r!r} after {(time.monotonic()-t0)*1000:.1f} ms")
IN = ['nsenter','-t',H,'-U','-n','--preserve-credentials','--']
out = subprocess.run(IN + ['timeout','5','sh','-c',"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc 10.0.2.2 18080 | tail -1"], capture_output=True, text=True)
print("with --disable-host-loopback, netns -> 10.0.2.2:18080:", repr(out.stdout.strip()), repr(out.stderr.strip()))
print(subprocess.run(IN + ['ip','-br','addr','show','tap0'], capture_output=True, text=True).stdout.strip())
os.close(ew)
try:
    sl.wait(timeout=2); print("slirp4netns exited when its exit-fd closed, status", sl.returncode)
except subprocess.TimeoutExpired:
    print("slirp4netns still running after exit-fd closed"); sl.kill()
holder.kill(); web.kill(); holder.wait(); web.wait()
