/* Shared by the parts of the port forwarder (rr-monitor -F): forward.c sets up
 * and runs the poll loop, forward_tcp.c and forward_udp.c relay. */
#ifndef RR_FORWARD_H
#define RR_FORWARD_H
#include <stddef.h>
#include <sys/socket.h>

#define ACCEPT_BURST 64 /* accepts or datagrams per wake-up */

struct listener {
  int fd, udp;
  struct sockaddr_storage target;
  socklen_t target_len;
};

/* What a pollfd stands for; idx is the listener's, connection's or flow's index. */
enum { REF_LIFELINE, REF_LISTENER, REF_CLIENT, REF_SERVER, REF_FLOW };

/* forward.c */
extern struct listener *fwd_lst;
extern int fwd_force_rw;
extern long long fwd_now_ms, fwd_accept_paused_until;
int fwd_grow(void **arr, int *cap, int need, size_t size);
void fwd_add_poll(int *n, int fd, short events, int kind, int idx);

/* forward_tcp.c: the connections */
void fwd_tcp_accept(const struct listener *l);
void fwd_tcp_event(int idx);
int fwd_tcp_compact(void);
void fwd_tcp_poll(int *n);

/* forward_udp.c: the flows, one per client address */
extern int fwd_udp_idle_ms, fwd_udp_max_flows;
void fwd_udp_from_client(int li);
void fwd_udp_event(int idx);
int fwd_udp_expire(void);
int fwd_udp_compact(void);
void fwd_udp_poll(int *n);

#endif
