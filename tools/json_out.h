/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON documents of the command (schemas in README "JSON output").
 * Built with jansson from the public types only, so every subcommand
 * (probe, check, convert, batch, send) prints the same shapes. */
#ifndef WAPF_JSON_OUT_H
#define WAPF_JSON_OUT_H

#include <jansson.h>

#include "wapf.h"

/* The version of every document's shape; bumped only on breaking change. */
#define JO_SCHEMA_VERSION 1

/* A JSON string from any bytes: invalid UTF-8 becomes U+FFFD, so a file
 * name that is not UTF-8 never makes a document fail. Never NULL except
 * when out of memory; NULL s gives JSON null. */
json_t *jo_str(const char *s);
/* A number, or null when it is not finite (jansson refuses NaN/inf). */
json_t *jo_real(double v);
/* An integer, or null when it is negative (the API's "unknown" is -1). */
json_t *jo_count(int64_t v);

/* {"code": "EEMPTY", "message": "file is empty (detail)"}; detail may be
 * NULL or "". */
json_t *jo_error(int code, const char *detail);

/* probe: the facts of one file ("error": null). */
json_t *jo_facts(const wapf_facts *f);
/* probe: a file that could not be probed, {"path": ..., "error": {...}}. */
json_t *jo_facts_error(const char *path, int code, const char *detail);

/* The findings of a report, [{"id", "severity": "fail" | "warning",
 * "message"}]: check's entries, serve's answers and the batch's state and
 * report (written by the library) all use this shape. */
json_t *jo_findings(const wapf_report *r);
/* Batch counts, {"converted", "copied", "skipped", "failed", "bytes_in",
 * "bytes_out", "seconds"}: the keys of the batch report's summary (written
 * by the library), for report --json. */
json_t *jo_counts(const wapf_batch_counts *c);

/* check: one entry of "files" from a report ("error": null). */
json_t *jo_report(const char *path, const wapf_report *r);
/* check: one entry for a file that could not be checked. */
json_t *jo_report_error(const char *path, int code, const char *detail);

/* convert: one entry of "files". out may be NULL (no output chosen),
 * res may be NULL (nothing was done). code is WAPF_OK or the failure. */
json_t *jo_result(const char *path, const char *out, wapf_kind kind,
                  const wapf_result *res, int code, const char *detail);

/* {"version": 1, "files": files}; steals files. */
json_t *jo_document(json_t *files);

/* Print root on stdout (indented, newline) and release it. Returns 0, or
 * -1 when it could not be written. */
int jo_print(json_t *root);

#endif
