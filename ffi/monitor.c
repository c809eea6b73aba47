/*
 * rr-monitor: the parent of a detached container. rr starts it, hands it the
 * setup plan, and leaves once the container runs; the monitor stays (a few
 * hundred KiB, no daemon) to keep the logs, serve `rr attach`, record the
 * exit status, and apply the restart policy.
 *
 * Start-up protocol with rr (fd 0 from rr, fd 1 to rr, little-endian):
 *   rr → u32 plan length, u64 clone flags, the plan
 *   monitor → i32 child pid                     (the child waits on its sync pipe)
 *   rr → i32 go (1/0), i32 helper pid to end with the container (0: none)
 *   monitor → i32 result (0 exec'd, 1 failed, <0 -errno), i32 step, i32 errno
 * Then the monitor detaches from rr's stdio and runs until the container exits.
 *
 * -U/-N name a user / network namespace the container joins instead of
 * making its own (a network's holder, --network container:X). -L: fd 3 is
 * the write end of a "lifeline" pipe whose readers (the port forwarder,
 * slirp4netns) exit when it hangs up: when this monitor is gone.
 * `rr-monitor -P` is the network holder's pause process (src/network/holder.ts).
 *
 * Files in its working directory (the container's; names in
 * src/store/container-store.ts CONTAINER_FILES):
 *   ctr.log      `<RFC3339Nano> stdout|stderr F|P <text>` lines (CRI format)
 *   exit.json    {"pid":N,"exitCode":N,"finishedAt":"…","restarting":bool}, atomically
 *   no-restart   present: a user stop is under way, do not restart
 *   attach.sock  frames [u8 type][u32 len][data]: 1 stdout, 2 stderr (to
 *                clients); 0 stdin, 3 resize (u16 rows, u16 cols), 4 stdin EOF;
 *                served by monitor_attach.c
 */
#define _GNU_SOURCE
#include "monitor.h"
#include "rr_internal.h"
#include "rr_net.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* From spawn.c, linked in statically. */
int rr_spawn(const uint8_t *plan, uint32_t len, uint64_t clone_flags, struct rr_spawn_result *out);
int rr_release(int sync_fd, int go);
int rr_read_setup(int error_fd, int32_t *step, int32_t *err);
int rr_recv_fd(int sock);

#define MAX_CGROUPS 16

static struct {
  const char *rr_path, *store_root, *policy, *user_ns, *net_ns;
  const char *cgroups[MAX_CGROUPS];
  int n_cgroups, max_retries, restart_count, tty, keep_stdin, auto_remove;
} opt = {.policy = "no"};

static int log_fd = -1, stdin_fd = -1, tty_fd = -1;
static int out_fd[3] = {-1, -1, -1}; /* [1] stdout (or the pty), [2] stderr */

static int read_full(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int mon_write_full(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void timestamp(char *out, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, size - n, ".%09ldZ", ts.tv_nsec);
}

/* One log record per line; a chunk ending mid-line is written as a partial (P) record. */
static void log_output(const char *stream, const char *data, size_t len) {
  if (log_fd < 0) return;
  char ts[48];
  timestamp(ts, sizeof ts);
  while (len) {
    const char *nl = memchr(data, '\n', len);
    size_t line = nl ? (size_t)(nl - data) : len;
    char head[80];
    int h = snprintf(head, sizeof head, "%s %s %c ", ts, stream, nl ? 'F' : 'P');
    struct iovec iov[3] = {{head, (size_t)h}, {(void *)data, line}, {"\n", 1}};
    ssize_t unused = writev(log_fd, iov, 3);
    (void)unused;
    data += line + (nl ? 1 : 0);
    len -= line + (nl ? 1 : 0);
  }
}

/* Reads what the container wrote; returns 0 at EOF (or EIO: the pty's last holder closed it). */
static int pump_output(int stream) {
  char buf[16384];
  ssize_t n;
  do n = read(out_fd[stream], buf, sizeof buf); while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return 1;
    if (out_fd[stream] == tty_fd) tty_fd = stdin_fd = -1;
    close(out_fd[stream]);
    out_fd[stream] = -1;
    return 0;
  }
  log_output(stream == 1 ? "stdout" : "stderr", buf, (size_t)n);
  attach_broadcast(stream, buf, (size_t)n);
  return 1;
}

/* What an attached client sends the container (monitor_attach.c reads the frames). */
void mon_client_frame(int type, const uint8_t *data, uint32_t len) {
  if (type == F_STDIN && stdin_fd >= 0) {
    if (mon_write_full(stdin_fd, data, len) < 0) { close(stdin_fd); stdin_fd = -1; }
  } else if (type == F_STDIN_EOF && stdin_fd >= 0 && !opt.tty) {
    close(stdin_fd);
    stdin_fd = -1;
  } else if (type == F_RESIZE && len == 4 && tty_fd >= 0) {
    struct winsize ws = {(unsigned short)(data[0] | data[1] << 8), (unsigned short)(data[2] | data[3] << 8), 0, 0};
    ioctl(tty_fd, TIOCSWINSZ, &ws);
  }
}

