/*
 * The port forwarder's tcp half: accept on the host socket, connect to the
 * target from inside its network namespace, then splice() each direction
 * through a pipe (read()/write() where splice() cannot), half-close aware.
 */
#define _GNU_SOURCE
#include "forward.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#define PIPE_SIZE (256 << 10)  /* per direction; unprivileged users have 64 MiB of pipes in all */
#define RW_BUF (64 << 10)
#define PUMP_ROUNDS 8          /* per wake-up, so one busy stream cannot starve the others */

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

static struct conn *conns;
static int n_conns, cap_conns;

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
  if (fwd_force_rw || pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0) return use_buffer(d);
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

/* Either of the connection's sockets is ready: both directions are pumped
 * (cheap, and a pair of events needs one call). */
void fwd_tcp_event(int idx) {
  struct conn *c = &conns[idx];
  if (c->dead) return;
  if (c->connecting) {
    connected(c);
    if (c->dead) return;
  }
  if (pump(&c->d[0]) < 0 || pump(&c->d[1]) < 0 || (c->d[0].shut && c->d[1].shut)) kill_conn(c);
}

void fwd_tcp_accept(const struct listener *l) {
  for (int i = 0; i < ACCEPT_BURST; i++) {
    int client = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) fwd_accept_paused_until = fwd_now_ms + 100;
      return;
    }
    /* made after setns: this socket lives in the target's network namespace */
    int server = socket(l->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (server < 0 || fwd_grow((void **)&conns, &cap_conns, n_conns + 1, sizeof *conns) < 0 ||
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

/* Drops closed connections; returns the pollfds the others need. */
int fwd_tcp_compact(void) {
  int j = 0;
  for (int i = 0; i < n_conns; i++)
    if (!conns[i].dead) conns[j++] = conns[i];
  n_conns = j;
  return 2 * n_conns;
}

void fwd_tcp_poll(int *n) {
  for (int i = 0; i < n_conns; i++) {
    struct conn *c = &conns[i];
    if (c->connecting) {
      fwd_add_poll(n, c->server, POLLOUT, REF_SERVER, i);
      continue;
    }
    fwd_add_poll(n, c->client, (short)((wants_in(&c->d[0]) ? POLLIN : 0) | (c->d[1].held ? POLLOUT : 0)), REF_CLIENT, i);
    fwd_add_poll(n, c->server, (short)((wants_in(&c->d[1]) ? POLLIN : 0) | (c->d[0].held ? POLLOUT : 0)), REF_SERVER, i);
  }
}
