/*
 * Runs newuidmap and newgidmap for a child at the same time (each is a
 * setuid helper that takes ~2 ms), and collects the first line of stderr
 * of one that fails. Called from the parent, never from a container child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 64

/* Splits a NUL-separated argument block into argv (argv[0] = path). */
static int split_args(const char *path, char *block, int block_len, char **argv) {
  int n = 0;
  argv[n++] = (char *)path;
  for (int i = 0; i < block_len && n < MAX_ARGS - 1;) {
    argv[n++] = block + i;
    i += (int)strlen(block + i) + 1;
  }
  argv[n] = NULL;
  return n;
}

static int start(const char *path, char **argv, int *err_fd, pid_t *pid) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return errno;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  int r = posix_spawn(pid, path, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (r) { close(p[0]); return r; }
  *err_fd = p[0];
  return 0;
}

static int finish(pid_t pid, int err_fd, char *msg, int msg_len) {
  int status = 0;
  char buf[512];
  ssize_t n, total = 0;
  while ((n = read(err_fd, buf + total, sizeof buf - 1 - (size_t)total)) > 0 && total < (ssize_t)sizeof buf - 1) total += n;
  close(err_fd);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0 && msg_len > 0 && msg[0] == 0) {
    buf[total] = 0;
    strncpy(msg, buf, (size_t)msg_len - 1);
    msg[msg_len - 1] = 0;
  }
  return code;
}

/* Returns 0 when both succeeded, the first failing exit status otherwise
 * (with its stderr in msg), or -errno when one could not be started. */
int rr_map_ids(const char *uid_helper, char *uid_args, int uid_len, const char *gid_helper, char *gid_args, int gid_len,
               char *msg, int msg_len) {
  char *uargv[MAX_ARGS], *gargv[MAX_ARGS];
  split_args(uid_helper, uid_args, uid_len, uargv);
  split_args(gid_helper, gid_args, gid_len, gargv);
  if (msg_len > 0) msg[0] = 0;
  pid_t up, gp;
  int ufd, gfd;
  int e = start(uid_helper, uargv, &ufd, &up);
  if (e) return -e;
  e = start(gid_helper, gargv, &gfd, &gp);
  if (e) { finish(up, ufd, msg, 0); return -e; }
  int ucode = finish(up, ufd, msg, msg_len);
  int gcode = finish(gp, gfd, msg, msg_len);
  return ucode ? ucode : gcode;
}
