/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One option table drives parsing and --help for every subcommand. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct opt_def {
  opt_id id;
  const char *name; /* long name */
  int short_name;   /* 0 if none */
  const char *arg;  /* argument name, NULL for a flag */
  const char *help;
} opt_def;

static const opt_def k_opts[] = {
    {OPT_HELP, "help", 'h', NULL, "show this help and exit"},
    {OPT_AS, "as", 0, "KIND",
     "auto|video|audio|voice|image|sticker|document (default auto)"},
    {OPT_JSON, "json", 0, NULL, "print JSON on stdout (schema in docs/cli.md)"},
    {OPT_QUIET, "quiet", 'q', NULL, "print only errors"},
    {OPT_VERBOSE, "verbose", 'v', NULL, "print what is done (never secrets)"},
    {OPT_OUTPUT, "output", 'o', "OUT", "write exactly OUT (one input only)"},
    {OPT_OUTDIR, "dir", 'd', "DIR", "write DIR/<name>.<ext>"},
    {OPT_FORCE, "force", 0, NULL, "replace an existing output"},
    {OPT_STEREO, "stereo", 0, NULL, "audio as AAC-LC stereo in M4A"},
    {OPT_AUDIO_TRACK, "audio-track", 0, "N",
     "use the N-th audio stream (from 0, as probe lists them)"},
    {OPT_START, "start", 0, "T", "trim: start at T (seconds or [HH:]MM:SS)"},
    {OPT_DURATION, "duration", 0, "T", "trim: keep T (seconds or [HH:]MM:SS)"},
    {OPT_PNG, "png", 0, NULL, "images as PNG instead of JPEG"},
    {OPT_BACKGROUND, "background", 0, "COLOR",
     "flatten transparency onto #RRGGBB, white or black (default white)"},
    {OPT_FIT, "fit", 0, "MODE", "stickers: contain|cover (default contain)"},
    {OPT_KEEP_METADATA, "keep-metadata", 0, NULL,
     "keep GPS and other metadata"},
    {OPT_PACK_ID, "pack-id", 0, "ID", "sticker pack id (EXIF metadata)"},
    {OPT_PACK_NAME, "pack-name", 0, "NAME", "sticker pack name"},
    {OPT_PUBLISHER, "publisher", 0, "NAME", "sticker pack publisher"},
    {OPT_EMOJI, "emoji", 0, "LIST", "sticker emojis, comma-separated"},
    {OPT_MAX_PIXELS, "max-pixels", 0, "N",
     "refuse images over N pixels (default 200000000)"},
    {OPT_MAX_LONG_SIDE, "max-long-side", 0, "N",
     "video long side at most N pixels (default 1920)"},
    {OPT_JOBS, "jobs", 'j', "N", "N files at once (default: cores)"},
    {OPT_REPORT, "report", 0, "FILE", "write a JSON report to FILE"},
    {OPT_DRY_RUN, "dry-run", 0, NULL, "print the plan, write nothing"},
    {OPT_SHARD, "shard", 0, "K/N",
     "take only shard K of N (K from 0; docs/scale.md)"},
    {OPT_FILES_FROM, "files-from", 0, "FILE",
     "take the paths (relative to INDIR) listed in FILE, - = stdin"},
    {OPT_PROVIDER, "provider", 0, "P",
     "meta|360dialog|onprem|qikchat|lipachat"},
    {OPT_TO, "to", 0, "NUMBER", "recipient phone number"},
    {OPT_FROM, "from", 0, "NUMBER", "sender number (lipachat)"},
    {OPT_CAPTION, "caption", 0, "TEXT", "caption (image, video, document)"},
    {OPT_FILENAME, "filename", 0, "NAME", "file name shown (documents)"},
    {OPT_LINK, "link", 0, "URL", "send this public HTTPS link to the file"},
    {OPT_PUBLISH, "publish", 0, "s3://BUCKET/PREFIX",
     "upload the file to S3-compatible storage first"},
    {OPT_PUBLIC_BASE_URL, "public-base-url", 0, "URL",
     "public URL of the --publish prefix"},
    {OPT_S3_ENDPOINT, "s3-endpoint", 0, "URL",
     "S3 endpoint (default $AWS_ENDPOINT_URL)"},
    {OPT_API_BASE, "api-base", 0, "URL", "provider base URL"},
    {OPT_GRAPH_VERSION, "graph-version", 0, "V", "Graph API version (meta)"},
    {OPT_CACERT, "cacert", 0, "FILE", "CA certificates for HTTPS"},
    {OPT_TIMEOUT, "timeout", 0, "S", "bound each request to S seconds"},
    {OPT_NO_CACHE, "no-cache", 0, NULL, "skip the media-id cache"},
    {OPT_TO_FILE, "to-file", 0, "FILE",
     "recipients, one number a line ('-': stdin)"},
    {OPT_RATE, "rate", 0, "R",
     "messages per second to many recipients (default 20; at most 80 "
     "to the real Cloud API)"},
    {OPT_RESEND, "resend", 0, NULL,
     "send even what the journal says was sent already"},
    {OPT_TEMPLATE, "template", 0, "NAME",
     "send the approved template NAME (FILE, if any, is its media header)"},
    {OPT_LANGUAGE, "language", 0, "CODE", "the template's language (en_US)"},
    {OPT_PARAM, "param", 0, "TEXT", "a template body parameter (in order)"},
    {OPT_NAMESPACE, "namespace", 0, "NS", "the template's namespace (onprem)"},
    {OPT_SINCE, "since", 0, "T",
     "only rows since T: YYYY-MM-DD[THH:MM[:SS]] (UTC) or N[smhd] ago"},
    {OPT_SPEED, "speed", 0, "S",
     "video encoding effort: fast|balanced|best (default balanced)"},
    {OPT_LISTEN, "listen", 0, "HOST:PORT",
     "serve: address to listen on (default 127.0.0.1:8480)"},
    {OPT_WORKERS, "workers", 0, "N",
     "serve: N conversions at once (default 2)"},
    {OPT_QUEUE, "queue", 0, "N",
     "serve: N requests may wait, others get 503 (default 16)"},
    {OPT_MAX_BODY, "max-body", 0, "BYTES",
     "serve: refuse bodies and url files over BYTES (default 104857600)"},
    {OPT_CLIENT_TIMEOUT, "client-timeout", 0, "S",
     "serve: drop a client silent for S seconds (default 30)"},
    {OPT_ALLOW_PRIVATE_URLS, "allow-private-urls", 0, NULL,
     "serve: let url inputs reach loopback and private addresses"},
    {OPT_HEADER_TIMEOUT, "header-timeout", 0, "S",
     "serve: drop a client whose request head takes over S seconds "
     "(default 20)"},
    {OPT_MAX_PER_IP, "max-per-ip", 0, "N",
     "serve: N connections at once from one address (default half of "
     "workers + queue + 64)"},
    {OPT_FAILED, "failed", 0, NULL,
     "journal: the failures, with the provider's words and a diagnosis"},
    {OPT_WAIT, "wait", 0, "STATE",
     "send: wait until sent|delivered|read is reported (by serve's "
     "webhooks)"},
    {OPT_WAIT_TIMEOUT, "wait-timeout", 0, "S",
     "send: give up waiting after S seconds, exit 4 (default 300)"},
    {OPT_FORWARD, "forward", 0, "URL",
     "serve: relay every verified webhook body to URL, signed"},
};
#define N_OPTS (sizeof k_opts / sizeof k_opts[0])

