/*
 * The container's first moments: everything between clone() and execve().
 * No allocation, no stdio, no JavaScript: only syscalls driven by the plan
 * TypeScript built. The fixed skeleton order lives here:
 *   wait for the parent → make / a slave mount → run the ops → pivot_root →
 *   drop ids and capabilities → close fds → chdir → execve.
 * Any failure writes {step, errno} on the CLOEXEC error pipe and exits 127.
 */
#define _GNU_SOURCE
#include "rr_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <grp.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int g_error_fd = -1;

static void fail(int step, int err) {
  struct rr_child_error e = {step, err};
  if (g_error_fd >= 0) {
    ssize_t unused = write(g_error_fd, &e, sizeof e);
    (void)unused;
  }
  _exit(127);
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail(RR_STEP_LOOPBACK, errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail(RR_STEP_LOOPBACK, errno);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail(RR_STEP_LOOPBACK, errno);
  close(s);
}

/* Opens a pty in the container's own devpts and hands the master to rr. */
static void setup_tty(const struct rr_plan_header *h, int console_fd) {
  int master = rr_open_in_root("dev/pts/ptmx", O_RDWR | O_NOCTTY);
  if (master < 0) fail(RR_STEP_TTY, errno);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail(RR_STEP_TTY, errno);
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) fail(RR_STEP_TTY, errno);
  if (h->tty_rows && h->tty_cols) {
    struct winsize ws = {(unsigned short)h->tty_rows, (unsigned short)h->tty_cols, 0, 0};
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  char byte = 0;
  struct iovec iov = {&byte, 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (sendmsg(console_fd, &msg, MSG_NOSIGNAL) < 0) fail(RR_STEP_TTY, errno);
  close(master);
  if (setsid() < 0) fail(RR_STEP_TTY, errno);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) fail(RR_STEP_TTY, errno);
  for (int i = 0; i < 3; i++) if (dup2(slave, i) < 0) fail(RR_STEP_TTY, errno);
  if (slave > 2) close(slave);
}

static void pivot(void) {
  if (fchdir(rr_root_fd) < 0) fail(RR_STEP_PIVOT, errno);
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail(RR_STEP_PIVOT, errno);
  /* the old root is now stacked under "."; detach it so nothing of the host stays */
  if (umount2(".", MNT_DETACH) < 0) fail(RR_STEP_PIVOT, errno);
  if (chdir("/") < 0) fail(RR_STEP_PIVOT, errno);
}

static void drop_privileges(const struct rr_plan_header *h, const uint8_t *plan) {
  if (h->flags & RR_PLAN_SET_CAPS) {
    for (uint32_t c = 0; c <= h->cap_last_cap && c < 64; c++) {
      if (!(h->cap_bounding & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        fail(RR_STEP_CAPBSET, errno);
    }
  }
  if (h->flags & RR_PLAN_SETGROUPS) {
    gid_t groups[64];
    uint32_t n = h->n_groups < 64 ? h->n_groups : 64;
    const uint32_t *g = (const uint32_t *)(plan + h->groups);
    for (uint32_t i = 0; i < n; i++) groups[i] = g[i];
    if (syscall(SYS_setgroups, n, groups) < 0) fail(RR_STEP_SETGROUPS, errno);
  }
  if (h->flags & RR_PLAN_SET_IDS) {
    /* raw syscalls: glibc's wrappers broadcast to all threads, which we no longer have */
    if (syscall(SYS_setresgid, h->gid, h->gid, h->gid) < 0) fail(RR_STEP_SETGID, errno);
    if (syscall(SYS_setresuid, h->uid, h->uid, h->uid) < 0) fail(RR_STEP_SETUID, errno);
  }
  if (h->flags & RR_PLAN_SET_CAPS) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (h->uid == 0) {
      data[0].effective = (uint32_t)h->cap_effective;
      data[1].effective = (uint32_t)(h->cap_effective >> 32);
      data[0].permitted = (uint32_t)h->cap_permitted;
      data[1].permitted = (uint32_t)(h->cap_permitted >> 32);
      data[0].inheritable = (uint32_t)h->cap_inheritable;
      data[1].inheritable = (uint32_t)(h->cap_inheritable >> 32);
    }
    if (syscall(SYS_capset, &hdr, data) < 0) fail(RR_STEP_CAPSET, errno);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (uint32_t c = 0; c <= h->cap_last_cap && c < 64; c++) {
      if (h->cap_ambient & (1ULL << c)) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
    }
  }
  if ((h->flags & RR_PLAN_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(RR_STEP_NNP, errno);
}

static void reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < 65; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &sa, NULL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* execve with the container's PATH: like execvpe, but no allocation and with
 * the lookup done in the container, not with rr's own PATH. */
static void exec_command(const struct rr_plan_header *h, const uint8_t *plan, char **argv, char **envp) {
  const char *file = rr_str(plan, h->exec_path);
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    fail(RR_STEP_EXEC, errno);
  }
  const char *path = rr_str(plan, h->search_path);
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int saw_eacces = 0;
  char buf[4096];
  size_t flen = strlen(file);
  for (const char *p = path;; ) {
    const char *colon = strchr(p, ':');
    size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
    if (dlen + flen + 2 < sizeof buf) {
      size_t n = 0;
      if (dlen == 0) buf[n++] = '.'; else { memcpy(buf, p, dlen); n = dlen; }
      buf[n++] = '/';
      memcpy(buf + n, file, flen + 1);
      execve(buf, argv, envp);
      if (errno == EACCES) saw_eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR) fail(RR_STEP_EXEC, errno);
    }
    if (!colon) break;
    p = colon + 1;
  }
  fail(RR_STEP_EXEC, saw_eacces ? EACCES : ENOENT);
}

static volatile pid_t g_init_child = 0;
static void forward_signal(int sig) {
  if (g_init_child > 0) kill(g_init_child, sig);
}

/* --init: PID 1 that forwards signals to the command and reaps every orphan. */
static void run_init(const struct rr_plan_header *h, const uint8_t *plan, char **argv, char **envp) {
  /* this PID 1 never execs: it is a copy of rr (its environment, its binary
   * as /proc/1/exe); non-dumpable, no container process may read it */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(RR_STEP_FORK, errno);
  pid_t child = fork();
  if (child < 0) fail(RR_STEP_FORK, errno);
  if (child == 0) {
    reset_signals();
    exec_command(h, plan, argv, envp);
  }
  g_init_child = child;
  close(g_error_fd); /* the command holds its own copy until its execve */
  g_error_fd = -1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  for (int s = 1; s < 32; s++) {
    if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD) continue;
    sigaction(s, &sa, NULL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (;;) {
    int status;
    pid_t got = waitpid(-1, &status, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      _exit(127);
    }
    if (got == child) {
      if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
      if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
    }
  }
}

static void close_fds_except(int keep) {
  /* CVE-2024-21626: no fd of rr's may reach the container, not even briefly */
  if (keep > 3) syscall(SYS_close_range, 3, keep - 1, 0);
  syscall(SYS_close_range, keep + 1, ~0U, 0);
}

int rr_child_main(void *arg) {
  struct rr_child_args *a = arg;
  const uint8_t *plan = a->plan;
  const struct rr_plan_header *h = (const struct rr_plan_header *)plan;
  g_error_fd = a->error_fd;
  for (int i = 0; i < 3; i++) if (a->parent_fds[i] >= 0) close(a->parent_fds[i]);

  /* Wait until the parent has written our id maps and placed us in our cgroup. */
  char go;
  ssize_t r;
  do r = read(a->sync_fd, &go, 1); while (r < 0 && errno == EINTR);
  if (r != 1) fail(RR_STEP_SYNC, r < 0 ? errno : EPIPE);
  close(a->sync_fd);

  if (h->flags & RR_PLAN_NEW_CGROUPNS) {
    if (unshare(CLONE_NEWCGROUP) < 0) fail(RR_STEP_CGROUPNS, errno);
  }
  if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail(RR_STEP_SLAVE, errno);
  if (h->flags & RR_PLAN_LOOPBACK_UP) loopback_up();
  if (h->flags & RR_PLAN_SET_HOSTNAME) {
    const char *hn = rr_str(plan, h->hostname);
    if (sethostname(hn, strlen(hn)) < 0) fail(RR_STEP_HOSTNAME, errno);
  }
  const struct rr_rlimit *rl = (const struct rr_rlimit *)(plan + h->rlimits);
  for (uint32_t i = 0; i < h->n_rlimits; i++) {
    struct rlimit lim = {rl[i].soft, rl[i].hard};
    if (setrlimit((int)rl[i].resource, &lim) < 0) fail(RR_STEP_RLIMIT, errno);
  }

  const struct rr_op *ops = (const struct rr_op *)(plan + h->ops);
  for (uint32_t i = 0; i < h->n_ops; i++) {
    int e = rr_run_op(&ops[i], plan);
    if (e && !((ops[i].flags & RR_OPF_OPTIONAL) && e == ENOENT)) fail((int)i, e);
  }

  if (h->flags & RR_PLAN_TTY) setup_tty(h, a->console_fd);
  if (a->console_fd >= 0) close(a->console_fd);
  if ((h->flags & RR_PLAN_SETSID) && !(h->flags & RR_PLAN_TTY)) setsid();
  /* Bun may have left stdio non-blocking; programs in the container expect blocking fds. */
  for (int i = 0; i < 3; i++) {
    int fl = fcntl(i, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(i, F_SETFL, fl & ~O_NONBLOCK);
  }

  if (h->flags & RR_PLAN_PIVOT) {
    if (rr_root_fd < 0) fail(RR_STEP_PIVOT, EBADF);
    pivot();
  }
  if (rr_root_fd >= 0) { close(rr_root_fd); rr_root_fd = -1; }
  if ((h->flags & RR_PLAN_STDIN_NULL) && !(h->flags & RR_PLAN_TTY)) {
    /* opened after pivot_root: the container's /dev/null, and no host path in /proc/self/fd */
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, 0) < 0) fail(RR_STEP_STDIN, errno);
    close(fd);
  }

  drop_privileges(h, plan);
  if (h->flags & RR_PLAN_PDEATHSIG) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  close_fds_except(g_error_fd);

  const char *cwd = rr_str(plan, h->cwd);
  if (cwd) {
    if (chdir(cwd) < 0) fail(RR_STEP_CHDIR, errno);
    char buf[4096];
    /* a cwd outside our root makes getcwd fail or report "(unreachable)" */
    if (syscall(SYS_getcwd, buf, sizeof buf) < 0 || buf[0] != '/') fail(RR_STEP_CHDIR, ENOENT);
  }

  /* argv/envp pointer arrays live on our stack: the plan holds offsets. */
  char *argv[h->argc + 1];
  char *envp[h->envc + 1];
  const uint32_t *av = (const uint32_t *)(plan + h->argv);
  const uint32_t *ev = (const uint32_t *)(plan + h->envp);
  for (uint32_t i = 0; i < h->argc; i++) argv[i] = (char *)(plan + av[i]);
  argv[h->argc] = NULL;
  for (uint32_t i = 0; i < h->envc; i++) envp[i] = (char *)(plan + ev[i]);
  envp[h->envc] = NULL;

  if (h->flags & RR_PLAN_INIT) run_init(h, plan, argv, envp);
  reset_signals();
  exec_command(h, plan, argv, envp);
  return 127;
}
