/*
 * rr_netlink_run: network set-up steps (bridges, veths, addresses, routes,
 * sysctls, nftables) run by a short-lived helper process.
 *
 *   rr ──clone (no CLONE_VM)──▶ helper: signals blocked, non-dumpable; runs the
 *                                script's ops in order, reports {op, errno} on a
 *                                pipe and exits; rr reads the report and reaps it.
 *
 * A helper is needed because setns(CLONE_NEWUSER) is refused to a
 * multithreaded process (Bun), and because entering namespaces must not change
 * rr's own. The helper works on its private copy of rr's memory and never
 * allocates (rr's other threads may hold malloc's locks at clone time).
 * fds named by the script (SETNS, IFLA_NET_NS_FD in a message) are rr's,
 * inherited by the helper.
 *
 * Script, little-endian (written by src/network/netlink-script.ts):
 *   header   u32 magic RR_NL_MAGIC ("RRNL"), u32 version RR_NL_VERSION
 *   op       u16 type, u16 flags, u32 size (the whole op with this header, a
 *            multiple of 4), then the body:
 *   SETNS    1  i32 fd, u32 nstype (CLONE_NEWUSER or CLONE_NEWNET); skipped
 *               when the helper already is in that namespace
 *   IFINDEX  2  u32 register (0..7), the interface's name, NUL-terminated
 *               (SIOCGIFINDEX in the current network namespace)
 *   SEND     3  u32 protocol (NETLINK_ROUTE or NETLINK_NETFILTER), u32 npatch,
 *               npatch x {u32 offset, u32 register}, then netlink messages up
 *               to the end of the op. Each patch writes a register (set by an
 *               earlier IFINDEX) as a u32 at offset in the messages. The
 *               messages go out in one send() on a fresh socket; the helper
 *               numbers them (nlmsg_seq = 1, 2, ...) and waits for every ack.
 *               Every message must ask for one (NLM_F_ACK), except the
 *               nfnetlink batch delimiters.
 *   WRITE    4  u32 path length (with its NUL), u32 data length, the path
 *               (under /proc/sys/, no ".."), the data; written in one write()
 *   flags    1 EEXIST_OK, 2 ENODEV_OK (SEND: that error counts as an ack),
 *            4 OPTIONAL (WRITE: a missing file is not an error)
 *
 * Returns 0, or -errno with result[0] = the failed op's index (-1: before
 * any op), result[1] = errno, result[2] = the failing message's index within
 * a SEND (else -1); detail receives the kernel's extended ack text, if any.
 */
#define _GNU_SOURCE
#include "rr_net.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define RR_NL_MAGIC 0x4c4e5252u
#define RR_NL_VERSION 1u
enum { RR_NL_SETNS = 1, RR_NL_IFINDEX = 2, RR_NL_SEND = 3, RR_NL_WRITE = 4 };
#define RR_NL_EEXIST_OK 1u
#define RR_NL_ENODEV_OK 2u
#define RR_NL_OPTIONAL 4u
#define RR_NL_REGISTERS 8
#define RR_NL_ACK_TIMEOUT_S 5
#define NFNL_BATCH_BEGIN 16 /* NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END */
#define NFNL_BATCH_END 17
#define STACK_SIZE (64 * 1024)
#define DETAIL_MAX 200

struct report {
  int32_t op, err, msg;
  char detail[DETAIL_MAX];
};

struct helper {
  uint8_t *script; /* the helper's private copy: it writes seqs and patches into it */
  uint32_t len;
  int report_fd;
};

static uint8_t rx[32768] __attribute__((aligned(8))); /* the helper's copy only */

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t align4(uint32_t n) { return (n + 3) & ~3u; }

/* Walks the messages of a SEND body; 0 if they tile it exactly and each asks for an ack. */
static int check_messages(const uint8_t *m, uint32_t n, uint32_t proto) {
  if (n < NLMSG_HDRLEN) return EINVAL;
  for (uint32_t off = 0; off < n;) {
    if (n - off < NLMSG_HDRLEN) return EINVAL;
    uint32_t len = get32(m + off);
    uint16_t type = get16(m + off + 4), flags = get16(m + off + 6);
    if (len < NLMSG_HDRLEN || len > n - off) return EINVAL;
    int delimiter = proto == NETLINK_NETFILTER && (type == NFNL_BATCH_BEGIN || type == NFNL_BATCH_END);
    if (!(flags & NLM_F_REQUEST) || (!delimiter && !(flags & NLM_F_ACK))) return EINVAL;
    off += align4(len);
    if (off > n) return EINVAL;
  }
  return 0;
}

static int path_ok(const char *p, uint32_t len) {
  if (len < 11 || p[len - 1] || strlen(p) != len - 1 || strncmp(p, "/proc/sys/", 10)) return 0;
  for (const char *s = p; (s = strstr(s, "..")); s++) {
    if (s[-1] == '/' && (s[2] == '/' || s[2] == 0)) return 0;
  }
  return 1;
}

