/* Shared between the C files of the rr core; not part of the ABI. */
#ifndef RR_INTERNAL_H
#define RR_INTERNAL_H
#include "rr_abi.h"
#include <stddef.h>

struct rr_child_args {
  const uint8_t *plan;
  uint32_t plan_len;
  int sync_fd;      /* read end: wait for the parent's go */
  int error_fd;     /* write end, CLOEXEC */
  int console_fd;   /* our end of the console socketpair, or -1 */
  /* the parent's ends, which the child must close at once: holding the sync
   * pipe's write end would keep the child waiting forever if rr gives up */
  int parent_fds[3];
};

/* Checks a plan's header and every offset; returns 0 or an errno. Allocation-free. */
int rr_plan_check(const uint8_t *plan, uint32_t len);
static inline const char *rr_str(const uint8_t *plan, uint32_t off) {
  return off ? (const char *)(plan + off) : NULL;
}
/* ops.c: the root opened by RR_OP_OPEN_ROOT, and one op; 0 or an errno. */
extern int rr_root_fd;
int rr_run_op(const struct rr_op *op, const uint8_t *plan);
int rr_open_in_root(const char *path, int flags);
/* The child's body: never returns. */
int rr_child_main(void *arg);

/* join.c: rr exec. Starts a child in the namespaces of target_pid (those in
 * ns_mask, CLONE_NEW* bits, that are not already ours), non-dumpable until
 * execve; fills *out like rr_spawn. On failure returns -errno and
 * failure[0] = RR_JOIN_PHASE_*, failure[1] = the namespace's index in join
 * order (user ipc uts net pid cgroup mnt) or -1. */
#define RR_JOIN_STDIO_NULL 1u /* stdin, stdout and stderr on the container's /dev/null */
enum rr_join_phase {
  RR_JOIN_PHASE_PLAN = 1, RR_JOIN_PHASE_OPEN = 2, RR_JOIN_PHASE_PIPE = 3, RR_JOIN_PHASE_CLONE = 4,
  RR_JOIN_PHASE_DUMPABLE = 5, RR_JOIN_PHASE_SETNS = 6, RR_JOIN_PHASE_DEVNULL = 7,
};
int rr_spawn_joined(int32_t target_pid, uint32_t ns_mask, uint32_t join_flags, const uint8_t *plan, uint32_t len,
                    struct rr_spawn_result *out, int32_t *failure);
int rr_spawn_into(const char *user_ns, const char *net_ns, uint64_t clone_flags, const uint8_t *plan, uint32_t len,
                  struct rr_spawn_result *out, int32_t *failure);
/* Opens path read-only beneath root (RESOLVE_IN_ROOT); the fd or -errno. */
int rr_open_beneath(const char *root, const char *path);

#endif
