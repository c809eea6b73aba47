/*
 * Joining a running container (rr exec), as runc's nsexec does:
 *
 *   rr ──clone──▶ intermediate: non-dumpable, closes rr's fds, setns() into
 *                 each of the container's namespaces (user first), then
 *                 clone(CLONE_PARENT) ──▶ the child, rr's own child, inside
 *                 the container's pid namespace; reports its pid and exits.
 *
 * The child runs rr_child_main (child.c) like any container start: it waits
 * for rr's release (rr puts it in the container's cgroup first), then runs
 * the plan (no pivot: the mount namespace's root already is the container's)
 * and execs. The result matches rr_spawn's, so the rest of launch works as is.
 *
 * CVE-2019-5736: the intermediate and the child stay non-dumpable until
 * execve, so no container process can reach rr's binary through
 * /proc/<pid>/exe or its fds through /proc/<pid>/fd while they wait.
 */
#define _GNU_SOURCE
#include "rr_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

/* Join order: the user namespace first (it grants the rights to join the
 * others), the mount namespace last. Indexes are reported to TypeScript. */
static const struct { const char *name; int flag; } NS[] = {
  {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
  {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
};
#define N_NS ((int)(sizeof NS / sizeof NS[0]))

struct joiner {
  struct rr_child_args child;
  int ns_fd[N_NS];  /* -1: not joined (already ours, or not asked) */
  int report_fd;    /* write end: struct report */
  uint32_t flags;
  int new_container;    /* rr_spawn_into: a new container, not a process in a running one */
  int new_pid;          /* unshare a pid namespace before the clone: the child is its PID 1 */
  uint64_t clone_flags; /* further namespaces the child gets new (CLONE_NEW*, never user or pid) */
};

/* What the intermediate tells rr: the child's pid, or where it failed. */
struct report {
  int32_t pid;
  int32_t phase;  /* RR_JOIN_PHASE_* */
  int32_t ns;     /* index into NS for the open/setns phases */
  int32_t err;
};

static void report_and_exit(int fd, int32_t pid, int32_t phase, int32_t ns, int32_t err) {
  struct report r = {pid, phase, ns, err};
  ssize_t unused = write(fd, &r, sizeof r);
  (void)unused;
  _exit(pid > 0 ? 0 : 1);
}

/* Closes every fd but the listed ones (a small unsorted list, -1 ignored). */
static void close_all_but(int *keep, int n) {
  for (int i = 1; i < n; i++) {  /* insertion sort: n is tiny */
    int v = keep[i], j = i - 1;
    while (j >= 0 && keep[j] > v) { keep[j + 1] = keep[j]; j--; }
    keep[j + 1] = v;
  }
  unsigned int from = 0;
  for (int i = 0; i < n; i++) {
    if (keep[i] < 0) continue;
    if ((unsigned int)keep[i] > from) syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0);
    from = (unsigned int)keep[i] + 1;
  }
  syscall(SYS_close_range, from, ~0U, 0);
}

/* stdio on the container's own /dev/null (exec -d): opened after joining its
 * mount namespace, and refused unless it really is the null device. */
static int stdio_to_null(void) {
  int fd = open("/dev/null", O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) { close(fd); return ENXIO; }
  for (int i = 0; i < 3; i++) if (dup2(fd, i) < 0) { int e = errno; close(fd); return e; }
  close(fd);
  return 0;
}

static int intermediate_main(void *arg) {
  struct joiner *j = arg;
  int rfd = j->report_fd;
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);  /* Bun's handlers must never run here; child.c resets this before execve */
  /* joining a running container: its processes must not reach us (see the top). A new container's
   * child is alone in its new pid namespace, and rr must open its /proc/<pid>/ns files to wire it */
  if (!j->new_container && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) report_and_exit(rfd, -1, RR_JOIN_PHASE_DUMPABLE, -1, errno);

  int keep[3 + N_NS + 4], n = 0;
  for (int i = 0; i < 3; i++) keep[n++] = i;
  for (int i = 0; i < N_NS; i++) keep[n++] = j->ns_fd[i];
  keep[n++] = j->child.sync_fd;
  keep[n++] = j->child.error_fd;
  keep[n++] = j->child.console_fd;
  keep[n++] = rfd;
  close_all_but(keep, n);  /* also the parent's ends of the pipes */

  for (int i = 0; i < N_NS; i++) {
    if (j->ns_fd[i] < 0) continue;
    if (setns(j->ns_fd[i], NS[i].flag) < 0) report_and_exit(rfd, -1, RR_JOIN_PHASE_SETNS, i, errno);
    close(j->ns_fd[i]);
  }
  if (j->flags & RR_JOIN_STDIO_NULL) {
    int e = stdio_to_null();
    if (e) report_and_exit(rfd, -1, RR_JOIN_PHASE_DEVNULL, -1, e);
  }
  /* clone refuses CLONE_PARENT with CLONE_NEWPID; unsharing first puts our next child in a new pid namespace */
  if (j->new_pid && unshare(CLONE_NEWPID) < 0) report_and_exit(rfd, -1, RR_JOIN_PHASE_CLONE, -1, errno);

  void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) report_and_exit(rfd, -1, RR_JOIN_PHASE_CLONE, -1, errno);
  /* CLONE_PARENT: the child is rr's, so rr reaps it and learns its status;
   * setns(pid) made our children, not us, members of the container's pid namespace */
  pid_t pid = clone(rr_child_main, (char *)stack + STACK_SIZE, (int)j->clone_flags | CLONE_PARENT | SIGCHLD, &j->child);
  if (pid < 0) report_and_exit(rfd, -1, RR_JOIN_PHASE_CLONE, -1, errno);
  report_and_exit(rfd, pid, 0, -1, 0);
  return 0;
}

