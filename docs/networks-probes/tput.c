/* tput sink PORT | tput src IP PORT MIB : TCP throughput */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  static char buf[1 << 17];
  if (!strcmp(argv[1], "sink")) {
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1; setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (argc > 3) inet_pton(AF_INET, argv[3], &a.sin_addr);
    if (bind(l, (void *)&a, sizeof a) < 0) { perror("bind"); return 1; }
    listen(l, 8);
    for (;;) { int c = accept(l, NULL, NULL); ssize_t n; while ((n = read(c, buf, sizeof buf)) > 0) {} close(c); }
  }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
  inet_pton(AF_INET, argv[2], &a.sin_addr);
  if (connect(s, (void *)&a, sizeof a) < 0) { perror("connect"); return 1; }
  long mib = atol(argv[4]); double t0 = now();
  for (long i = 0; i < mib * 8; i++) for (size_t o = 0; o < sizeof buf;) { ssize_t w = write(s, buf + o, sizeof buf - o); if (w <= 0) { perror("write"); return 1; } o += (size_t)w; }
  shutdown(s, SHUT_WR); while (read(s, buf, sizeof buf) > 0) {}
  double dt = now() - t0; printf("%ld MiB in %.2f s = %.0f MiB/s\n", mib, dt, mib / dt); return 0;
}
