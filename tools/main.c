/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight: the command-line client of libwapf. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const opt_id k_probe_opts[] = {OPT_HELP,    OPT_JSON,       OPT_QUIET,
                                      OPT_VERBOSE, OPT_MAX_PIXELS, OPT_NONE};
static const opt_id k_check_opts[] = {
    OPT_HELP,   OPT_AS,  OPT_JSON,       OPT_QUIET,         OPT_VERBOSE,
    OPT_STEREO, OPT_PNG, OPT_MAX_PIXELS, OPT_MAX_LONG_SIDE, OPT_NONE};
static const opt_id k_convert_opts[] = {
    OPT_HELP,          OPT_AS,         OPT_OUTPUT,
    OPT_OUTDIR,        OPT_FORCE,      OPT_JSON,
    OPT_QUIET,         OPT_VERBOSE,    OPT_STEREO,
    OPT_AUDIO_TRACK,   OPT_START,      OPT_DURATION,
    OPT_PNG,           OPT_BACKGROUND, OPT_FIT,
    OPT_KEEP_METADATA, OPT_PACK_ID,    OPT_PACK_NAME,
    OPT_PUBLISHER,     OPT_EMOJI,      OPT_MAX_PIXELS,
    OPT_MAX_LONG_SIDE, OPT_SPEED,      OPT_NONE};
static const opt_id k_batch_opts[] = {OPT_HELP,       OPT_AS,
                                      OPT_JOBS,       OPT_REPORT,
                                      OPT_DRY_RUN,    OPT_SHARD,
                                      OPT_FILES_FROM, OPT_QUIET,
                                      OPT_VERBOSE,    OPT_STEREO,
                                      OPT_PNG,        OPT_BACKGROUND,
                                      OPT_FIT,        OPT_KEEP_METADATA,
                                      OPT_MAX_PIXELS, OPT_MAX_LONG_SIDE,
                                      OPT_SPEED,      OPT_NONE};
static const opt_id k_report_opts[] = {OPT_HELP, OPT_JSON, OPT_QUIET, OPT_NONE};
static const opt_id k_send_opts[] = {OPT_HELP,
                                     OPT_PROVIDER,
                                     OPT_TO,
                                     OPT_TO_FILE,
                                     OPT_RATE,
                                     OPT_RESEND,
                                     OPT_TEMPLATE,
                                     OPT_LANGUAGE,
                                     OPT_PARAM,
                                     OPT_NAMESPACE,
                                     OPT_FROM,
                                     OPT_AS,
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
                                     OPT_JSON,
                                     OPT_QUIET,
                                     OPT_VERBOSE,
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
                                     OPT_SPEED,
                                     OPT_WAIT,
                                     OPT_WAIT_TIMEOUT,
                                     OPT_NONE};

static const opt_id k_journal_opts[] = {OPT_HELP,   OPT_JSON,  OPT_SINCE,
                                        OPT_FAILED, OPT_QUIET, OPT_VERBOSE,
                                        OPT_NONE};
static const opt_id k_serve_opts[] = {
    OPT_HELP,           OPT_LISTEN,
    OPT_WORKERS,        OPT_QUEUE,
    OPT_MAX_BODY,       OPT_TIMEOUT,
    OPT_CLIENT_TIMEOUT, OPT_HEADER_TIMEOUT,
    OPT_MAX_PER_IP,     OPT_ALLOW_PRIVATE_URLS,
    OPT_QUIET,          OPT_VERBOSE,
    OPT_MAX_PIXELS,     OPT_MAX_LONG_SIDE,
    OPT_FORWARD,        OPT_NONE};

