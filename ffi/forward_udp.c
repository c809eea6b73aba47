/*
 * The port forwarder's udp half: one connected socket in the target per client
 * address (a flow), replies sent back with sendto() on the host socket; a flow
 * idle for 90 s (-i MS) is dropped, and past 4096 (-c N) the least recently
 * used goes.
 */
#define _GNU_SOURCE
#include "forward.h"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

int fwd_udp_idle_ms = 90000, fwd_udp_max_flows = 4096;

struct flow {
  int fd, listener, dead;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  long long last;          /* ms of the last datagram either way: for the idle time */
  unsigned long long used; /* its rank in use order: for the cap (many share a ms) */
};

static struct flow *flows;
static int n_flows, cap_flows;
static unsigned long long uses;
static char dgram[65536];

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
    if (oldest < 0 || f->used < flows[oldest].used) oldest = i;
  }
  const struct listener *l = &fwd_lst[li];
  int fd = socket(l->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 && errno == EMFILE && oldest >= 0) { /* out of fds before the cap: make room */
    close_flow(&flows[oldest]);
    live--, oldest = -1;
    fd = socket(l->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) return NULL;
  if (connect(fd, (const struct sockaddr *)&l->target, l->target_len) < 0 ||
      fwd_grow((void **)&flows, &cap_flows, n_flows + 1, sizeof *flows) < 0) {
    close(fd);
    return NULL;
  }
  /* full: the least recently used goes, once the new flow exists */
  if (live >= fwd_udp_max_flows && oldest >= 0) close_flow(&flows[oldest]);
  struct flow *f = &flows[n_flows++];
  *f = (struct flow){.fd = fd, .listener = li, .peer_len = len, .last = fwd_now_ms};
  memcpy(&f->peer, peer, len);
  return f;
}

void fwd_udp_from_client(int li) {
  for (int i = 0; i < ACCEPT_BURST; i++) {
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    ssize_t n = recvfrom(fwd_lst[li].fd, dgram, sizeof dgram, MSG_DONTWAIT, (struct sockaddr *)&peer, &len);
    if (n < 0) return;
    struct flow *f = flow_for(li, &peer, len);
    if (!f) continue;
    f->last = fwd_now_ms, f->used = ++uses;
    (void)!send(f->fd, dgram, (size_t)n, MSG_DONTWAIT); /* udp: a full buffer drops, as the network would */
  }
}

/* Replies from the target, back to the flow's client. */
void fwd_udp_event(int idx) {
  struct flow *f = &flows[idx];
  if (f->dead) return;
  for (int i = 0; i < ACCEPT_BURST; i++) {
    ssize_t n = recv(f->fd, dgram, sizeof dgram, MSG_DONTWAIT); /* also clears ECONNREFUSED from ICMP */
    if (n < 0) return;
    f->last = fwd_now_ms, f->used = ++uses;
    (void)!sendto(fwd_lst[f->listener].fd, dgram, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&f->peer, f->peer_len);
  }
}

/* Drops idle flows; returns the ms until the next one expires (-1: none). */
int fwd_udp_expire(void) {
  long long next = -1;
  for (int i = 0; i < n_flows; i++) {
    struct flow *f = &flows[i];
    if (f->dead) continue;
    long long left = f->last + fwd_udp_idle_ms - fwd_now_ms;
    if (left <= 0) close_flow(f);
    else if (next < 0 || left < next) next = left;
  }
  return (int)next;
}

/* Drops closed flows; returns the pollfds the others need. */
int fwd_udp_compact(void) {
  int j = 0;
  for (int i = 0; i < n_flows; i++)
    if (!flows[i].dead) flows[j++] = flows[i];
  n_flows = j;
  return n_flows;
}

void fwd_udp_poll(int *n) {
  for (int i = 0; i < n_flows; i++) fwd_add_poll(n, flows[i].fd, POLLIN, REF_FLOW, i);
}