static const opt_def *find_def(opt_id id) {
  for (size_t i = 0; i < N_OPTS; i++)
    if (k_opts[i].id == id)
      return &k_opts[i];
  return NULL;
}

int cli_parse_time(const char *s, double *out) {
  double parts[3] = {0, 0, 0};
  int n = 0;
  const char *p = s;
  if (!s || !*s)
    return -1;
  for (;;) {
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*p))
      return -1;
    double v = strtod(p, &end);
    if (errno || end == p || v < 0 || n == 3)
      return -1;
    parts[n++] = v;
    if (*end == '\0')
      break;
    if (*end != ':')
      return -1;
    p = end + 1;
  }
  double t = 0;
  for (int i = 0; i < n; i++) {
    if (i > 0 && parts[i] >= 60)
      return -1;
    t = t * 60 + parts[i];
  }
  *out = t;
  return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static int parse_color(const char *s, uint32_t *out) {
  if (strcmp(s, "white") == 0)
    return *out = 0xFFFFFF, 0;
  if (strcmp(s, "black") == 0)
    return *out = 0x000000, 0;
  if (s[0] != '#' || strlen(s) != 7)
    return -1;
  for (int i = 1; i < 7; i++)
    if (!isxdigit((unsigned char)s[i]))
      return -1;
  *out = (uint32_t)strtoul(s + 1, NULL, 16);
  return 0;
}

/* Where cli_set_option() wants the reason; NULL = stderr. */
static _Thread_local char *g_err;
static _Thread_local size_t g_err_len;

