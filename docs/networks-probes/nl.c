/* Probe (not rr code): the netlink messages rr would build (in TypeScript) and send (from C).
 * Verified on Debian 12 / kernel 6.18 as an unprivileged user; see docs/networks-design.md.
 * usage: nl HOLDER_PID C1_PID C2_PID   (run as the user owning the holder's userns) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

static uint8_t buf[4096]; static size_t len; static uint32_t seq = 1;
static void put(const void *p, size_t n) { memcpy(buf + len, p, n); len += n; len = (len + 3) & ~3u; }
static size_t attr_begin(uint16_t type) { size_t at = len; struct rtattr a = {0, type}; put(&a, 4); return at; }
static void attr_end(size_t at) { ((struct rtattr *)(buf + at))->rta_len = (uint16_t)(len - at); }
static void attr(uint16_t type, const void *p, size_t n) { struct rtattr a = {(uint16_t)(4 + n), type}; memcpy(buf + len, &a, 4); memcpy(buf + len + 4, p, n); len = (len + 4 + n + 3) & ~3u; }
static void attr_str(uint16_t type, const char *s) { attr(type, s, strlen(s) + 1); }
static void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, 4); }
static void msg_begin(uint16_t type, uint16_t flags) { memset(buf, 0, sizeof buf); len = 0; struct nlmsghdr h = {0, type, (uint16_t)(flags | NLM_F_REQUEST | NLM_F_ACK), seq++, 0}; put(&h, sizeof h); }
static void hexdump(const char *what) {
  printf("%s (%zu bytes):", what, len);
  for (size_t i = 0; i < len; i++) printf("%s%02x", i % 16 ? " " : "\n  ", buf[i]);
  printf("\n");
}
static int send_msg(int fd, const char *what, int dump) {
  ((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)len;
  if (dump && !getenv("QUIET")) hexdump(what);
  if (send(fd, buf, len, 0) < 0) return -errno;
  uint8_t r[8192]; ssize_t n = recv(fd, r, sizeof r, 0);
  if (n < 0) return -errno;
  for (struct nlmsghdr *h = (void *)r; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR) { int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error; printf("  %s -> %s\n", what, e ? strerror(-e) : "ok"); return e; }
    if (h->nlmsg_type == RTM_NEWLINK) { struct ifinfomsg *i = NLMSG_DATA(h); printf("  %s echo: ifindex %d\n", what, i->ifi_index); }
  }
  return 0;
}
static int nl_open(void) { int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE); struct sockaddr_nl a = {0}; a.nl_family = AF_NETLINK; bind(fd, (void *)&a, sizeof a); return fd; }
static int ifindex(const char *name) { int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); struct ifreq r = {0}; strncpy(r.ifr_name, name, IFNAMSIZ - 1); int e = ioctl(s, SIOCGIFINDEX, &r); close(s); return e < 0 ? -errno : r.ifr_ifindex; }
static int nsfd(int pid, const char *ns) { char p[64]; snprintf(p, sizeof p, "/proc/%d/ns/%s", pid, ns); return open(p, O_RDONLY | O_CLOEXEC); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }

static void newlink_bridge(const char *name, uint32_t index) {
  msg_begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg i = {.ifi_family = AF_UNSPEC, .ifi_index = (int)index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP}; put(&i, sizeof i);
  attr_str(IFLA_IFNAME, name);
  if (getenv("MTU")) attr_u32(IFLA_MTU, (uint32_t)atoi(getenv("MTU")));
  uint8_t mac[6] = {0x02, 0x42, 0xac, 0x12, 0x00, 0x01}; attr(IFLA_ADDRESS, mac, 6);
  size_t li = attr_begin(IFLA_LINKINFO); attr_str(IFLA_INFO_KIND, "bridge"); attr_end(li);
}
static void newaddr(uint32_t index, const char *ip, uint8_t prefix) {
  msg_begin(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg a = {.ifa_family = AF_INET, .ifa_prefixlen = prefix, .ifa_flags = 0, .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = index}; put(&a, sizeof a);
  struct in_addr in; inet_pton(AF_INET, ip, &in);
  attr(IFA_LOCAL, &in, 4); attr(IFA_ADDRESS, &in, 4);
}
static void newlink_veth(const char *host, uint32_t master, const char *peer, int netns_fd, int peer_index, const uint8_t mac[6]) {
  msg_begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg i = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP}; put(&i, sizeof i);
  attr_str(IFLA_IFNAME, host);
  if (getenv("MTU")) attr_u32(IFLA_MTU, (uint32_t)atoi(getenv("MTU")));
  attr_u32(IFLA_MASTER, master);
  size_t li = attr_begin(IFLA_LINKINFO); attr_str(IFLA_INFO_KIND, "veth");
  size_t d = attr_begin(IFLA_INFO_DATA); size_t p = attr_begin(VETH_INFO_PEER);
  struct ifinfomsg pi = {.ifi_family = AF_UNSPEC, .ifi_index = peer_index}; put(&pi, sizeof pi);
  attr_str(IFLA_IFNAME, peer); attr_u32(IFLA_NET_NS_FD, (uint32_t)netns_fd);
  if (getenv("MTU")) attr_u32(IFLA_MTU, (uint32_t)atoi(getenv("MTU")));
  attr(IFLA_ADDRESS, mac, 6);
  attr_end(p); attr_end(d); attr_end(li);
}
static void newroute_default(const char *gw, uint32_t oif) {
  msg_begin(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg r = {.rtm_family = AF_INET, .rtm_dst_len = 0, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST}; put(&r, sizeof r);
  struct in_addr in; inet_pton(AF_INET, gw, &in); attr(RTA_GATEWAY, &in, 4); attr_u32(RTA_OIF, oif);
}
static void setlink_up(uint32_t index) {
  msg_begin(RTM_NEWLINK, 0);
  struct ifinfomsg i = {.ifi_family = AF_UNSPEC, .ifi_index = (int)index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP}; put(&i, sizeof i);
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  setvbuf(stdout, NULL, _IONBF, 0);
  int H = atoi(argv[1]), C[2] = {atoi(argv[2]), atoi(argv[3])};
  int huser = nsfd(H, "user"), hnet = nsfd(H, "net"), cnet[2] = {nsfd(C[0], "net"), nsfd(C[1], "net")};
  printf("fds: holder user %d net %d, c1 net %d, c2 net %d\n", huser, hnet, cnet[0], cnet[1]);
  double t0 = now();
  pid_t pid = fork();
  if (pid == 0) {
    if (setns(huser, CLONE_NEWUSER) < 0) { perror("setns user"); _exit(1); }
    if (setns(hnet, CLONE_NEWNET) < 0) { perror("setns net"); _exit(1); }
    int fd = nl_open();
    newlink_bridge("rr-hadoop", 0); send_msg(fd, "RTM_NEWLINK bridge rr-hadoop (up)", 1);
    int br = ifindex("rr-hadoop"); printf("  bridge ifindex (SIOCGIFINDEX) %d\n", br);
    newaddr((uint32_t)br, "172.18.0.1", 16); send_msg(fd, "RTM_NEWADDR 172.18.0.1/16 on bridge", 1);
    for (int c = 0; c < 2; c++) {
      double t1 = now();
      uint8_t mac[6] = {0x02, 0x42, 0xac, 0x12, 0x00, (uint8_t)(2 + c)};
      char host[16]; snprintf(host, sizeof host, "rrv%d", c + 1);
      newlink_veth(host, (uint32_t)br, "eth0", cnet[c], c == 1 ? 7 : 0, mac);
      int e = send_msg(fd, c == 0 ? "RTM_NEWLINK veth rrv1 master bridge, peer eth0 -> c1 netns (peer index 0)" : "same for c2, peer ifi_index 7", c == 0);
      if (e && c == 1) { newlink_veth(host, (uint32_t)br, "eth0", cnet[c], 0, mac); send_msg(fd, "retry c2 with peer index 0", 0); }
      /* the container's side, from the same helper: switch into its netns */
      if (setns(cnet[c], CLONE_NEWNET) < 0) { perror("setns c"); _exit(1); }
      int cfd = nl_open();
      int eth0 = ifindex("eth0"); printf("  c%d eth0 ifindex %d\n", c + 1, eth0);
      setlink_up(1); send_msg(cfd, "RTM_NEWLINK lo up", c == 0);
      setlink_up((uint32_t)eth0); send_msg(cfd, "RTM_NEWLINK eth0 (index 2) up", c == 0);
      char ip[16]; snprintf(ip, sizeof ip, "172.18.0.%d", 2 + c);
      newaddr((uint32_t)eth0, ip, 16); send_msg(cfd, "RTM_NEWADDR on eth0", c == 0);
      newroute_default("172.18.0.1", (uint32_t)eth0); send_msg(cfd, "RTM_NEWROUTE default via 172.18.0.1", c == 0);
      close(cfd);
      if (setns(hnet, CLONE_NEWNET) < 0) { perror("setns back"); _exit(1); }
      printf("  container %d wired in %.2f ms\n", c + 1, now() - t1);
    }
    _exit(0);
  }
  int st; waitpid(pid, &st, 0);
  printf("helper exit %d, total %.2f ms\n", WEXITSTATUS(st), now() - t0);
  return 0;
}
