/*
 * rr setup-plan ABI, shared by the TypeScript encoder (src/runtime/plan-encoder.ts)
 * and the C interpreter. Everything is little-endian; strings are NUL-terminated
 * and referenced by byte offset from the start of the plan (0 = absent).
 * Bump RR_ABI_VERSION whenever a struct or an op changes.
 */
#ifndef RR_ABI_H
#define RR_ABI_H
#include <stdint.h>

#define RR_ABI_VERSION 1
#define RR_PLAN_MAGIC 0x31505252u /* "RRP1" */

/* Plan flags: the fixed skeleton steps the child performs. */
#define RR_PLAN_PIVOT          (1u << 0)  /* pivot_root into the root opened by RR_OP_OPEN_ROOT */
#define RR_PLAN_SET_IDS        (1u << 1)  /* setresgid/setresuid to plan uid/gid */
#define RR_PLAN_SETGROUPS      (1u << 2)  /* setgroups(plan groups); else leave groups alone */
#define RR_PLAN_SET_CAPS       (1u << 3)  /* drop bounding set, capset, clear ambient */
#define RR_PLAN_NO_NEW_PRIVS   (1u << 4)
#define RR_PLAN_NEW_CGROUPNS   (1u << 5)  /* unshare(CLONE_NEWCGROUP) after the parent placed us */
#define RR_PLAN_STDIN_NULL     (1u << 6)  /* stdin from /dev/null (docker run without -i) */
#define RR_PLAN_TTY            (1u << 7)  /* allocate a pty in the container's devpts */
#define RR_PLAN_INIT           (1u << 8)  /* stay as a reaping PID 1 and fork the command */
#define RR_PLAN_LOOPBACK_UP    (1u << 9)  /* bring lo up in a new network namespace */
#define RR_PLAN_PDEATHSIG      (1u << 10) /* SIGKILL the container if rr dies */
#define RR_PLAN_SETSID         (1u << 11)
#define RR_PLAN_SET_HOSTNAME   (1u << 12)

enum rr_op_type {
  RR_OP_MOUNT = 1,      /* a=source b=target c=fstype d=data e=fallback rbind source; mount_flags */
  RR_OP_OPEN_ROOT = 2,  /* a=host path of the new root; later in-root targets resolve beneath it */
  RR_OP_MKDIR = 3,      /* b=target (mkdir -p), mode */
  RR_OP_MKFILE = 4,     /* b=target (create empty if missing, parents too), mode */
  RR_OP_SYMLINK = 5,    /* a=link text b=target path of the link */
  RR_OP_REMOUNT_RO = 6, /* b=target: bind it over itself (unless RR_OPF_NO_BIND) and remount read-only */
  RR_OP_MASK = 7,       /* b=target: /dev/null over a file, an empty read-only tmpfs over a dir; missing is fine */
};

/* Op flags. */
#define RR_OPF_IN_ROOT    (1u << 0) /* target is relative to the opened root, resolved with RESOLVE_IN_ROOT */
#define RR_OPF_OPTIONAL   (1u << 1) /* ENOENT on the target or source is not an error */
#define RR_OPF_NO_BIND    (1u << 2) /* REMOUNT_RO: the target is already its own mount */
#define RR_OPF_RO_AFTER   (1u << 3) /* MOUNT: remount read-only after (for binds) */

struct rr_op {
  uint32_t type;
  uint32_t flags;
  uint32_t a, b, c, d, e;
  uint32_t mode;
  uint64_t mount_flags;
};

struct rr_rlimit {
  uint32_t resource;
  uint32_t pad;
  uint64_t soft;
  uint64_t hard;
};

struct rr_plan_header {
  uint32_t magic;
  uint32_t version;
  uint32_t size;          /* total plan bytes */
  uint32_t flags;         /* RR_PLAN_* */
  uint32_t n_ops;
  uint32_t ops;           /* offset of struct rr_op[n_ops] */
  uint32_t argc;
  uint32_t argv;          /* offset of uint32_t[argc] string offsets */
  uint32_t envc;
  uint32_t envp;          /* offset of uint32_t[envc] string offsets */
  uint32_t exec_path;     /* argv[0] lookup: absolute/relative path, or a name searched in search_path */
  uint32_t search_path;   /* PATH value used for the lookup (the container's, not rr's) */
  uint32_t cwd;
  uint32_t hostname;
  uint32_t uid;
  uint32_t gid;
  uint32_t n_groups;
  uint32_t groups;        /* offset of uint32_t[n_groups] */
  uint32_t n_rlimits;
  uint32_t rlimits;       /* offset of struct rr_rlimit[n_rlimits] */
  uint32_t cap_last_cap;
  uint32_t tty_rows;
  uint32_t tty_cols;
  uint32_t pad;
  uint64_t cap_bounding;
  uint64_t cap_effective;
  uint64_t cap_permitted;
  uint64_t cap_inheritable;
  uint64_t cap_ambient;
};

/* Skeleton steps reported on the error pipe as negative step numbers. */
enum rr_step {
  RR_STEP_SYNC = -1, RR_STEP_SLAVE = -2, RR_STEP_CGROUPNS = -3, RR_STEP_LOOPBACK = -4,
  RR_STEP_HOSTNAME = -5, RR_STEP_RLIMIT = -6, RR_STEP_TTY = -7, RR_STEP_PIVOT = -8,
  RR_STEP_CAPBSET = -9, RR_STEP_SETGROUPS = -10, RR_STEP_SETGID = -11, RR_STEP_SETUID = -12,
  RR_STEP_CAPSET = -13, RR_STEP_NNP = -14, RR_STEP_STDIN = -15, RR_STEP_CHDIR = -16,
  RR_STEP_EXEC = -17, RR_STEP_FORK = -18, RR_STEP_PLAN = -19, RR_STEP_CLOSE_FDS = -20,
};

/* What the child writes on the error pipe before it exits. */
struct rr_child_error {
  int32_t step;  /* op index >= 0, or an rr_step */
  int32_t err;   /* errno */
};

/* Filled by rr_spawn. */
struct rr_spawn_result {
  int32_t pid;
  int32_t sync_fd;     /* write one byte to release the child (rr_release) */
  int32_t error_fd;    /* read rr_child_error; EOF means execve succeeded */
  int32_t console_fd;  /* RR_PLAN_TTY: the child sends the pty master here; else -1 */
};

#endif
