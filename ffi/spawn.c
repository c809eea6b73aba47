/*
 * The parent's side of a container start, called from TypeScript through
 * bun:ffi: clone the child with its namespaces, hand back the pipes, release
 * it, read how its setup went, and learn asynchronously when it exits.
 */
#define _GNU_SOURCE
#include "rr_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define CHILD_STACK (256 * 1024)

int rr_abi_version(void) { return RR_ABI_VERSION; }

/* Returns 0 and fills *out, or -errno. The plan buffer must stay alive until
 * rr_release has been called (the child reads it from its copy of our memory,
 * which clone without CLONE_VM gives it at clone time: so only until clone). */
int rr_spawn(const uint8_t *plan, uint32_t len, uint64_t clone_flags, struct rr_spawn_result *out) {
  int err = rr_plan_check(plan, len);
  if (err) return -err;
  const struct rr_plan_header *h = (const struct rr_plan_header *)plan;
  int sync_pipe[2], err_pipe[2], console[2] = {-1, -1};
  if (pipe2(sync_pipe, O_CLOEXEC) < 0) return -errno;
  if (pipe2(err_pipe, O_CLOEXEC) < 0) { err = errno; goto close_sync; }
  if ((h->flags & RR_PLAN_TTY) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0) { err = errno; goto close_err; }

  void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) { err = errno; goto close_console; }
  struct rr_child_args args = {plan, len, sync_pipe[0], err_pipe[1], console[1], {sync_pipe[1], err_pipe[0], console[0]}};
  pid_t pid = clone(rr_child_main, (char *)stack + CHILD_STACK, (int)clone_flags | SIGCHLD, &args);
  err = errno;
  munmap(stack, CHILD_STACK);
  if (pid < 0) goto close_console;

  close(sync_pipe[0]);
  close(err_pipe[1]);
  if (console[1] >= 0) close(console[1]);
  out->pid = pid;
  out->sync_fd = sync_pipe[1];
  out->error_fd = err_pipe[0];
  out->console_fd = console[0];
  return 0;

close_console:
  if (console[0] >= 0) { close(console[0]); close(console[1]); }
close_err:
  close(err_pipe[0]); close(err_pipe[1]);
close_sync:
  close(sync_pipe[0]); close(sync_pipe[1]);
  return -err;
}

/* Lets the child go on (ids mapped, cgroup joined), or kills it (go = 0). */
int rr_release(int sync_fd, int go) {
  int r = 0;
  if (go) {
    char byte = 1;
    ssize_t w;
    do w = write(sync_fd, &byte, 1); while (w < 0 && errno == EINTR);
    if (w != 1) r = -errno;
  }
  close(sync_fd);
  return r;
}

/* Blocks until the child exec'd (returns 0) or failed (returns 1 with *step and *err). */
int rr_read_setup(int error_fd, int32_t *step, int32_t *err) {
  struct rr_child_error e;
  ssize_t n;
  do n = read(error_fd, &e, sizeof e); while (n < 0 && errno == EINTR);
  close(error_fd);
  if (n == (ssize_t)sizeof e) { *step = e.step; *err = e.err; return 1; }
  return n < 0 ? -errno : 0;
}

/* Receives the pty master the child sent (RR_PLAN_TTY). */
int rr_recv_fd(int sock) {
  char byte;
  struct iovec iov = {&byte, 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  close(sock);
  if (n <= 0) return n < 0 ? -errno : -EPIPE;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -EPROTO;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

int rr_set_winsize(int fd, int rows, int cols) {
  struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
  return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* Packs rows << 16 | cols of a terminal, or -errno. */
int rr_get_winsize(int fd) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return -errno;
  return (ws.ws_row << 16) | ws.ws_col;
}

struct waiter { pid_t pid; int fd; };

static void *wait_thread(void *arg) {
  struct waiter w = *(struct waiter *)arg;
  free(arg);
  int status = 0;
  pid_t r;
  do r = waitpid(w.pid, &status, __WALL); while (r < 0 && errno == EINTR);
  int32_t code;
  if (r < 0) code = -1;
  else if (WIFEXITED(status)) code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) code = 128 + WTERMSIG(status);
  else code = -1;
  ssize_t unused = write(w.fd, &code, sizeof code);
  (void)unused;
  close(w.fd);
  return NULL;
}

/* Starts a thread that reaps pid and writes its exit code (int32, 128+N for
 * signal N) to the returned pipe: Bun reads a pipe asynchronously, a pidfd not. */
int rr_watch(int pid) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return -errno;
  struct waiter *w = malloc(sizeof *w);
  if (!w) { close(p[0]); close(p[1]); return -ENOMEM; }
  w->pid = pid;
  w->fd = p[1];
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int e = pthread_create(&t, &attr, wait_thread, w);
  pthread_attr_destroy(&attr);
  if (e) { free(w); close(p[0]); close(p[1]); return -e; }
  return p[0];
}

/* Synchronous reap, for short helper children (newuidmap is not ours: Bun reaps those). */
int rr_waitpid(int pid) {
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, __WALL); while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
