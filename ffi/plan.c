/*
 * Plan validation and a text description of a plan (for tests that check the
 * TypeScript encoder and this reader agree, and for `RR_DEBUG=plan`).
 */
#include "rr_internal.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int str_ok(const uint8_t *plan, uint32_t len, uint32_t off) {
  if (off == 0) return 1;
  if (off >= len) return 0;
  return memchr(plan + off, 0, len - off) != NULL;
}

static int array_ok(uint32_t len, uint32_t off, uint32_t n, uint32_t elem) {
  if (n == 0) return 1;
  if (off == 0 || off % 4) return 0;
  uint64_t end = (uint64_t)off + (uint64_t)n * elem;
  return end <= len;
}

int rr_plan_check(const uint8_t *plan, uint32_t len) {
  if (len < sizeof(struct rr_plan_header)) return EINVAL;
  const struct rr_plan_header *h = (const struct rr_plan_header *)plan;
  if (h->magic != RR_PLAN_MAGIC) return EINVAL;
  if (h->version != RR_ABI_VERSION) return EPROTO;
  if (h->size != len) return EINVAL;
  if (!array_ok(len, h->ops, h->n_ops, sizeof(struct rr_op))) return EINVAL;
  if (!array_ok(len, h->argv, h->argc, 4) || h->argc == 0) return EINVAL;
  if (!array_ok(len, h->envp, h->envc, 4)) return EINVAL;
  if (!array_ok(len, h->groups, h->n_groups, 4)) return EINVAL;
  if (!array_ok(len, h->rlimits, h->n_rlimits, sizeof(struct rr_rlimit))) return EINVAL;
  if (h->ops % 8 || h->rlimits % 8) return EINVAL;
  const uint32_t *argv = (const uint32_t *)(plan + h->argv);
  for (uint32_t i = 0; i < h->argc; i++) if (!argv[i] || !str_ok(plan, len, argv[i])) return EINVAL;
  const uint32_t *envp = (const uint32_t *)(plan + h->envp);
  for (uint32_t i = 0; i < h->envc; i++) if (!envp[i] || !str_ok(plan, len, envp[i])) return EINVAL;
  if (!str_ok(plan, len, h->exec_path) || !str_ok(plan, len, h->search_path) ||
      !str_ok(plan, len, h->cwd) || !str_ok(plan, len, h->hostname)) return EINVAL;
  const struct rr_op *ops = (const struct rr_op *)(plan + h->ops);
  for (uint32_t i = 0; i < h->n_ops; i++) {
    const struct rr_op *op = &ops[i];
    if (op->type < RR_OP_MOUNT || op->type > RR_OP_MASK) return EINVAL;
    if (!str_ok(plan, len, op->a) || !str_ok(plan, len, op->b) || !str_ok(plan, len, op->c) ||
        !str_ok(plan, len, op->d) || !str_ok(plan, len, op->e)) return EINVAL;
  }
  return 0;
}

static const char *op_name(uint32_t t) {
  switch (t) {
    case RR_OP_MOUNT: return "mount";
    case RR_OP_OPEN_ROOT: return "open-root";
    case RR_OP_MKDIR: return "mkdir";
    case RR_OP_MKFILE: return "mkfile";
    case RR_OP_SYMLINK: return "symlink";
    case RR_OP_REMOUNT_RO: return "remount-ro";
    case RR_OP_MASK: return "mask";
  }
  return "?";
}

#define S(off) (rr_str(plan, (off)) ? rr_str(plan, (off)) : "-")

/* Writes one line per field/op into out; returns bytes needed (like snprintf) or -errno. */
int rr_plan_describe(const uint8_t *plan, uint32_t len, char *out, uint32_t cap) {
  int err = rr_plan_check(plan, len);
  if (err) return -err;
  const struct rr_plan_header *h = (const struct rr_plan_header *)plan;
  size_t n = 0;
#define OUT(...) do { int w = snprintf(out + (n < cap ? n : cap), n < cap ? cap - n : 0, __VA_ARGS__); if (w > 0) n += (size_t)w; } while (0)
  OUT("version %u flags 0x%x uid %u gid %u cwd %s hostname %s\n", h->version, h->flags, h->uid, h->gid, S(h->cwd), S(h->hostname));
  OUT("exec %s path %s\n", S(h->exec_path), S(h->search_path));
  const uint32_t *argv = (const uint32_t *)(plan + h->argv);
  for (uint32_t i = 0; i < h->argc; i++) OUT("argv %s\n", S(argv[i]));
  const uint32_t *envp = (const uint32_t *)(plan + h->envp);
  for (uint32_t i = 0; i < h->envc; i++) OUT("env %s\n", S(envp[i]));
  const uint32_t *groups = (const uint32_t *)(plan + h->groups);
  for (uint32_t i = 0; i < h->n_groups; i++) OUT("group %u\n", groups[i]);
  const struct rr_rlimit *rl = (const struct rr_rlimit *)(plan + h->rlimits);
  for (uint32_t i = 0; i < h->n_rlimits; i++) OUT("rlimit %u %llu %llu\n", rl[i].resource, (unsigned long long)rl[i].soft, (unsigned long long)rl[i].hard);
  OUT("caps bounding 0x%llx effective 0x%llx last %u\n", (unsigned long long)h->cap_bounding, (unsigned long long)h->cap_effective, h->cap_last_cap);
  const struct rr_op *ops = (const struct rr_op *)(plan + h->ops);
  for (uint32_t i = 0; i < h->n_ops; i++) {
    const struct rr_op *op = &ops[i];
    OUT("op %u %s a=%s b=%s c=%s d=%s e=%s flags 0x%x mode 0%o mflags 0x%llx\n", i, op_name(op->type), S(op->a), S(op->b), S(op->c),
        S(op->d), S(op->e), op->flags, op->mode, (unsigned long long)op->mount_flags);
  }
#undef OUT
  return (int)n;
}
