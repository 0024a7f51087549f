/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Documents: any type is accepted (Meta's listed types pass silently,
 * others warn), at most 100,000,000 bytes, and the file name's extension
 * must not claim another type than the content. Documents are passed
 * through unchanged, so every failure here is unfixable by convert. The
 * extension table is in doc_types.c (wapf__document). */
#include "rules.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A MIME type in lower case, without parameters ("; charset=..."). */
static const char *bare_mime(const char *in, char *buf, size_t size) {
  size_t i = 0;
  for (; in[i] && in[i] != ';' && in[i] != ' ' && i + 1 < size; i++)
    buf[i] = (char)tolower((unsigned char)in[i]);
  buf[i] = '\0';
  return buf;
}

static int mime_fits(const char *const *accepted, const char *mime) {
  for (; accepted && *accepted; accepted++) {
    size_t n = strlen(*accepted);
    if ((*accepted)[n - 1] == '/' ? strncasecmp(*accepted, mime, n) == 0
                                  : strcasecmp(*accepted, mime) == 0)
      return 1;
  }
  return 0;
}

/* The table row of the path's extension, or NULL when unknown. */
static const wapf__ext_type *ext_type(const wapf_facts *f) {
  const char *ext = wapf__path_ext(f->path);
  for (const wapf__ext_type *e = wapf__document.exts; ext[0] && e->ext; e++)
    if (strcasecmp(e->ext, ext + 1) == 0)
      return e;
  return NULL;
}

/* The extension to suggest for mime: the first row whose canonical type
 * it is, else the first row that takes it exactly; NULL when none or
 * when the type says too little. */
static const char *ext_for(const char *mime) {
  const wapf__ext_type *e;
  for (e = wapf__document.exts; e->ext; e++)
    if (strcasecmp(e->mime, mime) == 0)
      return e->ext;
  if (wapf__in_list(wapf__document.generic, mime))
    return NULL; /* an OLE file may be .doc, .xls or .ppt */
  for (e = wapf__document.exts; e->ext; e++)
    for (const char *const *a = e->accepted; *a; a++)
      if (strcasecmp(*a, mime) == 0)
        return e->ext;
  return NULL;
}

const char *wapf__document_mime(const wapf_facts *f) {
  char mime[128];
  const wapf__ext_type *e = ext_type(f);
  bare_mime(f->mime, mime, sizeof mime);
  if (e && mime_fits(e->accepted, mime) &&
      (wapf__in_list(wapf__document.generic, mime) || !mime[0]))
    return e->mime;
  return f->mime[0] ? f->mime : "application/octet-stream";
}

static void check_extension(const wapf__check *c) {
  char mime[128], advice[64];
  const wapf__ext_type *e = ext_type(c->f);
  bare_mime(c->f->mime, mime, sizeof mime);
  if (!e || !mime[0] || mime_fits(e->accepted, mime))
    return;
  const char *better = ext_for(mime);
  if (better)
    snprintf(advice, sizeof advice, "rename it to .%s", better);
  else
    snprintf(advice, sizeof advice, "rename it or remove the extension");
  wapf__add_finding(c->r, "document.extension", WAPF_SEV_FAIL,
                    "the name says %s but the content is %s; %s",
                    wapf__path_ext(c->f->path), mime, advice);
}

static void check_type(const wapf__check *c) {
  const char *mime = wapf__document_mime(c->f);
  char low[128];
  if (mime_fits(wapf__document.listed_mimes, bare_mime(mime, low, sizeof low)))
    return;
  wapf__add_finding(c->r, "document.type", WAPF_SEV_WARNING,
                    "type is %s; Meta lists PDF, text, Word, Excel and "
                    "PowerPoint documents (others are usually delivered)",
                    mime);
}

void wapf__check_document(const wapf__check *c) {
  wapf__check_size(c, "document.size", wapf_kind_limit(WAPF_KIND_DOCUMENT, 0),
                   "a document");
  check_extension(c);
  check_type(c);
}