/* Checks the whole script before anything runs; 0 or an errno, *bad = the op. */
static int check_script(const uint8_t *s, uint32_t len, int32_t *bad) {
  *bad = -1;
  if (len < 8 || get32(s) != RR_NL_MAGIC || get32(s + 4) != RR_NL_VERSION) return EINVAL;
  uint32_t regs_set = 0;
  int32_t index = 0;
  for (uint32_t off = 8; off < len; off += get32(s + off + 4), index++) {
    *bad = index;
    if (len - off < 8) return EINVAL;
    const uint8_t *op = s + off, *b = op + 8;
    uint32_t size = get32(op + 4);
    if (size < 8 || size % 4 || size > len - off) return EINVAL;
    uint32_t blen = size - 8;
    switch (get16(op)) {
    case RR_NL_SETNS: {
      if (blen != 8) return EINVAL;
      uint32_t t = get32(b + 4);
      if ((int32_t)get32(b) < 0 || (t != CLONE_NEWUSER && t != CLONE_NEWNET)) return EINVAL;
      break;
    }
    case RR_NL_IFINDEX: {
      if (blen < 8 || get32(b) >= RR_NL_REGISTERS) return EINVAL;
      const char *name = (const char *)b + 4;
      size_t n = strnlen(name, blen - 4);
      if (n == 0 || n >= IFNAMSIZ || n == blen - 4) return EINVAL;
      regs_set |= 1u << get32(b);
      break;
    }
    case RR_NL_SEND: {
      if (blen < 8) return EINVAL;
      uint32_t proto = get32(b), np = get32(b + 4);
      if (proto != NETLINK_ROUTE && proto != NETLINK_NETFILTER) return EINVAL;
      if (np > (blen - 8) / 8) return EINVAL;
      uint32_t mstart = 8 + np * 8, mlen = blen - mstart;
      int e = check_messages(b + mstart, mlen, proto);
      if (e) return e;
      for (uint32_t i = 0; i < np; i++) {
        uint32_t at = get32(b + 8 + i * 8), reg = get32(b + 12 + i * 8);
        if (at < NLMSG_HDRLEN || at > mlen - 4 || reg >= RR_NL_REGISTERS || !(regs_set & (1u << reg))) return EINVAL;
      }
      break;
    }
    case RR_NL_WRITE: {
      if (blen < 8) return EINVAL;
      uint32_t pl = get32(b), dl = get32(b + 4);
      if (pl > blen - 8 || dl > blen - 8 - pl || !path_ok((const char *)b + 8, pl)) return EINVAL;
      break;
    }
    default:
      return EINVAL;
    }
  }
  *bad = -1;
  return 0;
}

static void report_and_exit(int fd, int32_t op, int32_t err, int32_t msg, const char *detail) {
  struct report r;
  memset(&r, 0, sizeof r);
  r.op = op;
  r.err = err;
  r.msg = msg;
  if (detail) {
    size_t n = strnlen(detail, DETAIL_MAX - 1);
    memcpy(r.detail, detail, n);
  }
  ssize_t unused = write(fd, &r, sizeof r);
  (void)unused;
  _exit(err ? 1 : 0);
}

static int do_setns(int fd, uint32_t nstype) {
  struct stat a, b;
  const char *self = nstype == CLONE_NEWUSER ? "/proc/self/ns/user" : "/proc/self/ns/net";
  if (fstat(fd, &a) < 0) return errno;
  if (stat(self, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) return 0; /* already there */
  return setns(fd, (int)nstype) < 0 ? errno : 0;
}

static int do_ifindex(const char *name, uint32_t *out) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq r;
  memset(&r, 0, sizeof r);
  memcpy(r.ifr_name, name, strlen(name));
  int e = ioctl(s, SIOCGIFINDEX, &r) < 0 ? errno : 0;
  close(s);
  if (!e) *out = (uint32_t)r.ifr_ifindex;
  return e;
}

/* The kernel's text from an extended ack (NETLINK_CAP_ACK: no echoed payload). */
static void ack_text(const struct nlmsghdr *h, char *detail) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  uint32_t off = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
  while (off + 4 <= h->nlmsg_len) {
    const struct nlattr *a = (const struct nlattr *)((const uint8_t *)h + off);
    if (a->nla_len < 4 || off + a->nla_len > h->nlmsg_len) return;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      size_t n = strnlen((const char *)(a + 1), a->nla_len - 4);
      if (n > DETAIL_MAX - 1) n = DETAIL_MAX - 1;
      memcpy(detail, a + 1, n);
      detail[n] = 0;
      return;
    }
    off += NLA_ALIGN(a->nla_len);
  }
}