static int bad(const char *cmd, const char *name, const char *val,
               const char *want) {
  if (g_err)
    snprintf(g_err, g_err_len, "%s=%s: %s", name, val, want);
  else
    fprintf(stderr, "wa-preflight %s: --%s %s: %s\n", cmd, name, cli_text(val),
            want);
  return -1;
}

/* Append v to a growing list of borrowed strings. */
static int append(const char ***list, int *n, const char *v) {
  const char **l = realloc(*list, (size_t)(*n + 1) * sizeof *l);
  if (!l) {
    fprintf(stderr, "wa-preflight: out of memory\n");
    return -1;
  }
  l[(*n)++] = v;
  *list = l;
  return 0;
}

/* "2026-12-01", "2026-12-01T10:00[:00][Z]" (UTC) or "90s", "30m", "2h",
 * "7d" ago, as seconds since the epoch. */
static int parse_since(const char *v, double *out) {
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  static const char units[] = "smhd";
  static const long mult[] = {1, 60, 3600, 86400};
  const char *u = *end ? strchr(units, *end) : NULL;
  if (!errno && end != v && n >= 0 && u && end[1] == '\0') {
    *out = (double)time(NULL) - (double)n * (double)mult[u - units];
    return 0;
  }
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *rest = strptime(v, "%Y-%m-%d", &tm);
  if (rest && *rest == 'T') {
    const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
    rest = r2 ? r2 : strptime(rest + 1, "%H:%M", &tm);
  }
  if (rest && *rest == 'Z')
    rest++;
  if (!rest || *rest)
    return -1;
  *out = (double)timegm(&tm);
  return 0;
}

/* "K/N": 0 <= K < N <= 100000. */
static int parse_shard(cli_args *a, const opt_def *d, const char *v) {
  const char *slash = strchr(v, '/');
  char k[24];
  long kk, nn;
  if (!slash || (size_t)(slash - v) >= sizeof k)
    return bad(a->cmd, d->name, v, "want K/N, e.g. 0/4");
  memcpy(k, v, (size_t)(slash - v));
  k[slash - v] = '\0';
  if (parse_long(slash + 1, 1, 100000, &nn))
    return bad(a->cmd, d->name, v, "want N from 1 to 100000");
  if (parse_long(k, 0, nn - 1, &kk))
    return bad(a->cmd, d->name, v, "want K from 0 to N-1");
  a->shard_index = (int)kk;
  a->shard_count = (int)nn;
  return 0;
}

