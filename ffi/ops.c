/*
 * The setup plan's operations, run by the child before pivot_root. Targets
 * inside the container are resolved beneath the new root with
 * openat2(RESOLVE_IN_ROOT) and mounted through /proc/self/fd/N, so a symlink
 * in the image can never send a mount or a mkdir to the host.
 */
#define _GNU_SOURCE
#include "rr_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int rr_root_fd = -1;

static int open_in_root(const char *path, int flags, mode_t mode);

/* "/proc/self/fd/N" into buf without snprintf (not async-signal-safe). */
static const char *fd_path(char buf[32], int fd) {
  const char *prefix = "/proc/self/fd/";
  char digits[12];
  int n = 0;
  do { digits[n++] = (char)('0' + fd % 10); fd /= 10; } while (fd && n < 11);
  size_t p = 0;
  while (*prefix) buf[p++] = *prefix++;
  while (n) buf[p++] = digits[--n];
  buf[p] = 0;
  return buf;
}

int rr_open_in_root(const char *path, int flags) {
  return open_in_root(path, flags, 0);
}

static int open_in_root(const char *path, int flags, mode_t mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do fd = syscall(SYS_openat2, rr_root_fd, path, &how, sizeof how); while (fd < 0 && errno == EINTR);
  return (int)fd;
}

/* Resolves a target: in-root (relative to the new root) or a host path. */
static int open_target(const struct rr_op *op, const char *path, int flags) {
  if (op->flags & RR_OPF_IN_ROOT) return open_in_root(path, flags, 0);
  return open(path, flags | O_CLOEXEC);
}

/* mkdir -p inside the root: every prefix is resolved beneath the root, so a
 * symlink in the image can never send the mkdir outside it. */
static int mkdir_in_root(const char *path, mode_t mode) {
  char buf[4096];
  size_t len = strlen(path);
  if (len >= sizeof buf) return ENAMETOOLONG;
  memcpy(buf, path, len + 1);
  for (size_t i = 0; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != 0) continue;
    if (i == 0) continue;
    char saved = buf[i];
    buf[i] = 0;
    int fd = open_in_root(buf, O_PATH | O_DIRECTORY, 0);
    if (fd >= 0) {
      close(fd);
    } else if (errno == ENOENT) {
      /* split into parent + name and create the name beneath the parent */
      char *slash = strrchr(buf, '/');
      int parent;
      const char *name;
      if (slash) {
        *slash = 0;
        parent = open_in_root(buf, O_PATH | O_DIRECTORY, 0);
        *slash = '/';
        name = slash + 1;
      } else {
        parent = dup(rr_root_fd);
        name = buf;
      }
      if (parent < 0) return errno;
      int r = mkdirat(parent, name, mode);
      int e = errno;
      close(parent);
      if (r < 0 && e != EEXIST) return e;
    } else {
      return errno;
    }
    buf[i] = saved;
  }
  return 0;
}

static int parent_of(const char *path, char buf[4096], const char **name) {
  size_t len = strlen(path);
  if (len >= 4096) return ENAMETOOLONG;
  memcpy(buf, path, len + 1);
  char *slash = strrchr(buf, '/');
  if (!slash) { *name = path; buf[0] = '.'; buf[1] = 0; return 0; }
  *slash = 0;
  *name = path + (slash - buf) + 1;
  if (buf[0] == 0) { buf[0] = '.'; buf[1] = 0; }
  return 0;
}

