/* The service's settings: command line, the key from the environment or
 * the config file (never argv), and the loopback rule without a key. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"
#include "serve.h"

#define CONFIG_MAX 65536
#define KEY_NAME "WA_PREFLIGHT_API_KEY"

void srv_log(const char *fmt, ...) {
  va_list ap;
  char line[1024];
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "wa-preflight serve: %s\n", line);
}

static char *config_path(void) {
  const char *x = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  char buf[1024];
  if (x && *x)
    snprintf(buf, sizeof buf, "%s/wa-preflight/config", x);
  else if (home && *home)
    snprintf(buf, sizeof buf, "%s/.config/wa-preflight/config", home);
  else
    return NULL;
  return strdup(buf);
}

/* The value of KEY_NAME in text (KEY=value lines, '#' comments). */
static char *find_key(char *text) {
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    while (*line == ' ' || *line == '\t')
      line++;
    size_t n = strlen(KEY_NAME);
    if (strncmp(line, KEY_NAME, n) != 0)
      continue;
    char *p = line + n;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p++ != '=')
      continue;
    while (*p == ' ' || *p == '\t')
      p++;
    size_t len = strlen(p);
    while (len && strchr(" \t\r", p[len - 1]))
      len--;
    return strndup(p, len);
  }
  return NULL;
}

/* 0 with *key set (or NULL when the file has none or is absent), -1 when
 * the file is unsafe or unreadable (line printed). */
static int read_config_key(char **key) {
  char *path = config_path();
  struct stat st;
  int rc = 0;
  *key = NULL;
  if (!path)
    return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) {
      srv_log("%s: %s", path, strerror(errno));
      rc = -1;
    }
    free(path);
    return rc;
  }
  char *text = NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    srv_log("%s: not a regular file", path);
    rc = -1;
  } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    srv_log("%s: readable by group or others; refusing to use it "
            "(chmod 600 %s)",
            path, path);
    rc = -1;
  } else if (st.st_size > CONFIG_MAX) {
    srv_log("%s: too large", path);
    rc = -1;
  } else if ((text = calloc(1, (size_t)st.st_size + 1))) {
    ssize_t n = read(fd, text, (size_t)st.st_size);
    if (n < 0) {
      srv_log("%s: %s", path, strerror(errno));
      rc = -1;
    } else {
      *key = find_key(text);
    }
  }
  free(text);
  close(fd);
  free(path);
  return rc;
}

/* Is every address host resolves to a loopback address? */
static int host_is_loopback(const char *host) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host, NULL, &hints, &res) != 0)
    return 0;
  int ok = res != NULL;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
    ok &= addr_is_loopback(ai->ai_addr);
  freeaddrinfo(res);
  return ok;
}

int srv_config_load(srv_config *c, const cli_args *a) {
  memset(c, 0, sizeof *c);
  if (parse_listen(a->listen ? a->listen : "127.0.0.1:8480", c->host,
                   sizeof c->host, &c->port)) {
    srv_log("--listen %s: want HOST:PORT or [V6]:PORT", a->listen);
    return -1;
  }
  c->workers = a->workers ? a->workers : 2;
  c->queue = a->queue >= 0 ? a->queue : 16;
  c->max_body = a->max_body ? a->max_body : (uint64_t)100 << 20;
  c->timeout = a->timeout > 0 ? a->timeout : 120;
  c->client_timeout = a->client_timeout > 0 ? a->client_timeout : 30;
  c->allow_private_urls = a->allow_private_urls;
  c->verbose = a->verbose;
  c->quiet = a->quiet;
  c->max_pixels = a->max_pixels;
  c->max_long_side = a->max_long_side;
  const char *env = getenv(KEY_NAME);
  if (env && *env)
    c->key = strdup(env);
  else if (read_config_key(&c->key) != 0)
    return -1;
  if (c->key && !*c->key) {
    free(c->key);
    c->key = NULL;
  }
  if (!c->key && !host_is_loopback(c->host)) {
    srv_log("--listen %s: without a key (%s, or the config file) the "
            "service listens on loopback only",
            c->host, KEY_NAME);
    return -1;
  }
  return 0;
}

void srv_config_free(srv_config *c) {
  if (c->key) {
    memset(c->key, 0, strlen(c->key));
    free(c->key);
  }
  c->key = NULL;
}

int srv_key_ok(const srv_config *c, const char *given) {
  if (!c->key)
    return 1;
  return given && ct_equal(given, c->key);
}