/* Store one option's value; -1 on a bad value (message printed). */
static int store(cli_args *a, const opt_def *d, const char *v) {
  long n;
  double t;
  switch (d->id) {
  case OPT_AS:
    return wapf_kind_from_name(v, &a->opt.kind)
               ? bad(a->cmd, d->name, v, "not a kind (see --help)")
               : 0;
  case OPT_JSON: a->json = 1; return 0;
  case OPT_QUIET: a->quiet = 1; return 0;
  case OPT_VERBOSE: a->verbose++; return 0;
  case OPT_OUTPUT: a->output = v; return 0;
  case OPT_OUTDIR: a->outdir = v; return 0;
  case OPT_FORCE:
    a->force = 1;
    a->opt.overwrite = 1;
    return 0;
  case OPT_STEREO: a->opt.stereo = 1; return 0;
  case OPT_AUDIO_TRACK:
    if (parse_long(v, 0, 1000, &n))
      return bad(a->cmd, d->name, v, "want a number from 0");
    a->opt.audio_track = (int)n;
    return 0;
  case OPT_START:
  case OPT_DURATION:
    if (cli_parse_time(v, &t))
      return bad(a->cmd, d->name, v, "want seconds or [HH:]MM:SS[.ms]");
    if (d->id == OPT_START)
      a->opt.start = t;
    else if (t <= 0)
      return bad(a->cmd, d->name, v, "must be more than 0");
    else
      a->opt.duration = t;
    return 0;
  case OPT_PNG: a->opt.png = 1; return 0;
  case OPT_BACKGROUND:
    return parse_color(v, &a->opt.background)
               ? bad(a->cmd, d->name, v, "want #RRGGBB, white or black")
               : 0;
  case OPT_FIT:
    if (strcmp(v, "contain") == 0)
      a->opt.fit = WAPF_FIT_CONTAIN;
    else if (strcmp(v, "cover") == 0)
      a->opt.fit = WAPF_FIT_COVER;
    else
      return bad(a->cmd, d->name, v, "want contain or cover");
    return 0;
  case OPT_KEEP_METADATA: a->opt.keep_metadata = 1; return 0;
  case OPT_SPEED:
    if (strcmp(v, "fast") == 0)
      a->opt.speed = WAPF_SPEED_FAST;
    else if (strcmp(v, "balanced") == 0)
      a->opt.speed = WAPF_SPEED_BALANCED;
    else if (strcmp(v, "best") == 0)
      a->opt.speed = WAPF_SPEED_BEST;
    else
      return bad(a->cmd, d->name, v, "want fast, balanced or best");
    return 0;
  case OPT_PACK_ID: a->opt.pack_id = v; return 0;
  case OPT_PACK_NAME: a->opt.pack_name = v; return 0;
  case OPT_PUBLISHER: a->opt.publisher = v; return 0;
  case OPT_EMOJI: a->opt.emoji = v; return 0;
  case OPT_MAX_PIXELS:
    if (parse_long(v, 1, 1L << 40, &n))
      return bad(a->cmd, d->name, v, "want a number of pixels");
    a->max_pixels = (uint64_t)n;
    return 0;
  case OPT_MAX_LONG_SIDE:
    if (parse_long(v, 160, 4096, &n))
      return bad(a->cmd, d->name, v, "want 160..4096");
    a->max_long_side = (int)n;
    return 0;
  case OPT_JOBS:
    if (parse_long(v, 1, 256, &n))
      return bad(a->cmd, d->name, v, "want 1..256");
    a->jobs = (int)n;
    return 0;
  case OPT_REPORT: a->report = v; return 0;
  case OPT_DRY_RUN: a->dry_run = 1; return 0;
  case OPT_PROVIDER: a->provider = v; return 0;
  case OPT_TO: a->to = v; return append(&a->to_list, &a->n_to, v);
  case OPT_FROM: a->from = v; return 0;
  case OPT_CAPTION: a->caption = v; return 0;
  case OPT_FILENAME: a->filename = v; return 0;
  case OPT_LINK: a->link = v; return 0;
  case OPT_PUBLISH: a->publish = v; return 0;
  case OPT_PUBLIC_BASE_URL: a->public_base_url = v; return 0;
  case OPT_S3_ENDPOINT: a->s3_endpoint = v; return 0;
  case OPT_API_BASE: a->api_base = v; return 0;
  case OPT_GRAPH_VERSION: a->graph_version = v; return 0;
  case OPT_CACERT: a->cacert = v; return 0;
  case OPT_TIMEOUT:
    if (cli_parse_time(v, &t) || t <= 0)
      return bad(a->cmd, d->name, v, "want seconds, more than 0");
    a->timeout = t;
    return 0;
  case OPT_NO_CACHE: a->no_cache = 1; return 0;
  case OPT_TO_FILE: a->to_file = v; return 0;
  case OPT_RATE:
    if (parse_long(v, 1, 1000, &n))
      return bad(a->cmd, d->name, v, "want 1..1000 messages per second");
    a->rate = (double)n;
    return 0;
  case OPT_RESEND: a->resend = 1; return 0;
  case OPT_TEMPLATE: a->template_name = v; return 0;
  case OPT_LANGUAGE: a->language = v; return 0;
  case OPT_NAMESPACE: a->template_namespace = v; return 0;
  case OPT_PARAM: return append(&a->params, &a->n_params, v);
  case OPT_SINCE:
    return parse_since(v, &a->since)
               ? bad(a->cmd, d->name, v,
                     "want YYYY-MM-DD[THH:MM[:SS]] or N[smhd]")
               : 0;
  case OPT_SHARD: return parse_shard(a, d, v);
  case OPT_FILES_FROM: a->files_from = v; return 0;
  case OPT_LISTEN: a->listen = v; return 0;
  case OPT_WORKERS:
  case OPT_QUEUE:
    if (parse_long(v, d->id == OPT_QUEUE ? 0 : 1, 1024, &n))
      return bad(a->cmd, d->name, v, "want a number up to 1024");
    *(d->id == OPT_QUEUE ? &a->queue : &a->workers) = (int)n;
    return 0;
  case OPT_MAX_BODY:
    if (parse_long(v, 1, 1L << 40, &n))
      return bad(a->cmd, d->name, v, "want a number of bytes");
    a->max_body = (uint64_t)n;
    return 0;
  case OPT_CLIENT_TIMEOUT:
  case OPT_HEADER_TIMEOUT:
    if (cli_parse_time(v, &t) || t <= 0)
      return bad(a->cmd, d->name, v, "want seconds, more than 0");
    *(d->id == OPT_HEADER_TIMEOUT ? &a->header_timeout : &a->client_timeout) =
        t;
    return 0;
  case OPT_MAX_PER_IP:
    if (parse_long(v, 1, 65536, &n))
      return bad(a->cmd, d->name, v, "want 1..65536");
    a->max_per_ip = (int)n;
    return 0;
  case OPT_ALLOW_PRIVATE_URLS: a->allow_private_urls = 1; return 0;
  case OPT_FAILED: a->failed = 1; return 0;
  case OPT_WAIT:
    if (strcmp(v, "sent") && strcmp(v, "delivered") && strcmp(v, "read"))
      return bad(a->cmd, d->name, v, "want sent, delivered or read");
    a->wait_state = v;
    return 0;
  case OPT_WAIT_TIMEOUT:
    if (cli_parse_time(v, &t) || t <= 0)
      return bad(a->cmd, d->name, v, "want seconds, more than 0");
    a->wait_timeout = t;
    return 0;
  case OPT_FORWARD: a->forward = v; return 0;
  default: return 0;
  }
}