/* Opens /proc/<pid>/ns/<name>: -1 with *err = 0 when it is already ours
 * (root mode has no user namespace; --network host shares ours). */
static int open_ns(int pid, const char *name, int *err) {
  char path[64];
  char digits[12];
  int nd = 0, p = 0;
  unsigned int v = (unsigned int)pid;
  do { digits[nd++] = (char)('0' + v % 10); v /= 10; } while (v && nd < 11);
  const char *pre = "/proc/";
  while (*pre) path[p++] = *pre++;
  while (nd) path[p++] = digits[--nd];
  const char *mid = "/ns/";
  while (*mid) path[p++] = *mid++;
  for (const char *s = name; *s; s++) path[p++] = *s;
  path[p] = 0;

  *err = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { *err = errno; return -1; }
  char own[32] = "/proc/self/ns/";
  size_t ol = strlen(own);
  memcpy(own + ol, name, strlen(name) + 1);
  struct stat a, b;
  if (fstat(fd, &a) < 0) { *err = errno; close(fd); return -1; }
  if (stat(own, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) { close(fd); return -1; }
  return fd;
}

static void joiner_init(struct joiner *j, int32_t *failure) {
  failure[0] = 0;
  failure[1] = -1;
  memset(j, 0, sizeof *j);
  for (int i = 0; i < N_NS; i++) j->ns_fd[i] = -1;
}

/* Clones the intermediate for j (its ns_fd already open, closed here) and learns the child's pid. */
static int start_joined(struct joiner *j, uint32_t join_flags, const uint8_t *plan, uint32_t len,
                        struct rr_spawn_result *out, int32_t *failure) {
  int err = rr_plan_check(plan, len);
  int phase = RR_JOIN_PHASE_PLAN;
  int sync_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, console[2] = {-1, -1}, rep[2] = {-1, -1};
  if (err) goto fail;
  const struct rr_plan_header *h = (const struct rr_plan_header *)plan;
  phase = RR_JOIN_PHASE_PIPE;
  if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) { err = errno; goto fail; }
  if ((h->flags & RR_PLAN_TTY) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0) { err = errno; goto fail; }

  j->child = (struct rr_child_args){plan, len, sync_pipe[0], err_pipe[1], console[1], {-1, -1, -1}};
  j->report_fd = rep[1];
  j->flags = join_flags;
  void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) { err = errno; phase = RR_JOIN_PHASE_CLONE; goto fail; }
  pid_t mid = clone(intermediate_main, (char *)stack + STACK_SIZE, SIGCHLD, j);
  err = errno;
  munmap(stack, STACK_SIZE);
  if (mid < 0) { phase = RR_JOIN_PHASE_CLONE; goto fail; }

  close(rep[1]); rep[1] = -1;
  struct report r = {-1, RR_JOIN_PHASE_CLONE, -1, EPIPE};
  ssize_t got;
  do got = read(rep[0], &r, sizeof r); while (got < 0 && errno == EINTR);
  int status;
  while (waitpid(mid, &status, __WALL) < 0 && errno == EINTR) {}
  if (got != (ssize_t)sizeof r || r.pid <= 0) {
    err = got == (ssize_t)sizeof r ? r.err : EPIPE;
    phase = r.phase;
    failure[1] = r.ns;
    goto fail;
  }
  for (int i = 0; i < N_NS; i++) if (j->ns_fd[i] >= 0) close(j->ns_fd[i]);
  close(rep[0]);
  close(sync_pipe[0]);
  close(err_pipe[1]);
  if (console[1] >= 0) close(console[1]);
  out->pid = r.pid;
  out->sync_fd = sync_pipe[1];
  out->error_fd = err_pipe[0];
  out->console_fd = console[0];
  return 0;

