/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* send --wait STATE [--wait-timeout S]: after the API took the message,
 * poll the journal (fed by `serve`'s status webhooks) until its status
 * reaches STATE (exit 0), says failed (exit 1, with the provider's words
 * and the diagnosis), or S seconds pass (exit 4). */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "send_wait.h"

static int rank(const char *s) {
  static const char *k[] = {"sent", "delivered", "read", "played", "failed"};
  for (int i = 0; s && i < 5; i++)
    if (strcmp(s, k[i]) == 0)
      return i + 1;
  return 0;
}

typedef struct poll_state {
  wapf_context *ctx;
  send_waited *w;
} poll_state;

static int on_row(void *cookie, const wapf_journal_entry *e) {
  poll_state *p = cookie;
  if (rank(e->status) <= rank(p->w->status))
    return 0;
  snprintf(p->w->status, sizeof p->w->status, "%s", e->status);
  snprintf(p->w->errors, sizeof p->w->errors, "%s", e->errors);
  p->w->at = e->status_at;
  if (rank(e->status) == 5)
    wapf_diagnose(p->ctx, NULL, e, p->w->diagnosis, sizeof p->w->diagnosis);
  return 0;
}

int send_wait(const cli_args *a, wapf_context *ctx, const char *message_id,
              send_waited *w) {
  memset(w, 0, sizeof *w);
  double until = cli_now() + (a->wait_timeout > 0 ? a->wait_timeout : 300);
  int want = rank(a->wait_state);
  poll_state p = {ctx, w};
  for (;;) {
    if (wapf_journal_find(ctx, NULL, message_id, on_row, &p) != WAPF_OK)
      return cli_fail(ctx, NULL, WAPF_EIO), EXIT_USAGE;
    int r = rank(w->status);
    if (r == 5)
      return EXIT_VERDICT;
    if (r >= want)
      return EXIT_OK;
    if (cli_interrupted() || cli_now() >= until)
      return EXIT_UNKNOWN;
    usleep(200 * 1000);
  }
}
