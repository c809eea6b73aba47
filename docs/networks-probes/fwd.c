/* Experiment: a published-port forwarder. Binds HOSTIP:HOSTPORT in the host netns (EADDRINUSE here is
 * the "port already in use" error), then enters the holder's user+net namespaces, and relays each
 * accepted connection to CTRIP:CTRPORT with splice() or read()/write().
 * usage: fwd splice|rw HOSTPORT HOLDER_PID CTRIP CTRPORT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static int use_splice;
struct dir { int from, to, p[2]; size_t inpipe; int eof; };
static int pump(struct dir *d) {   /* returns 0 done/eof, 1 again, -1 error */
  static char buf[1 << 16];
  if (use_splice) {
    for (;;) {
      if (!d->eof && d->inpipe < (1 << 20)) {
        ssize_t n = splice(d->from, NULL, d->p[1], NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n == 0) d->eof = 1; else if (n > 0) d->inpipe += (size_t)n; else if (errno != EAGAIN) return -1;
      }
      if (d->inpipe) {
        ssize_t n = splice(d->p[0], NULL, d->to, NULL, d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) { d->inpipe -= (size_t)n; continue; }
        if (n < 0 && errno != EAGAIN) return -1;
      }
      break;
    }
  } else {
    ssize_t n = read(d->from, buf, sizeof buf);
    if (n == 0) d->eof = 1;
    else if (n > 0) { for (ssize_t o = 0; o < n;) { ssize_t w = write(d->to, buf + o, (size_t)(n - o)); if (w < 0) { if (errno == EAGAIN) { struct pollfd p = {d->to, POLLOUT, 0}; poll(&p, 1, -1); continue; } return -1; } o += w; } }
    else if (errno != EAGAIN) return -1;
  }
  if (d->eof && !d->inpipe) { shutdown(d->to, SHUT_WR); return 0; }
  return 1;
}
int main(int argc, char **argv) {
  if (argc != 6) return 2;
  use_splice = !strcmp(argv[1], "splice");
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(l, (void *)&a, sizeof a) < 0) { fprintf(stderr, "fwd: bind 127.0.0.1:%s: %s\n", argv[2], strerror(errno)); return 1; }
  listen(l, 128);
  char p[64];
  snprintf(p, sizeof p, "/proc/%s/ns/user", argv[3]); int u = open(p, O_RDONLY);
  snprintf(p, sizeof p, "/proc/%s/ns/net", argv[3]); int n = open(p, O_RDONLY);
  if (u >= 0 && setns(u, CLONE_NEWUSER) < 0) { perror("setns user"); return 1; }
  if (setns(n, CLONE_NEWNET) < 0) { perror("setns net"); return 1; }
  struct sockaddr_in t = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[5]))};
  inet_pton(AF_INET, argv[4], &t.sin_addr);
  fprintf(stderr, "fwd: listening on 127.0.0.1:%s (host netns) -> %s:%s (holder netns), %s\n", argv[2], argv[4], argv[5], argv[1]);
  for (;;) {
    int c = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) continue;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* created after setns: lives in the holder's netns */
    if (connect(s, (void *)&t, sizeof t) < 0) { perror("connect"); close(c); close(s); continue; }
    fcntl(s, F_SETFL, O_NONBLOCK);
    struct dir d[2] = {{c, s, {-1, -1}, 0, 0}, {s, c, {-1, -1}, 0, 0}};
    if (use_splice) for (int i = 0; i < 2; i++) { pipe2(d[i].p, O_CLOEXEC | O_NONBLOCK); fcntl(d[i].p[1], F_SETPIPE_SZ, 1 << 20); }
    int live[2] = {1, 1};
    while (live[0] || live[1]) {
      struct pollfd pf[2] = {{live[0] ? c : -1, POLLIN, 0}, {live[1] ? s : -1, POLLIN, 0}};
      if (poll(pf, 2, -1) < 0) break;
      for (int i = 0; i < 2; i++) if (live[i] && pf[i].revents) { int r = pump(&d[i]); if (r <= 0) live[i] = 0; }
    }
    close(c); close(s);
    for (int i = 0; i < 2; i++) if (d[i].p[0] >= 0) { close(d[i].p[0]); close(d[i].p[1]); }
  }
}
