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

#endif
