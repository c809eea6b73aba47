/*
 * rr-monitor -F: the published-port forwarder.
 *
 * rr binds the host sockets in its own network namespace (so a port in use
 * fails the run before the container exists) and hands them here with the
 * target's namespace fds. We enter the target's user (optional) and network
 * namespaces, so every socket made afterwards lives there, and relay:
 *   tcp  accept on the host socket, connect to IP:PORT in the target, then
 *        splice() each direction through a pipe, half-close aware;
 *   udp  one connected socket in the target per client address, replies
 *        sent back with sendto() on the host socket, dropped when idle.
 *
 * argv (argv[0] is "-F"):
 *   -l FD        lifeline: the read end of a pipe; we exit when it hangs up
 *   -u FD        the target's user namespace (optional: rootless)
 *   -n FD        the target's network namespace
 *   -s FD        status: "ok\n" or the error is written here, then closed (optional)
 *   -t FD:IP:PORT  a listening tcp socket and where to connect in the target
 *   -U FD:IP:PORT  a bound udp socket and where to send in the target
 *   -R           relay with read()/write() instead of splice() (tests)
 *   -i MS        drop a udp flow idle this long (default 90000)
 *   -c N         keep at most N udp flows, dropping the least recently used (default 4096)
 * Every other fd is closed. Exit status: 0 on lifeline hang-up, 2 bad usage,
 * 1 when the namespaces cannot be entered.
 *
 * This file sets up and runs the poll loop; the relays are forward_tcp.c and
 * forward_udp.c.
 */
#define _GNU_SOURCE
#include "forward.h"
#include "rr_net.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct ref { int kind, idx; };

struct listener *fwd_lst; /* one per -t/-U: at most argc/2, sized at start */
int fwd_force_rw;
long long fwd_now_ms, fwd_accept_paused_until;
static int n_lst, lifeline = -1;
static struct pollfd *pfd;
static struct ref *refs;
static int cap_poll, cap_refs;

static long long monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Grows *arr to hold at least `need` elements of `size`; 0 or -1 (out of memory). */
int fwd_grow(void **arr, int *cap, int need, size_t size) {
  if (need <= *cap) return 0;
  int n = *cap ? *cap * 2 : 64;
  while (n < need) n *= 2;
  void *p = realloc(*arr, (size_t)n * size);
  if (!p) return -1;
  *arr = p;
  *cap = n;
  return 0;
}

/* ---- start-up ---- */

