/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Process identity: a pid and its start time, so that a pid the kernel
 * reused is not taken for the process that wrote a marker. The owner
 * markers of send's temporary folders, the send journal's rows and the
 * temporary outputs (io.c) all record and test it here. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long long wapf__process_start(long pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* "pid (comm) state ppid ...": field 22 is the start time; comm may
   * hold spaces and parentheses, so count from the last ')'. */
  char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 22; field++)
    p = strchr(p + 1, ' ');
  return p ? strtoll(p + 1, NULL, 10) : -1;
}

int wapf__process_alive(long pid, long long start) {
  if (pid <= 0)
    return 0;
  if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
    return 0;
  long long now = wapf__process_start(pid);
  return now < 0 ? 1 : now == start; /* no /proc: trust kill() */
}
