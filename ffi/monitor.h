/* Shared by the halves of the container monitor: monitor.c supervises the
 * container, monitor_attach.c serves attach.sock (its frames: top of monitor.c). */
#ifndef RR_MONITOR_H
#define RR_MONITOR_H
#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CLIENTS 16
#define ATTACH_POLLS (1 + MAX_CLIENTS) /* the socket, then a client each */

enum { F_STDIN = 0, F_STDOUT = 1, F_STDERR = 2, F_RESIZE = 3, F_STDIN_EOF = 4 };

/* monitor.c */
int mon_write_full(int fd, const void *buf, size_t n);
/* A client's frame for the container: stdin, stdin EOF or a terminal size. */
void mon_client_frame(int type, const uint8_t *data, uint32_t len);

/* monitor_attach.c */
void attach_listen(void);
void attach_accept_pending(void);
void attach_poll(struct pollfd *p, int accepting);
void attach_events(const struct pollfd *p);
void attach_broadcast(int type, const char *data, size_t len);
void attach_close(void);

#endif
