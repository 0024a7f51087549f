/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a pending row of the journal: the host (hostname and the
 * kernel's boot id, so that a rebooted host is another one), the process
 * (pid and start time) and the lease's end. A claim of this host lives
 * while its process does; a claim of another host until its lease ends
 * (WA_PREFLIGHT_LEASE_S, default 600 s). */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *wapf__claim_host(void) {
  static char host[320];
  static gsize once;
  if (g_once_init_enter(&once)) {
    char name[256] = "", boot[64] = "";
    if (gethostname(name, sizeof name - 1) != 0)
      wapf__strlcpy(name, "?", sizeof name);
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f) {
      if (!fgets(boot, sizeof boot, f))
        boot[0] = '\0';
      fclose(f);
    }
    boot[strcspn(boot, "\n")] = '\0';
    snprintf(host, sizeof host, "%s/%s", name, boot);
    g_once_init_leave(&once, 1);
  }
  return host;
}

double wapf__claim_lease(void) {
  const char *v = getenv("WA_PREFLIGHT_LEASE_S");
  char *end = NULL;
  double s = v && *v ? g_ascii_strtod(v, &end) : 0;
  return end && !*end && s > 0 && s <= 30 * 86400 ? s : 600;
}

void wapf__claim_read(wapf__stmt *st, int first, wapf__claim *c) {
  memset(c, 0, sizeof *c);
  c->pid = wapf__db_int64(st, first);
  c->pstart = wapf__db_int64(st, first + 1);
  const char *h = wapf__db_text(st, first + 2);
  c->lease = wapf__db_double(st, first + 3);
  /* rows written before hosts were recorded are this host's */
  c->other_host = h && *h && strcmp(h, wapf__claim_host()) != 0;
  if (c->other_host) {
    wapf__strlcpy(c->host_name, h, sizeof c->host_name);
    c->host_name[strcspn(c->host_name, "/")] = '\0';
  }
}

int wapf__claim_live(const wapf__claim *c) {
  if (!c->other_host)
    return wapf__process_alive((long)c->pid, c->pstart);
  return c->lease > (double)g_get_real_time() / G_USEC_PER_SEC;
}