fail:
  failure[0] = phase;
  for (int i = 0; i < N_NS; i++) if (j->ns_fd[i] >= 0) close(j->ns_fd[i]);
  int *fds[] = {sync_pipe, err_pipe, console, rep};
  for (int i = 0; i < 4; i++) for (int k = 0; k < 2; k++) if (fds[i][k] >= 0) close(fds[i][k]);
  return -(err ? err : EIO);
}

int rr_spawn_joined(int32_t target_pid, uint32_t ns_mask, uint32_t join_flags, const uint8_t *plan, uint32_t len,
                    struct rr_spawn_result *out, int32_t *failure) {
  struct joiner j;
  joiner_init(&j, failure);
  for (int i = 0; i < N_NS; i++) {
    if (!(ns_mask & (uint32_t)NS[i].flag)) continue;
    int err;
    j.ns_fd[i] = open_ns(target_pid, NS[i].name, &err);
    if (err) {
      failure[0] = RR_JOIN_PHASE_OPEN;
      failure[1] = i;
      for (int k = 0; k < i; k++) if (j.ns_fd[k] >= 0) close(j.ns_fd[k]);
      return -err;
    }
  }
  return start_joined(&j, join_flags, plan, len, out, failure);
}

/* A new container inside an existing user namespace (and network namespace,
 * for --network container:X): paths[0] user, paths[1] net, NULL or "" for
 * none. Its other namespaces (clone_flags) are new; a new pid namespace is
 * unshared by the intermediate, which cannot pass CLONE_NEWPID with CLONE_PARENT. */
int rr_spawn_into(const char *user_ns, const char *net_ns, uint64_t clone_flags, const uint8_t *plan, uint32_t len,
                  struct rr_spawn_result *out, int32_t *failure) {
  struct joiner j;
  joiner_init(&j, failure);
  const char *paths[2] = {user_ns, net_ns};
  const int index[2] = {0, 3}; /* NS[]: user, net */
  for (int k = 0; k < 2; k++) {
    if (!paths[k] || !*paths[k]) continue;
    j.ns_fd[index[k]] = open(paths[k], O_RDONLY | O_CLOEXEC);
    if (j.ns_fd[index[k]] < 0) {
      int err = errno;
      failure[0] = RR_JOIN_PHASE_OPEN;
      failure[1] = index[k];
      if (k == 1 && j.ns_fd[0] >= 0) close(j.ns_fd[0]);
      return -err;
    }
  }
  j.new_container = 1;
  j.new_pid = (clone_flags & CLONE_NEWPID) != 0;
  j.clone_flags = clone_flags & ~(uint64_t)(CLONE_NEWPID | CLONE_NEWUSER | (net_ns && *net_ns ? CLONE_NEWNET : 0));
  return start_joined(&j, 0, plan, len, out, failure);
}

/* Opens path beneath root, as the container would resolve it: symlinks and
 * ".." never leave root, magic links are refused. O_NONBLOCK: a FIFO planted
 * by the container must not hang rr. Returns the fd or -errno. */
int rr_open_beneath(const char *root, const char *path) {
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return -errno;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how); while (fd < 0 && errno == EINTR);
  int e = errno;
  close(rootfd);
  return fd < 0 ? -e : (int)fd;
}
