/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wa-preflight command: shared declarations of its parts. */
#ifndef WAPF_CLI_H
#define WAPF_CLI_H

#include <stdio.h>

#include "wapf.h"

/* Exit statuses (docs/cli.md, "Exit status"). */
enum {
  EXIT_OK = 0,
  EXIT_VERDICT = 1, /* not compliant / some file failed / refused */
  EXIT_USAGE = 2,   /* usage or configuration error */
  EXIT_RETRY = 3,   /* send: provider unreachable, worth trying later */
  EXIT_UNKNOWN = 4, /* send: delivery state unknown (answer lost) */
};

/* Every option of every subcommand, in one table (tools/opts.c). */
typedef enum opt_id {
  OPT_NONE = 0,
  OPT_HELP,
  OPT_AS,
  OPT_JSON,
  OPT_QUIET,
  OPT_VERBOSE,
  OPT_OUTPUT,
  OPT_OUTDIR,
  OPT_FORCE,
  OPT_STEREO,
  OPT_AUDIO_TRACK,
  OPT_START,
  OPT_DURATION,
  OPT_PNG,
  OPT_BACKGROUND,
  OPT_FIT,
  OPT_KEEP_METADATA,
  OPT_PACK_ID,
  OPT_PACK_NAME,
  OPT_PUBLISHER,
  OPT_EMOJI,
  OPT_MAX_PIXELS,
  OPT_MAX_LONG_SIDE,
  OPT_JOBS,
  OPT_REPORT,
  OPT_DRY_RUN,
  OPT_PROVIDER,
  OPT_TO,
  OPT_FROM,
  OPT_CAPTION,
  OPT_FILENAME,
  OPT_LINK,
  OPT_PUBLISH,
  OPT_PUBLIC_BASE_URL,
  OPT_S3_ENDPOINT,
  OPT_API_BASE,
  OPT_GRAPH_VERSION,
  OPT_CACERT,
  OPT_TIMEOUT,
  OPT_NO_CACHE,
  OPT_TO_FILE,
  OPT_RATE,
  OPT_RESEND,
  OPT_TEMPLATE,
  OPT_LANGUAGE,
  OPT_PARAM,
  OPT_NAMESPACE,
  OPT_SINCE,
  OPT_SPEED,
  OPT_SHARD,
  OPT_FILES_FROM,
  OPT_LISTEN,
  OPT_WORKERS,
  OPT_QUEUE,
  OPT_MAX_BODY,
  OPT_CLIENT_TIMEOUT,
  OPT_ALLOW_PRIVATE_URLS,
  OPT_HEADER_TIMEOUT,
  OPT_MAX_PER_IP,
  OPT_FAILED,
  OPT_WAIT,
  OPT_WAIT_TIMEOUT,
  OPT_FORWARD,
  OPT_COUNT
} opt_id;

/* What the command line said; zero/NULL when not given. */
typedef struct cli_args {
  const char *cmd;
  int json, quiet, verbose, force, dry_run, no_cache;
  wapf_options opt; /* --as, --stereo, --audio-track, --start, ... */
  const char *output, *outdir, *report;
  int jobs;
  int shard_index, shard_count; /* --shard K/N; count 0 = none */
  const char *files_from;       /* --files-from FILE|- */
  uint64_t max_pixels;          /* 0 = library default */
  int max_long_side;            /* 0 = library default */
  const char *provider, *to, *from, *caption, *filename, *link, *publish,
      *public_base_url, *s3_endpoint, *api_base, *graph_version, *cacert;
  double timeout; /* seconds, 0 = default */
  /* send: every --to in order (a->to is the last), --to-file, --rate
   * (0 = default), --resend, the template and its --param values;
   * journal: --since (seconds since the epoch, 0 = all). Lists malloc'd. */
  const char **to_list, **params;
  int n_to, n_params, resend;
  const char *to_file, *template_name, *language, *template_namespace;
  double rate, since;
  /* serve */
  const char *listen;
  int workers, queue; /* queue -1 = default */
  uint64_t max_body;
  double client_timeout, header_timeout;
  int allow_private_urls, max_per_ip;
  /* journal --failed; send --wait STATE --wait-timeout S; serve
   * --forward URL */
  int failed;
  const char *wait_state;
  double wait_timeout; /* 0 = default */
  const char *forward;
  char **files;
  int n_files;
} cli_args;

typedef struct cli_command {
  const char *name;
  int (*run)(const cli_args *a);
  const opt_id *opts; /* accepted options, ends with OPT_NONE */
  const char *usage;  /* after "wa-preflight " */
  const char *summary;
  int min_files, max_files; /* max -1 = unlimited */
} cli_command;

/* tools/opts.c */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *a);
void cli_help(FILE *f, const cli_command *cmd);
int cli_parse_time(const char *s, double *out);
/* Set one option by its long name, as the command line would (serve's
 * query parameters); allowed ends with OPT_NONE. A flag ignores value.
 * 0, or -1 with the reason in err (nothing printed). */
int cli_set_option(cli_args *a, const opt_id *allowed, const char *name,
                   const char *value, char *err, size_t err_len);

/* tools/common.c */
/* Open a library context with the CLI's settings and logger, and install
 * the tools' one handler of SIGINT, SIGTERM and SIGHUP: it remembers the
 * signal (cli_interrupted) and cancels the open context (wapf_cancel).
 * Prints a line and returns NULL on failure. */
wapf_context *cli_open(const cli_args *a);
/* Close the context; a signal after this is only remembered. */
void cli_close(wapf_context **ctx);
/* The signal caught since the start (exit 128 + it), 0 when none. */
int cli_interrupted(void);
/* "wa-preflight: <path>: <text>" on stderr (unless quiet is irrelevant:
 * errors always print). */
void cli_error(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The failure line for a library status on ctx. */
void cli_fail(wapf_context *ctx, const char *path, int rc);
/* s for a line of text output: control bytes (newline, tab, ESC, DEL,
 * ...) written as \n, \t, \r or \xHH, so that a file name can neither
 * split a line nor drive the terminal. Every name or library text in a
 * text line goes through it (JSON has its own escaping). The result lives
 * until eight more calls on the same thread (each thread has its own
 * results, freed when it ends); NULL gives "". */
const char *cli_text(const char *s);
/* The same escaping into a string the caller frees; NULL when out of
 * memory. */
char *cli_text_dup(const char *s);
/* The logger of cli_open()'s contexts: "wa-preflight: LEVEL: message" on
 * stderr, escaped as cli_text() does, in one write, into storage of its
 * own call. Thread-safe: the library calls it from batch worker threads. */
void cli_log(void *cookie, wapf_log_level level, const char *msg);

/* The tools' one clock for durations and deadlines: seconds on GLib's
 * monotonic clock (g_get_monotonic_time). */
double cli_now(void);

/* Subcommands (one file each). */
int cmd_probe(const cli_args *a);
int cmd_check(const cli_args *a);
int cmd_convert(const cli_args *a);
int cmd_batch(const cli_args *a);
int cmd_send(const cli_args *a);
int cmd_journal(const cli_args *a);
/* tools/recipients.c: --to and --to-file, checked, duplicates dropped. */
int cli_recipients(const cli_args *a, char ***out, int *n);
int cmd_report(const cli_args *a);
/* tools/cmd_batch.c: the per-kind table of a batch summary. */
void cli_print_counts_header(void);
void cli_print_counts(const char *name, const wapf_batch_counts *c);
int cmd_serve(const cli_args *a); /* tools/serve/ */

extern const cli_command cli_commands[];

#endif