static int mkfile_in_root(const char *path, mode_t mode) {
  int fd = open_in_root(path, O_PATH, 0);
  if (fd >= 0) { close(fd); return 0; }
  if (errno != ENOENT) return errno;
  char parent[4096];
  const char *name;
  int e = parent_of(path, parent, &name);
  if (e) return e;
  e = mkdir_in_root(parent, 0755);
  if (e) return e;
  int pfd = open_in_root(parent, O_PATH | O_DIRECTORY, 0);
  if (pfd < 0) return errno;
  fd = openat(pfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  e = errno;
  close(pfd);
  if (fd < 0 && e != EEXIST) return e;
  if (fd >= 0) close(fd);
  return 0;
}

static int symlink_in_root(const char *text, const char *path) {
  char parent[4096];
  const char *name;
  int e = parent_of(path, parent, &name);
  if (e) return e;
  int pfd = open_in_root(parent, O_PATH | O_DIRECTORY, 0);
  if (pfd < 0) return errno;
  int r = symlinkat(text, pfd, name);
  e = errno;
  close(pfd);
  return (r < 0 && e != EEXIST) ? e : 0;
}

/* Flags a read-only remount must keep, or the kernel refuses it in a user
 * namespace (they are locked by the mount's owner). */
static unsigned long locked_flags(int fd) {
  struct statvfs sv;
  unsigned long f = 0;
  if (fstatvfs(fd, &sv) < 0) return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

static int remount_ro(const struct rr_op *op, const char *target, int bind_first) {
  char p[32];
  int fd = open_target(op, target, O_PATH);
  if (fd < 0) return errno;
  if (bind_first && mount(fd_path(p, fd), fd_path(p, fd), NULL, MS_BIND | MS_REC, NULL) < 0) {
    int e = errno; close(fd); return e;
  }
  close(fd);
  /* reopen: the new fd must name the mount we just made, not the one beneath */
  fd = open_target(op, target, O_PATH);
  if (fd < 0) return errno;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(fd);
  int r = mount(NULL, fd_path(p, fd), NULL, flags, NULL);
  int e = errno;
  close(fd);
  return r < 0 ? e : 0;
}

static int do_mount(const struct rr_op *op, const uint8_t *plan) {
  const char *src = rr_str(plan, op->a), *target = rr_str(plan, op->b);
  const char *fstype = rr_str(plan, op->c), *data = rr_str(plan, op->d);
  const char *fallback = rr_str(plan, op->e);
  char p[32];
  int fd = open_target(op, target, O_PATH);
  if (fd < 0) return errno;
  int r = mount(src, fd_path(p, fd), fstype, (unsigned long)op->mount_flags, data);
  int e = errno;
  if (r < 0 && fallback && (e == EPERM || e == EACCES || e == EINVAL)) {
    /* procfs/sysfs can be refused rootless; the host's, bound read-only, will do */
    r = mount(fallback, fd_path(p, fd), NULL, MS_BIND | MS_REC, NULL);
    e = errno;
    close(fd);
    if (r < 0) return e;
    return remount_ro(op, target, 0);
  }
  close(fd);
  if (r < 0) return e;
  if ((op->flags & RR_OPF_RO_AFTER)) return remount_ro(op, target, 0);
  return 0;
}

static int do_mask(const struct rr_op *op, const uint8_t *plan) {
  const char *target = rr_str(plan, op->b);
  char p[32];
  int fd = open_target(op, target, O_PATH);
  if (fd < 0) return errno == ENOENT ? 0 : errno;
  struct stat st;
  if (fstat(fd, &st) < 0) { int e = errno; close(fd); return e; }
  int r;
  if (S_ISDIR(st.st_mode)) {
    r = mount("tmpfs", fd_path(p, fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555");
  } else {
    r = mount("/dev/null", fd_path(p, fd), NULL, MS_BIND, NULL);
  }
  int e = errno;
  close(fd);
  return r < 0 ? e : 0;
}

int rr_run_op(const struct rr_op *op, const uint8_t *plan) {
  const char *b = rr_str(plan, op->b);
  switch (op->type) {
    case RR_OP_OPEN_ROOT: {
      const char *root = rr_str(plan, op->a);
      if (rr_root_fd >= 0) close(rr_root_fd);
      rr_root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
      return rr_root_fd < 0 ? errno : 0;
    }
    case RR_OP_MOUNT: return do_mount(op, plan);
    case RR_OP_MKDIR:
      if (op->flags & RR_OPF_IN_ROOT) return mkdir_in_root(b, op->mode);
      return (mkdir(b, op->mode) < 0 && errno != EEXIST) ? errno : 0;
    case RR_OP_MKFILE: return mkfile_in_root(b, op->mode);
    case RR_OP_SYMLINK: return symlink_in_root(rr_str(plan, op->a), b);
    case RR_OP_REMOUNT_RO: return remount_ro(op, b, !(op->flags & RR_OPF_NO_BIND));
    case RR_OP_MASK: return do_mask(op, plan);
  }
  return EINVAL;
}

