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
 *        sent back with sendto() on the host socket, dropped after 90 s idle.
 *
 * argv (argv[0] is "-F"):
 *   -l FD        lifeline: the read end of a pipe; we exit when it hangs up
 *   -u FD        the target's user namespace (optional: rootless)
 *   -n FD        the target's network namespace
 *   -s FD        status: "ok\n" or the error is written here, then closed (optional)
 *   -t FD:IP:PORT  a listening tcp socket and where to connect in the target
 *   -U FD:IP:PORT  a bound udp socket and where to send in the target
 *   -R           relay with read()/write() instead of splice() (tests)
 * Every other fd is closed. Exit status: 0 on lifeline hang-up, 2 bad usage,
 * 1 when the namespaces cannot be entered.
 */
#define _GNU_SOURCE
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

#define MAX_LISTENERS 256
#define PIPE_SIZE (256 << 10)  /* per direction; unprivileged users have 64 MiB of pipes in all */
#define RW_BUF (64 << 10)
#define PUMP_ROUNDS 8          /* per wake-up, so one busy stream cannot starve the others */
#define ACCEPT_BURST 64
#define UDP_IDLE_MS 90000
#define UDP_MAX_FLOWS 4096

struct listener {
  int fd, udp;
  struct sockaddr_storage target;
  socklen_t target_len;
};

/* One direction of a tcp connection: bytes read from `from` wait in a pipe
 * (or in buf, read/write mode) until `to` takes them. */
struct dir {
  int from, to, pipe[2];
  size_t held, cap, off;
  char *buf;
  int eof, shut, pipe_full;
};

struct conn {
  int client, server, connecting, dead;
  struct dir d[2]; /* [0] client → server, [1] server → client */
};

struct flow {
  int fd, listener, dead;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  long long last;
};

enum { REF_LIFELINE, REF_LISTENER, REF_CLIENT, REF_SERVER, REF_FLOW };
struct ref { int kind, idx; };

static struct listener lst[MAX_LISTENERS];
static int n_lst, lifeline = -1, force_rw;
static struct conn *conns;
static int n_conns, cap_conns;
static struct flow *flows;
static int n_flows, cap_flows;
static struct pollfd *pfd;
static struct ref *refs;
static int cap_poll, cap_refs;
static long long now_ms, accept_paused_until;
static char dgram[65536];

static long long monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Grows *arr to hold at least `need` elements of `size`; 0 or -1 (out of memory). */
static int grow(void **arr, int *cap, int need, size_t size) {
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
  if (n_lst == MAX_LISTENERS || !c1 || c1 == c2 || (size_t)(c2 - c1 - 1) >= sizeof ip) return -1;
  struct listener *l = &lst[n_lst];
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

/* ---- tcp ---- */

/* A pipe counts pages, not bytes: it can be full below `cap` (pipe_full), and then
 * the readable socket must not be polled until the pipe drains, or we would spin. */
static int wants_in(const struct dir *d) {
  return !d->eof && (d->buf ? d->held == 0 : d->held < d->cap && !d->pipe_full);
}

/* Read/write mode: for fds splice() refuses, when no pipe can be made, or -R. */
static int use_buffer(struct dir *d) {
  if (d->pipe[0] >= 0) close(d->pipe[0]), close(d->pipe[1]);
  d->pipe[0] = d->pipe[1] = -1;
  d->buf = malloc(RW_BUF);
  d->cap = RW_BUF;
  return d->buf ? 0 : -1;
}

static int open_dir(struct dir *d, int from, int to) {
  *d = (struct dir){.from = from, .to = to, .pipe = {-1, -1}};
  if (force_rw || pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0) return use_buffer(d);
  fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_SIZE); /* best effort: the default 64 KiB also works */
  int sz = fcntl(d->pipe[1], F_GETPIPE_SZ);
  d->cap = sz > 0 ? (size_t)sz : 65536;
  return 0;
}