static int parse_target(const char *arg, int udp) {
  char ip[INET6_ADDRSTRLEN + 2];
  const char *c1 = strchr(arg, ':'), *c2 = strrchr(arg, ':');
  if (!c1 || c1 == c2 || (size_t)(c2 - c1 - 1) >= sizeof ip) return -1;
  struct listener *l = &fwd_lst[n_lst];
  l->fd = atoi(arg);
  l->udp = udp;
  int port = atoi(c2 + 1);
  memcpy(ip, c1 + 1, (size_t)(c2 - c1 - 1));
  ip[c2 - c1 - 1] = 0;
  char *p = ip;
  if (*p == '[' && p[strlen(p) - 1] == ']') p[strlen(p) - 1] = 0, p++;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&l->target;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&l->target;
  memset(&l->target, 0, sizeof l->target);
  if (inet_pton(AF_INET, p, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET, a4->sin_port = htons((uint16_t)port), l->target_len = sizeof *a4;
  } else if (inet_pton(AF_INET6, p, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6, a6->sin6_port = htons((uint16_t)port), l->target_len = sizeof *a6;
  } else {
    return -1;
  }
  int type = 0;
  socklen_t len = sizeof type;
  if (l->fd < 3 || port <= 0 || port > 65535 || getsockopt(l->fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
      type != (udp ? SOCK_DGRAM : SOCK_STREAM))
    return -1;
  n_lst++;
  return 0;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* Closes every fd but the named ones: rr's other fds must not live on here. */
static void close_others(int *keep, int n) {
  qsort(keep, (size_t)n, sizeof *keep, cmp_int);
  unsigned lo = 0;
  for (int i = 0; i <= n; i++) {
    unsigned hi = i < n ? (unsigned)keep[i] : ~0u;
    if (hi > lo && syscall(SYS_close_range, lo, hi - 1, 0) < 0)
      for (unsigned fd = lo; fd < hi && fd < 65536; fd++) close((int)fd);
    if (i < n) lo = (unsigned)keep[i] + 1;
  }
}

static void report(int fd, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (fd >= 0 && n > 0) (void)!write(fd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}

/* ---- the loop ---- */

void fwd_add_poll(int *n, int fd, short events, int kind, int idx) {
  pfd[*n] = (struct pollfd){.fd = events ? fd : -1, .events = events};
  refs[*n] = (struct ref){kind, idx};
  (*n)++;
}

/* One pollfd per fd that waits for something; returns the count or -1. Closed
 * connections and flows leave their tables first: a pollfd's idx is an index there. */
static int build_poll(void) {
  int relayed = fwd_tcp_compact() + fwd_udp_compact();
  if (fwd_grow((void **)&pfd, &cap_poll, 1 + n_lst + relayed, sizeof *pfd) < 0) return -1;
  if (fwd_grow((void **)&refs, &cap_refs, cap_poll, sizeof *refs) < 0) return -1;
  int n = 0;
  fwd_add_poll(&n, lifeline, POLLRDHUP, REF_LIFELINE, 0); /* hang-up is reported whatever we ask */
  for (int i = 0; i < n_lst; i++)
    fwd_add_poll(&n, fwd_lst[i].fd, fwd_lst[i].udp || fwd_now_ms >= fwd_accept_paused_until ? POLLIN : 0, REF_LISTENER, i);
  fwd_tcp_poll(&n);
  fwd_udp_poll(&n);
  return n;
}

static int relay(void) {
  for (;;) {
    fwd_now_ms = monotonic_ms();
    int timeout = fwd_udp_expire();
    if (fwd_now_ms < fwd_accept_paused_until && (timeout < 0 || fwd_accept_paused_until - fwd_now_ms < timeout))
      timeout = (int)(fwd_accept_paused_until - fwd_now_ms);
    int n = build_poll();
    if (n < 0) return 1;
    if (poll(pfd, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    fwd_now_ms = monotonic_ms();
    for (int i = 0; i < n; i++) {
      if (!pfd[i].revents) continue;
      struct ref r = refs[i];
      if (r.kind == REF_LIFELINE) return 0;
      if (r.kind == REF_LISTENER) {
        if (fwd_lst[r.idx].udp) fwd_udp_from_client(r.idx);
        else fwd_tcp_accept(&fwd_lst[r.idx]);
      } else if (r.kind == REF_FLOW) {
        fwd_udp_event(r.idx);
      } else {
        fwd_tcp_event(r.idx);
      }
    }
  }
}

int rr_forward_main(int argc, char **argv) {
  int user_fd = -1, net_fd = -1, status = -1, n_keep = 0;
  /* every listener takes two arguments: argc bounds them (a -p range of a thousand ports is fine) */
  fwd_lst = calloc((size_t)argc, sizeof *fwd_lst);
  int *keep = calloc((size_t)argc + 8, sizeof *keep);
  if (!fwd_lst || !keep) return 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-R")) { fwd_force_rw = 1; continue; }
    if (!v) return 2;
    i++;
    if (!strcmp(a, "-l")) lifeline = atoi(v);
    else if (!strcmp(a, "-u")) user_fd = atoi(v);
    else if (!strcmp(a, "-n")) net_fd = atoi(v);
    else if (!strcmp(a, "-s")) status = atoi(v);
    else if (!strcmp(a, "-i") || !strcmp(a, "-c")) {
      if (atoi(v) <= 0) {
        fprintf(stderr, "rr-monitor -F: %s needs a positive number, not %s\n", a, v);
        return 2;
      }
      *(a[1] == 'i' ? &fwd_udp_idle_ms : &fwd_udp_max_flows) = atoi(v);
    }
    else if (!strcmp(a, "-t") || !strcmp(a, "-U")) {
      if (parse_target(v, a[1] == 'U') < 0) {
        fprintf(stderr, "rr-monitor -F: bad %s %s\n", a, v);
        return 2;
      }
    } else return 2;
  }
  if (lifeline < 0 || net_fd < 0 || !n_lst) {
    fprintf(stderr, "usage: rr-monitor -F -l FD [-u FD] -n FD [-s FD] [-R] [-i MS] [-c N] -t|-U FD:IP:PORT...\n");
    return 2;
  }
  setsid(); /* no terminal's signals */
  prctl(PR_SET_DUMPABLE, 0); /* the container's root must not ptrace a holder of host sockets */
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max; /* many connections, two sockets and two pipes each */
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int fixed[] = {0, 1, 2, lifeline, user_fd, net_fd, status};
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
    if (fixed[i] >= 0) keep[n_keep++] = fixed[i];
  for (int i = 0; i < n_lst; i++) keep[n_keep++] = fwd_lst[i].fd;
  close_others(keep, n_keep);

  if (user_fd >= 0 && setns(user_fd, CLONE_NEWUSER) < 0) {
    report(status, "cannot enter the container's user namespace: %s\n", strerror(errno));
    return 1;
  }
  if (setns(net_fd, CLONE_NEWNET) < 0) {
    report(status, "cannot enter the container's network namespace: %s\n", strerror(errno));
    return 1;
  }
  if (user_fd >= 0) close(user_fd);
  close(net_fd);
  for (int i = 0; i < n_lst; i++) fcntl(fwd_lst[i].fd, F_SETFL, fcntl(fwd_lst[i].fd, F_GETFL) | O_NONBLOCK);
  report(status, "ok\n");
  if (status >= 0) close(status);
  return relay();
}
