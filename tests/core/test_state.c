/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a context caches belongs to it (include/wapf.h, thread rules): its
 * libmagic handle is loaded once, on its first probe, and kept for the
 * next ones whatever thread makes them; its send journal stays open
 * between calls; another context has its own; a thread that ends takes
 * nothing with it; wapf_close releases all of it (the sanitizer build's
 * leak check fails otherwise). */
#include "internal.h"
#include "t.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[] = "/tmp/wapf-state-XXXXXX";
static char g_text[300];

static int probe_text(wapf_context *ctx) {
  wapf_facts *f = NULL;
  int rc = wapf_probe(ctx, g_text, &f);
  wapf_facts_free(&f);
  return rc;
}

static void *probe_on_a_thread(void *ctx) {
  return (void *)(intptr_t)probe_text(ctx);
}

static int probe_elsewhere(wapf_context *ctx) {
  pthread_t t;
  void *rc = NULL;
  if (pthread_create(&t, NULL, probe_on_a_thread, ctx) != 0)
    return -100;
  pthread_join(t, &rc); /* the thread has ended when this returns */
  return (int)(intptr_t)rc;
}

static void one_magic_handle_per_context(void) {
  wapf_context *a = NULL, *b = NULL;
  T_EQ_INT(wapf_open(&a, NULL), WAPF_OK);
  T_EQ_INT(wapf_open(&b, NULL), WAPF_OK);
  T_CHECK(a->magic == NULL); /* nothing is loaded before it is needed */
  T_EQ_INT(probe_text(a), WAPF_OK);
  struct magic_set *first = a->magic;
  T_CHECK(first != NULL);
  T_EQ_INT(probe_text(a), WAPF_OK);
  T_CHECK(a->magic == first); /* not one per call */
  T_EQ_INT(probe_elsewhere(a), WAPF_OK);
  T_EQ_INT(probe_elsewhere(a), WAPF_OK);
  T_CHECK(a->magic == first); /* not one per thread */
  T_CHECK(b->magic == NULL);
  T_EQ_INT(probe_elsewhere(b), WAPF_OK);
  T_CHECK(b->magic != NULL && b->magic != first);
  T_EQ_INT(probe_text(b), WAPF_OK); /* its thread is gone: still usable */
  wapf_close(&a);
  wapf_close(&b);
  T_CHECK(a == NULL && b == NULL);
}

static int count_row(void *cookie, const wapf_journal_entry *e) {
  (void)e;
  ++*(int *)cookie;
  return 0;
}

static void the_journal_stays_open_on_its_context(void) {
  wapf_context *a = NULL, *b = NULL;
  T_EQ_INT(wapf_open(&a, NULL), WAPF_OK);
  T_EQ_INT(wapf_open(&b, NULL), WAPF_OK);
  int rows = 0;
  T_EQ_INT(wapf_journal_list(a, g_dir, 0, count_row, &rows), WAPF_OK);
  struct wapf__journal *j = a->journal;
  T_CHECK(j != NULL);
  T_EQ_INT(wapf_journal_list(a, g_dir, 0, count_row, &rows), WAPF_OK);
  T_CHECK(a->journal == j);
  T_EQ_INT(rows, 0);
  T_EQ_INT(wapf_journal_list(b, g_dir, 0, count_row, &rows), WAPF_OK);
  T_CHECK(b->journal != NULL && b->journal != j);
  /* another folder replaces the context's journal */
  char other[320];
  snprintf(other, sizeof other, "%s/other", g_dir);
  T_EQ_INT(wapf_journal_list(a, other, 0, count_row, &rows), WAPF_OK);
  T_CHECK(a->journal != NULL);
  wapf_close(&a);
  wapf_close(&b);
}

int main(void) {
  if (!mkdtemp(g_dir))
    return 1;
  snprintf(g_text, sizeof g_text, "%s/note.txt", g_dir);
  FILE *fp = fopen(g_text, "w");
  if (!fp)
    return 1;
  fputs("a plain text note\n", fp);
  fclose(fp);
  T_RUN(one_magic_handle_per_context);
  T_RUN(the_journal_stays_open_on_its_context);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0)
    return 1;
  return T_DONE();
}
