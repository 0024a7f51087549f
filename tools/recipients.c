/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The recipients of send: every --to, then every line of --to-file ('-'
 * reads stdin). A number is E.164 digits (a leading '+' and spaces,
 * dashes, dots and parentheses are dropped); a bad one is a usage error
 * naming its line; a duplicate is dropped with a note. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>

#include "cli.h"

#define MAX_RECIPIENTS 1000000

/* The digits of text into out[16], or -1 when it is not E.164 (7..15
 * digits, not starting with 0). */
static int normalize(const char *text, char out[16]) {
  int n = 0;
  const char *p = text;
  while (isspace((unsigned char)*p))
    p++;
  if (*p == '+')
    p++;
  for (; *p; p++) {
    if (isdigit((unsigned char)*p)) {
      if (n == 15)
        return -1;
      out[n++] = *p;
    } else if (!strchr(" \t\r-.()", *p)) {
      return -1;
    }
  }
  out[n] = '\0';
  return n >= 7 && out[0] != '0' ? 0 : -1;
}

typedef struct list {
  char **v;
  int n, cap;
  json_t *seen; /* a set: number -> true */
} list;

/* Add one number; 0 ok (or a dropped duplicate), -1 bad, -2 no memory. */
static int add(list *l, const char *text, const char *where) {
  char num[16];
  if (normalize(text, num) != 0) {
    cli_error(NULL, "send: %s: \"%s\" is not a phone number (E.164 digits)",
              where, text);
    return -1;
  }
  if (json_object_get(l->seen, num)) {
    cli_error(NULL, "send: %s: %s is given twice; it is sent once", where, num);
    return 0;
  }
  if (l->n == MAX_RECIPIENTS) {
    cli_error(NULL, "send: more than %d recipients", MAX_RECIPIENTS);
    return -1;
  }
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 16;
    char **v = realloc(l->v, (size_t)cap * sizeof *v);
    if (!v)
      return -2;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n] = strdup(num);
  if (!l->v[l->n])
    return -2;
  if (json_object_set_new(l->seen, num, json_true()) != 0)
    return -2;
  l->n++;
  return 0;
}

static int read_file(list *l, const char *path) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  if (!f) {
    cli_error(path, "cannot read: %s", strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int rc = 0, no = 0;
  while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
    char where[64];
    no++;
    line[strcspn(line, "\r\n")] = '\0';
    const char *p = line;
    while (isspace((unsigned char)*p))
      p++;
    if (!*p || *p == '#')
      continue; /* blank lines and comments */
    snprintf(where, sizeof where, "line %d", no);
    rc = add(l, p, where);
  }
  free(line);
  if (f != stdin)
    fclose(f);
  return rc;
}

int cli_recipients(const cli_args *a, char ***out, int *n) {
  list l = {NULL, 0, 0, json_object()};
  if (!l.seen)
    return -1;
  int rc = 0;
  for (int i = 0; rc == 0 && i < a->n_to; i++)
    rc = add(&l, a->to_list[i], "--to");
  if (rc == 0 && a->to_file)
    rc = read_file(&l, a->to_file);
  if (rc == 0 && l.n == 0) {
    cli_error(NULL, "send: no recipient: give --to NUMBER or --to-file FILE");
    rc = -1;
  }
  json_decref(l.seen);
  if (rc == -2)
    cli_error(NULL, "send: out of memory");
  if (rc != 0) {
    for (int i = 0; i < l.n; i++)
      free(l.v[i]);
    free(l.v);
    return -1;
  }
  *out = l.v;
  *n = l.n;
  return 0;
}