static void write_exit(pid_t pid, int code, int restarting) {
  char ts[48], body[192];
  timestamp(ts, sizeof ts);
  int n = snprintf(body, sizeof body, "{\"pid\":%d,\"exitCode\":%d,\"finishedAt\":\"%s\",\"restarting\":%s}\n", pid, code, ts,
                   restarting ? "true" : "false");
  int fd = open("exit.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  int ok = mon_write_full(fd, body, (size_t)n) == 0 && fsync(fd) == 0;
  close(fd);
  if (ok) rename("exit.json.tmp", "exit.json");
}

static void remove_cgroups(void) {
  for (int i = 0; i < opt.n_cgroups; i++) {
    /* the container's last processes may still be leaving the cgroup */
    for (int t = 0; t < 50 && rmdir(opt.cgroups[i]) < 0 && errno == EBUSY; t++) usleep(20000);
  }
}

static int wants_restart(int code) {
  if (access("no-restart", F_OK) == 0) return 0;
  if (!strcmp(opt.policy, "always") || !strcmp(opt.policy, "unless-stopped")) return 1;
  if (!strcmp(opt.policy, "on-failure"))
    return code != 0 && (opt.max_retries == 0 || opt.restart_count < opt.max_retries);
  return 0;
}

/* Docker's backoff: 100 ms doubling, at most a minute; a run of 10 s or more starts over. */
static long backoff_ms(double ran_seconds) {
  if (ran_seconds >= 10) return 100;
  long ms = 100;
  for (int i = 0; i < opt.restart_count && ms < 60000; i++) ms *= 2;
  return ms > 60000 ? 60000 : ms;
}

/* After the container: rr itself restarts or removes it (it owns the store's rules). */
static void hand_over_to_rr(const char *id, int code, double ran_seconds) {
  if (!opt.rr_path) return;
  sigset_t none; /* rr must not start with our blocked SIGCHLD */
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  char count[16];
  if (wants_restart(code)) {
    struct timespec d = {backoff_ms(ran_seconds) / 1000, (backoff_ms(ran_seconds) % 1000) * 1000000L};
    while (nanosleep(&d, &d) < 0 && errno == EINTR) {}
    if (access("no-restart", F_OK) == 0 || access("container.json", F_OK) < 0) return;
    snprintf(count, sizeof count, "%d", ran_seconds >= 10 ? 1 : opt.restart_count + 1);
    execl(opt.rr_path, opt.rr_path, "--root", opt.store_root, "__restart", id, count, (char *)NULL);
  } else if (opt.auto_remove) {
    execl(opt.rr_path, opt.rr_path, "--root", opt.store_root, "rm", "-f", id, (char *)NULL);
  }
}

static void usage(void) {
  fprintf(stderr, "rr-monitor: started by rr, not by hand\n");
  exit(2);
}

static void parse_args(int argc, char **argv) {
  int c;
  while ((c = getopt(argc, argv, "tiRLp:m:n:x:g:c:U:N:")) != -1) {
    switch (c) {
      case 'L': fcntl(3, F_SETFD, FD_CLOEXEC); break; /* kept open, never inherited */
      case 'U': opt.user_ns = optarg; break;
      case 'N': opt.net_ns = optarg; break;
      case 't': opt.tty = 1; break;
      case 'i': opt.keep_stdin = 1; break;
      case 'R': opt.auto_remove = 1; break;
      case 'p': opt.policy = optarg; break;
      case 'm': opt.max_retries = atoi(optarg); break;
      case 'n': opt.restart_count = atoi(optarg); break;
      case 'x': opt.rr_path = optarg; break;
      case 'g': opt.store_root = optarg; break;
      case 'c': if (opt.n_cgroups < MAX_CGROUPS) opt.cgroups[opt.n_cgroups++] = optarg; break;
      default: usage();
    }
  }
  if (optind != argc - 1 || (opt.rr_path && !opt.store_root)) usage();
}

/* Points fd at /dev/null (read or write). */
static void null_fd(int fd, int flags) {
  int n = open("/dev/null", flags | O_CLOEXEC);
  if (n >= 0) { dup2(n, fd); close(n); }
}

/* The network holder's process: it only keeps its namespaces alive. */
static _Noreturn int pause_forever(void) {
  null_fd(0, O_RDONLY);
  null_fd(1, O_WRONLY);
  null_fd(2, O_WRONLY);
  for (;;) pause();
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "-F")) return rr_forward_main(argc - 1, argv + 1);
  if (argc > 1 && !strcmp(argv[1], "-P")) return pause_forever();
  parse_args(argc, argv);
  const char *dir = argv[optind];
  if (chdir(dir) < 0) return 1;
  const char *id = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
  setsid(); /* no terminal's signals reach us or the container */
  signal(SIGPIPE, SIG_IGN);
  int ctl_in = fcntl(0, F_DUPFD_CLOEXEC, 3), ctl_out = fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (ctl_in < 0 || ctl_out < 0) return 1;

  uint32_t plan_len;
  uint64_t clone_flags;
  if (read_full(ctl_in, &plan_len, 4) < 0 || read_full(ctl_in, &clone_flags, 8) < 0 || plan_len > (1u << 24)) return 1;
  uint8_t *plan = malloc(plan_len);
  if (!plan || read_full(ctl_in, plan, plan_len) < 0) return 1;

  /* The container's stdio: pipes we read (a pty is made by the child itself). */
  int in_p[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1};
  if (!opt.tty) {
    if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) return 1;
    if (opt.keep_stdin && pipe2(in_p, O_CLOEXEC) < 0) return 1;
    if (in_p[0] >= 0) dup2(in_p[0], 0); else null_fd(0, O_RDONLY);
    dup2(out_p[1], 1);
    dup2(err_p[1], 2);
  } else {
    null_fd(0, O_RDONLY);
    null_fd(1, O_WRONLY);
    null_fd(2, O_WRONLY);
  }
  attach_listen(); /* before the child exists: `rr start -a` connects before it is released */
  /* SIGCHLD goes to a signalfd made before the child exists: a container that
   * exits at once must not be missed (the child unblocks it before execve) */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sig_fd = signalfd(-1, &chld, SFD_CLOEXEC);
  struct rr_spawn_result child;
  int32_t failure[2];
  int r = opt.user_ns || opt.net_ns ? rr_spawn_into(opt.user_ns, opt.net_ns, clone_flags, plan, plan_len, &child, failure)
                                    : rr_spawn(plan, plan_len, clone_flags, &child);
  null_fd(0, O_RDONLY);
  null_fd(1, O_WRONLY);
  null_fd(2, O_WRONLY);
  int32_t pid = r < 0 ? r : child.pid;
  if (mon_write_full(ctl_out, &pid, 4) < 0 || r < 0) return 1;
  free(plan);
  if (!opt.tty) {
    close(out_p[1]);
    close(err_p[1]);
    out_fd[1] = out_p[0];
    out_fd[2] = err_p[0];
    if (in_p[0] >= 0) { close(in_p[0]); stdin_fd = in_p[1]; }
  }

  int32_t go[2] = {0, 0};
  if (read_full(ctl_in, go, 8) < 0) go[0] = 0;
  rr_release(child.sync_fd, go[0]);
  int32_t result[3] = {0, 0, 0};
  if (go[0] && child.console_fd >= 0) {
    int master = rr_recv_fd(child.console_fd);
    if (master >= 0) { tty_fd = master; out_fd[1] = master; stdin_fd = opt.keep_stdin ? master : -1; }
  } else if (child.console_fd >= 0) {
    close(child.console_fd);
  }
  result[0] = go[0] ? rr_read_setup(child.error_fd, &result[1], &result[2]) : 1;
  if (!go[0]) close(child.error_fd);
  mon_write_full(ctl_out, result, sizeof result);
  close(ctl_in);
  close(ctl_out);
  if (result[0] != 0) {
    waitpid(child.pid, NULL, __WALL);
    attach_close();
    return 1;
  }

  struct timespec started;
  clock_gettime(CLOCK_MONOTONIC, &started);
  log_fd = open("ctr.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  attach_accept_pending(); /* clients that connected before the release see the container's first byte */
  int status = 0, exited = 0;
  if (waitpid(child.pid, &status, WNOHANG | __WALL) == child.pid) exited = 1;
  while (!exited || out_fd[1] >= 0 || out_fd[2] >= 0) {
    struct pollfd p[3 + ATTACH_POLLS];
    p[0] = (struct pollfd){exited ? -1 : sig_fd, POLLIN, 0};
    p[1] = (struct pollfd){out_fd[1], POLLIN, 0};
    p[2] = (struct pollfd){out_fd[2], POLLIN, 0};
    attach_poll(p + 3, !exited);
    /* once the container is gone, its output is drained for at most a second
     * (a process it left behind could hold the pipe open) */
    int ready = poll(p, 3 + ATTACH_POLLS, exited ? 1000 : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    if (p[0].revents) {
      struct signalfd_siginfo si;
      ssize_t unused = read(sig_fd, &si, sizeof si);
      (void)unused;
      if (waitpid(child.pid, &status, WNOHANG | __WALL) == child.pid) exited = 1;
    }
    for (int s = 1; s <= 2; s++) if (p[s].revents) pump_output(s);
    attach_events(p + 3);
  }
  if (!exited) waitpid(child.pid, &status, __WALL);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
  if (go[1] > 0) kill(go[1], SIGTERM);
  struct timespec ended;
  clock_gettime(CLOCK_MONOTONIC, &ended);
  double ran = (double)(ended.tv_sec - started.tv_sec) + (ended.tv_nsec - started.tv_nsec) / 1e9;
  int restarting = opt.rr_path && wants_restart(code);
  write_exit(child.pid, code, restarting);
  attach_close();
  if (log_fd >= 0) close(log_fd);
  remove_cgroups();
  hand_over_to_rr(id, code, ran);
  return 0;
}