static int do_send(uint32_t proto, uint16_t flags, uint8_t *m, uint32_t n, int32_t *bad_msg, char *detail) {
  uint32_t count = 0, expected = 0;
  for (uint32_t off = 0; off < n; off += align4(get32(m + off)), count++) {
    put32(m + off + offsetof(struct nlmsghdr, nlmsg_seq), count + 1);
    put32(m + off + offsetof(struct nlmsghdr, nlmsg_pid), 0);
    if (get16(m + off + offsetof(struct nlmsghdr, nlmsg_flags)) & NLM_F_ACK) expected++;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, (int)proto);
  if (fd < 0) return errno;
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  struct timeval tv = {RR_NL_ACK_TIMEOUT_S, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  int err = 0;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { err = errno; goto out; }
  ssize_t sent;
  do sent = sendto(fd, m, n, 0, (struct sockaddr *)&sa, sizeof sa); while (sent < 0 && errno == EINTR);
  if (sent < 0) { err = errno; goto out; }
  for (uint32_t acks = 0; acks < expected;) {
    ssize_t got = recv(fd, rx, sizeof rx, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      err = errno == EAGAIN ? ETIMEDOUT : errno;
      goto out;
    }
    size_t left = (size_t)got;
    for (struct nlmsghdr *h = (struct nlmsghdr *)rx; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr)) { err = EBADMSG; goto out; }
      const struct nlmsgerr *e = NLMSG_DATA(h);
      int code = -e->error;
      if (code == 0 || (code == EEXIST && (flags & RR_NL_EEXIST_OK)) || (code == ENODEV && (flags & RR_NL_ENODEV_OK))) {
        acks++;
        continue;
      }
      *bad_msg = e->msg.nlmsg_seq >= 1 && e->msg.nlmsg_seq <= count ? (int32_t)e->msg.nlmsg_seq - 1 : -1;
      ack_text(h, detail);
      err = code > 0 ? code : EPROTO;
      goto out;
    }
  }
out:
  close(fd);
  return err;
}

static int do_write(const char *path, const uint8_t *data, uint32_t n, uint16_t flags) {
  int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT && (flags & RR_NL_OPTIONAL) ? 0 : errno;
  ssize_t w;
  do w = write(fd, data, n); while (w < 0 && errno == EINTR);
  int e = w < 0 ? errno : (uint32_t)w != n ? EIO : 0;
  close(fd);
  return e;
}

static int helper_main(void *arg) {
  struct helper *hp = arg;
  uint8_t *s = hp->script;
  int rfd = hp->report_fd;
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL); /* Bun's handlers must never run here */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);   /* it holds rr's fds while inside others' namespaces */
  uint32_t regs[RR_NL_REGISTERS] = {0};
  static char detail[DETAIL_MAX];
  int32_t index = 0;
  for (uint32_t off = 8; off < hp->len; off += get32(s + off + 4), index++) {
    uint8_t *op = s + off, *b = op + 8;
    uint16_t flags = get16(op + 2);
    uint32_t blen = get32(op + 4) - 8;
    int32_t msg = -1;
    int e = 0;
    switch (get16(op)) {
    case RR_NL_SETNS:
      e = do_setns((int)get32(b), get32(b + 4));
      break;
    case RR_NL_IFINDEX:
      e = do_ifindex((const char *)b + 4, &regs[get32(b)]);
      break;
    case RR_NL_SEND: {
      uint32_t np = get32(b + 4), mstart = 8 + np * 8;
      uint8_t *m = b + mstart;
      for (uint32_t i = 0; i < np; i++) put32(m + get32(b + 8 + i * 8), regs[get32(b + 12 + i * 8)]);
      e = do_send(get32(b), flags, m, blen - mstart, &msg, detail);
      break;
    }
    case RR_NL_WRITE: {
      uint32_t pl = get32(b);
      e = do_write((const char *)b + 8, b + 8 + pl, get32(b + 4), flags);
      break;
    }
    }
    if (e) report_and_exit(rfd, index, e, msg, detail);
  }
  report_and_exit(rfd, -1, 0, -1, NULL);
  return 0;
}

int rr_netlink_run(const uint8_t *script, uint32_t len, int32_t *result, char *detail, uint32_t detail_len) {
  result[0] = -1;
  result[1] = 0;
  result[2] = -1;
  if (detail_len) detail[0] = 0;
  int err = check_script(script, len, &result[0]);
  if (err) { result[1] = err; return -err; }

  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) { err = errno; result[1] = err; return -err; }
  /* the helper writes into its own copy of the script: the cast is safe */
  struct helper h = {(uint8_t *)(uintptr_t)script, len, rep[1]};
  void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) { err = errno; goto fail; }
  pid_t pid = clone(helper_main, (char *)stack + STACK_SIZE, SIGCHLD, &h);
  err = errno;
  munmap(stack, STACK_SIZE);
  if (pid < 0) goto fail;
  close(rep[1]);
  rep[1] = -1;

  struct report r = {-1, EPIPE, -1, {0}};
  ssize_t got;
  do got = read(rep[0], &r, sizeof r); while (got < 0 && errno == EINTR);
  close(rep[0]);
  int status;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {}
  if (got != (ssize_t)sizeof r) r = (struct report){-1, EPIPE, -1, {0}}; /* it died without a word */
  if (!r.err) return 0;
  result[0] = r.op;
  result[1] = r.err;
  result[2] = r.msg;
  if (detail_len) {
    size_t n = strnlen(r.detail, sizeof r.detail - 1);
    if (n > detail_len - 1) n = detail_len - 1;
    memcpy(detail, r.detail, n);
    detail[n] = 0;
  }
  return -r.err;

fail:
  close(rep[0]);
  if (rep[1] >= 0) close(rep[1]);
  result[1] = err;
  return -err;
}
