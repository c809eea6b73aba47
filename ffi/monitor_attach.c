/*
 * The monitor's attach socket, attach.sock (`rr attach`, `rr start -a`): the
 * container's output goes to every client, their stdin and resize frames to
 * the container (mon_client_frame in monitor.c).
 */
#define _GNU_SOURCE
#include "monitor.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct client {
  int fd;
  uint32_t have;
  uint8_t buf[5 + 4096];
};

static int listen_fd = -1;
static struct client clients[MAX_CLIENTS];

static void drop_client(int i) {
  close(clients[i].fd);
  clients[i].fd = -1;
}

/* Sends a frame to every attached client; one that cannot keep up for a second is dropped. */
void attach_broadcast(int type, const char *data, size_t len) {
  uint8_t head[5] = {(uint8_t)type, (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].fd < 0) continue;
    struct pollfd p = {clients[i].fd, POLLOUT, 0};
    if (poll(&p, 1, 1000) != 1 || mon_write_full(clients[i].fd, head, 5) < 0 || mon_write_full(clients[i].fd, data, len) < 0)
      drop_client(i);
  }
}

static void pump_client(int i) {
  struct client *c = &clients[i];
  ssize_t n;
  do n = read(c->fd, c->buf + c->have, sizeof c->buf - c->have); while (n < 0 && errno == EINTR);
  if (n <= 0) { drop_client(i); return; }
  c->have += (uint32_t)n;
  for (;;) {
    if (c->have < 5) return;
    uint32_t len = c->buf[1] | c->buf[2] << 8 | c->buf[3] << 16 | (uint32_t)c->buf[4] << 24;
    if (len > sizeof c->buf - 5) { drop_client(i); return; }
    if (c->have < 5 + len) return;
    mon_client_frame(c->buf[0], c->buf + 5, len);
    memmove(c->buf, c->buf + 5 + len, c->have - 5 - len);
    c->have -= 5 + len;
  }
}

static void accept_client(void) {
  int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].fd < 0) {
      clients[i].fd = fd;
      clients[i].have = 0;
      return;
    }
  }
  close(fd);
}

void attach_listen(void) {
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strcpy(a.sun_path, "attach.sock"); /* relative: the container dir may be deeper than sun_path allows */
  unlink(a.sun_path);
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) return;
  mode_t old = umask(077);
  if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(listen_fd, 8) < 0) {
    close(listen_fd);
    listen_fd = -1;
  }
  umask(old);
}

/* Takes the clients already waiting, without blocking. */
void attach_accept_pending(void) {
  struct pollfd pending = {listen_fd, POLLIN, 0};
  for (int i = 0; i < MAX_CLIENTS && listen_fd >= 0 && poll(&pending, 1, 0) == 1; i++) accept_client();
}

/* Fills ATTACH_POLLS pollfds: the socket (while accepting), then the clients. */
void attach_poll(struct pollfd *p, int accepting) {
  p[0] = (struct pollfd){accepting ? listen_fd : -1, POLLIN, 0};
  for (int i = 0; i < MAX_CLIENTS; i++) p[1 + i] = (struct pollfd){clients[i].fd, POLLIN, 0};
}

void attach_events(const struct pollfd *p) {
  if (p[0].revents) accept_client();
  for (int i = 0; i < MAX_CLIENTS; i++) if (p[1 + i].revents && clients[i].fd >= 0) pump_client(i);
}

void attach_close(void) {
  if (listen_fd >= 0) { close(listen_fd); unlink("attach.sock"); }
  for (int i = 0; i < MAX_CLIENTS; i++) if (clients[i].fd >= 0) drop_client(i);
}