/* Takes bytes from d->from: 1 some, 0 none for now, -1 error. */
static int fill(struct dir *d) {
  if (!wants_in(d)) return 0;
  ssize_t n = d->buf ? read(d->from, d->buf, d->cap)
                     : splice(d->from, NULL, d->pipe[1], NULL, d->cap - d->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (n > 0) {
    d->held += (size_t)n, d->off = 0;
    return 1;
  }
  if (n == 0) d->eof = 1;
  else if (errno == EAGAIN && d->held) d->pipe_full = 1; /* or the socket is empty: either way wait for the drain */
  else if (errno == EINVAL && !d->buf && d->held == 0) return use_buffer(d) < 0 ? -1 : fill(d);
  else if (errno != EAGAIN && errno != EINTR) return -1;
  return 0;
}

/* Gives held bytes to d->to: 1 some, 0 none for now, -1 error. */
static int drain(struct dir *d) {
  if (!d->held) return 0;
  ssize_t n = d->buf ? write(d->to, d->buf + d->off, d->held)
                     : splice(d->pipe[0], NULL, d->to, NULL, d->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (n > 0) {
    d->held -= (size_t)n, d->off += (size_t)n, d->pipe_full = 0;
    return 1;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

static int pump(struct dir *d) {
  for (int i = 0; i < PUMP_ROUNDS; i++) {
    int in = fill(d), out = in < 0 ? -1 : drain(d);
    if (in < 0 || out < 0) return -1;
    if (!in && !out) break;
  }
  if (d->eof && !d->held && !d->shut) {
    shutdown(d->to, SHUT_WR); /* pass the half-close on: the other way keeps flowing */
    d->shut = 1;
  }
  return 0;
}

static void kill_conn(struct conn *c) {
  close(c->client);
  close(c->server);
  for (int i = 0; i < 2; i++) {
    if (c->d[i].pipe[0] >= 0) close(c->d[i].pipe[0]), close(c->d[i].pipe[1]);
    free(c->d[i].buf);
  }
  c->dead = 1;
}

/* The connect in the target finished (or failed: the client is closed, nothing else happens). */
static void connected(struct conn *c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->server, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
    kill_conn(c);
    return;
  }
  c->connecting = 0;
  if (open_dir(&c->d[0], c->client, c->server) < 0 || open_dir(&c->d[1], c->server, c->client) < 0) kill_conn(c);
}

static void conn_event(struct conn *c) {
  if (c->connecting) {
    connected(c);
    if (c->dead) return;
  }
  if (pump(&c->d[0]) < 0 || pump(&c->d[1]) < 0 || (c->d[0].shut && c->d[1].shut)) kill_conn(c);
}

static void accept_on(const struct listener *l) {
  for (int i = 0; i < ACCEPT_BURST; i++) {
    int client = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) accept_paused_until = now_ms + 100;
      return;
    }
    /* made after setns: this socket lives in the target's network namespace */
    int server = socket(l->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (server < 0 || grow((void **)&conns, &cap_conns, n_conns + 1, sizeof *conns) < 0 ||
        (connect(server, (const struct sockaddr *)&l->target, l->target_len) < 0 && errno != EINPROGRESS)) {
      close(client);
      if (server >= 0) close(server);
      continue;
    }
    struct conn *c = &conns[n_conns++];
    *c = (struct conn){.client = client, .server = server, .connecting = 1};
    c->d[0].pipe[0] = c->d[0].pipe[1] = c->d[1].pipe[0] = c->d[1].pipe[1] = -1;
  }
}

/* ---- udp ---- */

static void close_flow(struct flow *f) {
  close(f->fd);
  f->dead = 1;
}

static struct flow *flow_for(int li, const struct sockaddr_storage *peer, socklen_t len) {
  int live = 0, oldest = -1;
  for (int i = 0; i < n_flows; i++) {
    struct flow *f = &flows[i];
    if (f->dead) continue;
    if (f->listener == li && f->peer_len == len && !memcmp(&f->peer, peer, len)) return f;
    live++;
    if (oldest < 0 || f->last < flows[oldest].last) oldest = i;
  }
  if (live >= UDP_MAX_FLOWS) close_flow(&flows[oldest]); /* full: the least recently used goes */
  if (grow((void **)&flows, &cap_flows, n_flows + 1, sizeof *flows) < 0) return NULL;
  const struct listener *l = &lst[li];
  int fd = socket(l->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return NULL;
  if (connect(fd, (const struct sockaddr *)&l->target, l->target_len) < 0) {
    close(fd);
    return NULL;
  }
  struct flow *f = &flows[n_flows++];
  *f = (struct flow){.fd = fd, .listener = li, .peer_len = len, .last = now_ms};
  memcpy(&f->peer, peer, len);
  return f;
}

static void udp_from_client(int li) {
  for (int i = 0; i < ACCEPT_BURST; i++) {
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    ssize_t n = recvfrom(lst[li].fd, dgram, sizeof dgram, MSG_DONTWAIT, (struct sockaddr *)&peer, &len);
    if (n < 0) return;
    struct flow *f = flow_for(li, &peer, len);
    if (!f) continue;
    f->last = now_ms;
    (void)!send(f->fd, dgram, (size_t)n, MSG_DONTWAIT); /* udp: a full buffer drops, as the network would */
  }
}

static void udp_from_target(struct flow *f) {
  for (int i = 0; i < ACCEPT_BURST; i++) {
    ssize_t n = recv(f->fd, dgram, sizeof dgram, MSG_DONTWAIT); /* also clears ECONNREFUSED from ICMP */
    if (n < 0) return;
    f->last = now_ms;
    (void)!sendto(lst[f->listener].fd, dgram, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&f->peer, f->peer_len);
  }
}

/* Drops idle flows; returns the ms until the next one expires (-1: none). */
static int expire_flows(void) {
  long long next = -1;
  for (int i = 0; i < n_flows; i++) {
    struct flow *f = &flows[i];
    if (f->dead) continue;
    long long left = f->last + UDP_IDLE_MS - now_ms;
    if (left <= 0) close_flow(f);
    else if (next < 0 || left < next) next = left;
  }
  return (int)next;
}

/* ---- the loop ---- */

static void add_poll(int *n, int fd, short events, int kind, int idx) {
  pfd[*n] = (struct pollfd){.fd = events ? fd : -1, .events = events};
  refs[*n] = (struct ref){kind, idx};
  (*n)++;
}

/* One pollfd per fd that waits for something; returns the count or -1. */
static int build_poll(void) {
  if (grow((void **)&pfd, &cap_poll, 1 + n_lst + 2 * n_conns + n_flows, sizeof *pfd) < 0) return -1;
  if (grow((void **)&refs, &cap_refs, cap_poll, sizeof *refs) < 0) return -1;
  int n = 0;
  add_poll(&n, lifeline, POLLRDHUP, REF_LIFELINE, 0); /* hang-up is reported whatever we ask */
  for (int i = 0; i < n_lst; i++) add_poll(&n, lst[i].fd, lst[i].udp || now_ms >= accept_paused_until ? POLLIN : 0, REF_LISTENER, i);
  for (int i = 0; i < n_conns; i++) {
    struct conn *c = &conns[i];
    if (c->connecting) {
      add_poll(&n, c->server, POLLOUT, REF_SERVER, i);
      continue;
    }
    add_poll(&n, c->client, (short)((wants_in(&c->d[0]) ? POLLIN : 0) | (c->d[1].held ? POLLOUT : 0)), REF_CLIENT, i);
    add_poll(&n, c->server, (short)((wants_in(&c->d[1]) ? POLLIN : 0) | (c->d[0].held ? POLLOUT : 0)), REF_SERVER, i);
  }
  for (int i = 0; i < n_flows; i++) add_poll(&n, flows[i].fd, POLLIN, REF_FLOW, i);
  return n;
}

/* Drops closed connections and flows from their tables. */
static void compact(void) {
  int j = 0;
  for (int i = 0; i < n_conns; i++)
    if (!conns[i].dead) conns[j++] = conns[i];
  n_conns = j;
  j = 0;
  for (int i = 0; i < n_flows; i++)
    if (!flows[i].dead) flows[j++] = flows[i];
  n_flows = j;
}

static int relay(void) {
  for (;;) {
    now_ms = monotonic_ms();
    int timeout = expire_flows();
    if (now_ms < accept_paused_until && (timeout < 0 || accept_paused_until - now_ms < timeout))
      timeout = (int)(accept_paused_until - now_ms);
    compact();
    int n = build_poll();
    if (n < 0) return 1;
    if (poll(pfd, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    now_ms = monotonic_ms();
    for (int i = 0; i < n; i++) {
      if (!pfd[i].revents) continue;
      struct ref r = refs[i];
      if (r.kind == REF_LIFELINE) return 0;
      if (r.kind == REF_LISTENER) {
        if (lst[r.idx].udp) udp_from_client(r.idx);
        else accept_on(&lst[r.idx]);
      } else if (r.kind == REF_FLOW) {
        if (!flows[r.idx].dead) udp_from_target(&flows[r.idx]);
      } else if (!conns[r.idx].dead) {
        conn_event(&conns[r.idx]); /* both directions: cheap, and a pair of events needs one call */
      }
    }
  }
}

int rr_forward_main(int argc, char **argv) {
  int user_fd = -1, net_fd = -1, status = -1, keep[MAX_LISTENERS + 8], n_keep = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-R")) { force_rw = 1; continue; }
    if (!v) return 2;
    i++;
    if (!strcmp(a, "-l")) lifeline = atoi(v);
    else if (!strcmp(a, "-u")) user_fd = atoi(v);
    else if (!strcmp(a, "-n")) net_fd = atoi(v);
    else if (!strcmp(a, "-s")) status = atoi(v);
    else if (!strcmp(a, "-t") || !strcmp(a, "-U")) {
      if (parse_target(v, a[1] == 'U') < 0) {
        fprintf(stderr, "rr-monitor -F: bad %s %s\n", a, v);
        return 2;
      }
    } else return 2;
  }
  if (lifeline < 0 || net_fd < 0 || !n_lst) {
    fprintf(stderr, "usage: rr-monitor -F -l FD [-u FD] -n FD [-s FD] [-R] -t|-U FD:IP:PORT...\n");
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
  for (int i = 0; i < n_lst; i++) keep[n_keep++] = lst[i].fd;
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
  for (int i = 0; i < n_lst; i++) fcntl(lst[i].fd, F_SETFL, fcntl(lst[i].fd, F_GETFL) | O_NONBLOCK);
  report(status, "ok\n");
  if (status >= 0) close(status);
  return relay();
}
