/* Network parts of the C core (issue 6): netlink scripts and the port forwarder. */
#ifndef RR_NET_H
#define RR_NET_H
#include <stdint.h>

/* netlink.c: runs a netlink script (see netlink.c) in a helper process; 0 or
 * -errno with result[3] = {op, errno, message in the op} and the kernel's
 * extended ack text in detail. */
int rr_netlink_run(const uint8_t *script, uint32_t len, int32_t *result, char *detail, uint32_t detail_len);

/* forward.c: `rr-monitor -F ...`, the published-port forwarder; returns the exit status. */
int rr_forward_main(int argc, char **argv);

#endif