const cli_command cli_commands[] = {
    {"probe", cmd_probe, k_probe_opts, "probe [--json] FILE...",
     "Print the facts the rules need about each file.", 1, -1},
    {"check", cmd_check, k_check_opts, "check [--as KIND] [--json] FILE...",
     "Check each file against WhatsApp's rules; print verdict, findings "
     "and plan.\nExit 0 when all are compliant, 1 when one is not or "
     "cannot be read, 2 on a usage error.",
     1, -1},
    {"convert", cmd_convert, k_convert_opts,
     "convert [--as KIND] [-o OUT | -d DIR] [--force] [--json] [options] "
     "FILE...",
     "Make each file compliant (copied unchanged when it already is).\n"
     "Exit 0 when all outputs were written, 1 when some file failed, 2 on "
     "a usage error.",
     1, -1},
    {"batch", cmd_batch, k_batch_opts,
     "batch [--as KIND] [-j N] [--report FILE] [--dry-run] [--shard K/N] "
     "[--files-from FILE|-] INDIR OUTDIR",
     "Convert a whole folder into a mirrored folder of compliant files.", 2, 2},
    {"report", cmd_report, k_report_opts, "report [--json] OUTDIR",
     "Summarise every batch state under OUTDIR (all shards), read-only.\n"
     "Exit 0 when every shard finished and no file failed, 1 otherwise, "
     "2 when OUTDIR holds no batch state.",
     1, 1},
    {"send", cmd_send, k_send_opts,
     "send --provider P --to NUMBER... [--to-file FILE] [--as KIND] "
     "[--template NAME --language CODE [--param TEXT]...] [options] [FILE]",
     "Check, convert when needed, upload once and send one file to each "
     "recipient (or a template, with FILE as its media header).\n"
     "Every message is journaled: the same send again is refused unless "
     "--resend.\nCredentials come from the environment or the config "
     "file, never from the command line.\nExit 0 sent, 1 refused, 2 usage, "
     "3 unreachable (try later), 4 delivery state unknown, 130/143 "
     "interrupted.",
     0, 1},
    {"journal", cmd_journal, k_journal_opts, "journal [--json] [--since T]",
     "List the send journal: every message, its state and message id.", 0, 0},
    {"serve", cmd_serve, k_serve_opts,
     "serve [--listen HOST:PORT] [--workers N] [--queue N] [--max-body "
     "BYTES] [--timeout S] [--allow-private-urls]",
     "Run the preflight as an HTTP service (docs/serve.md).\n"
     "The key comes from $WA_PREFLIGHT_API_KEY or the config file, never "
     "from the command line; without one, loopback only.\n"
     "Exit 0 after SIGTERM/SIGINT once running requests are answered, 2 on "
     "a usage error.",
     0, 0},
    {NULL, NULL, NULL, NULL, NULL, 0, 0},
};

static void usage(FILE *f) {
  fprintf(f, "usage: wa-preflight COMMAND [options] FILE...\n\n"
             "Make media files sendable through the WhatsApp Business API.\n\n"
             "commands:\n");
  for (const cli_command *c = cli_commands; c->name; c++)
    fprintf(f, "  %-8s %.*s\n", c->name, (int)strcspn(c->summary, "\n"),
            c->summary);
  fprintf(f, "\n'wa-preflight COMMAND --help' shows a command's options.\n"
             "'wa-preflight --version' prints the version.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    usage(stdout);
    return EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("wa-preflight %s (libwapf %s)\n", WAPF_TOOL_VERSION, wapf_version());
    return EXIT_OK;
  }
  for (const cli_command *c = cli_commands; c->name; c++) {
    if (strcmp(argv[1], c->name) != 0)
      continue;
    cli_args a;
    memset(&a, 0, sizeof a);
    wapf_default_options(&a.opt);
    a.queue = -1;
    int pr = cli_parse(c, argc - 1, argv + 1, &a);
    if (pr != 0) { /* the lists of repeated options are freed by run */
      free((void *)a.to_list);
      free((void *)a.params);
    }
    if (pr < 0)
      return EXIT_USAGE;
    if (pr > 0)
      return EXIT_OK;
    return c->run(&a);
  }
  fprintf(stderr, "wa-preflight: unknown command '%s' (see --help)\n", argv[1]);
  return EXIT_USAGE;
}