int cli_set_option(cli_args *a, const opt_id *allowed, const char *name,
                   const char *value, char *err, size_t err_len) {
  for (const opt_id *id = allowed; *id != OPT_NONE; id++) {
    const opt_def *d = find_def(*id);
    if (strcmp(d->name, name) != 0)
      continue;
    g_err = err;
    g_err_len = err_len;
    int rc = store(a, d, value ? value : "");
    g_err = NULL;
    return rc;
  }
  snprintf(err, err_len, "unknown parameter '%s'", name);
  return -1;
}

/* Build getopt_long's tables from the command's option list. */
static int build_getopt(const cli_command *cmd, struct option *lo,
                        char *shorts) {
  int n = 0;
  char *s = shorts;
  for (const opt_id *id = cmd->opts; *id != OPT_NONE; id++) {
    const opt_def *d = find_def(*id);
    lo[n].name = d->name;
    lo[n].has_arg = d->arg ? required_argument : no_argument;
    lo[n].flag = NULL;
    lo[n].val = 256 + (int)d->id;
    n++;
    if (d->short_name) {
      *s++ = (char)d->short_name;
      if (d->arg)
        *s++ = ':';
    }
  }
  *s = '\0';
  memset(&lo[n], 0, sizeof lo[n]);
  return n;
}

static const opt_def *def_for_short(const cli_command *cmd, int c) {
  for (const opt_id *id = cmd->opts; *id != OPT_NONE; id++) {
    const opt_def *d = find_def(*id);
    if (d->short_name == c)
      return d;
  }
  return NULL;
}

/* Returns 0 to go on, 1 when help was printed, -1 on a usage error. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *a) {
  struct option lo[OPT_COUNT + 1];
  char shorts[2 * OPT_COUNT + 2];
  build_getopt(cmd, lo, shorts);
  a->cmd = cmd->name;
  optind = 1;
  opterr = 0;
  for (;;) {
    int c = getopt_long(argc, argv, shorts, lo, NULL);
    if (c == -1)
      break;
    const opt_def *d = c >= 256 ? find_def((opt_id)(c - 256))
                                : (c == '?' ? NULL : def_for_short(cmd, c));
    if (!d) {
      const char *what = argv[optind - 1];
      fprintf(stderr,
              "wa-preflight %s: unknown option or missing value: %s "
              "(see --help)\n",
              cmd->name, cli_text(what));
      return -1;
    }
    if (d->id == OPT_HELP) {
      cli_help(stdout, cmd);
      return 1;
    }
    if (store(a, d, optarg))
      return -1;
  }
  a->files = argv + optind;
  a->n_files = argc - optind;
  if (a->n_files < cmd->min_files ||
      (cmd->max_files >= 0 && a->n_files > cmd->max_files)) {
    fprintf(stderr, "usage: wa-preflight %s\n(see wa-preflight %s --help)\n",
            cmd->usage, cmd->name);
    return -1;
  }
  return 0;
}

void cli_help(FILE *f, const cli_command *cmd) {
  fprintf(f, "usage: wa-preflight %s\n\n%s\n\noptions:\n", cmd->usage,
          cmd->summary);
  for (const opt_id *id = cmd->opts; *id != OPT_NONE; id++) {
    const opt_def *d = find_def(*id);
    char left[64];
    char sh[8] = "    ";
    if (d->short_name)
      snprintf(sh, sizeof sh, "-%c, ", d->short_name);
    snprintf(left, sizeof left, "%s--%s%s%s", sh, d->name, d->arg ? " " : "",
             d->arg ? d->arg : "");
    fprintf(f, "  %-34s %s\n", left, d->help);
  }
}
