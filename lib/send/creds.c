/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Credentials from the environment or the config file. Each secret is
 * listed in s->secrets for redaction (redact.c). */
#include "send.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAPF_CONFIG_MAX (64 * 1024)

static char *trim(char *a, char *b) {
  while (a < b && isspace((unsigned char)*a))
    a++;
  while (b > a && isspace((unsigned char)b[-1]))
    b--;
  if (b - a >= 2 && (*a == '"' || *a == '\'') && b[-1] == *a) {
    a++;
    b--;
  }
  *b = '\0';
  return a;
}

char *wapf__config_value(const char *text, const char *key) {
  size_t klen = strlen(key);
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    char *line = strndup(p, n);
    if (!line)
      return NULL;
    char *l = trim(line, line + n);
    if (strncmp(l, "export ", 7) == 0)
      l += 7;
    char *eq = strchr(l, '=');
    char *out = NULL;
    if (*l != '#' && eq && (size_t)(eq - l) >= klen) {
      char *k = trim(l, eq);
      if (strcmp(k, key) == 0)
        out = strdup(trim(eq + 1, eq + 1 + strlen(eq + 1)));
    }
    free(line);
    if (out)
      return out;
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

static char *default_config_path(void) {
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

/* *text = the config file's text ("" when absent; malloc'd), or a failure
 * on ctx when it is unsafe or unreadable. Messages name the path, never a
 * value. */
static int read_config(wapf_context *ctx, const char *path, char **text) {
  struct stat st;
  int rc = WAPF_OK, fd = open(path, O_RDONLY | O_CLOEXEC);
  char *t = NULL;
  if (fd < 0)
    rc = errno == ENOENT
             ? WAPF_OK
             : wapf__fail(ctx, WAPF_ECONFIG, "%s: %s", path, strerror(errno));
  else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    rc = wapf__fail(ctx, WAPF_ECONFIG, "%s: not a regular file", path);
  else if (st.st_mode & (S_IRWXG | S_IRWXO))
    rc = wapf__fail(ctx, WAPF_ECONFIG,
                    "%s: readable by group or others; refusing to use it "
                    "(chmod 600 %s)",
                    path, path);
  else if (st.st_size > WAPF_CONFIG_MAX)
    rc = wapf__fail(ctx, WAPF_ECONFIG, "%s: too large", path);
  else if (!(t = calloc(1, (size_t)st.st_size + 1)))
    rc = wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  else if (read(fd, t, (size_t)st.st_size) < 0)
    rc = wapf__fail(ctx, WAPF_ECONFIG, "%s: %s", path, strerror(errno));
  if (fd >= 0)
    close(fd);
  if (rc == WAPF_OK && !t && !(t = strdup("")))
    rc = wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  if (rc != WAPF_OK) {
    free(t);
    t = NULL;
  }
  *text = t;
  return rc;
}

/* *dst = given, else $key, else the config's key (config loaded lazily). */
static int pick(wapf__send *s, char **dst, const char *given, const char *key,
                char **config) {
  const char *env = getenv(key);
  if (given && *given)
    *dst = strdup(given);
  else if (env && *env)
    *dst = strdup(env);
  else {
    if (!*config && s->creds.config_path) {
      int rc = read_config(s->ctx, s->creds.config_path, config);
      if (rc != WAPF_OK)
        return rc;
    }
    *dst = *config ? wapf__config_value(*config, key) : NULL;
    if (*dst && !**dst) {
      free(*dst);
      *dst = NULL;
    }
    return WAPF_OK;
  }
  return *dst ? WAPF_OK : wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
}

static void add_secret(wapf__send *s, const char *v) {
  for (int i = 0; v && *v && i < WAPF_SEND_MAX_SECRETS; i++)
    if (!s->secrets[i]) {
      s->secrets[i] = v;
      return;
    }
}

static int missing(wapf__send *s, const char *what) {
  const char *cfg = s->creds.config_path ? s->creds.config_path : "config";
  return wapf__sfail(s, WAPF_ECONFIG, "%s: %s is not set (environment or %s)",
                     s->prov->name, what, cfg);
}

static int load_publish(wapf__send *s, char **cfg) {
  wapf__creds *c = &s->creds;
  int rc = pick(s, &c->aws_key_id, NULL, "AWS_ACCESS_KEY_ID", cfg);
  if (rc == WAPF_OK)
    rc = pick(s, &c->aws_secret, NULL, "AWS_SECRET_ACCESS_KEY", cfg);
  if (rc == WAPF_OK)
    rc = pick(s, &c->aws_region, NULL, "AWS_REGION", cfg);
  if (rc == WAPF_OK)
    rc =
        pick(s, &c->aws_endpoint, s->req->s3_endpoint, "AWS_ENDPOINT_URL", cfg);
  if (rc != WAPF_OK)
    return rc;
  add_secret(s, c->aws_secret);
  add_secret(s, c->aws_key_id);
  if (!c->aws_key_id)
    return missing(s, "AWS_ACCESS_KEY_ID");
  if (!c->aws_secret)
    return missing(s, "AWS_SECRET_ACCESS_KEY");
  if (!c->aws_endpoint)
    return missing(s, "the S3 endpoint (AWS_ENDPOINT_URL or --s3-endpoint)");
  return WAPF_OK;
}

int wapf__creds_load(wapf__send *s) {
  wapf__creds *c = &s->creds;
  char *cfg = NULL;
  c->config_path =
      s->req->config_path ? strdup(s->req->config_path) : default_config_path();
  int rc = pick(s, &c->token, s->req->token, s->prov->key_env, &cfg);
  add_secret(s, c->token);
  if (rc == WAPF_OK && s->prov->id == WAPF_PROVIDER_META)
    rc = pick(s, &c->phone_number_id, s->req->phone_number_id,
              "WA_PHONE_NUMBER_ID", &cfg);
  if (rc == WAPF_OK && s->prov->id == WAPF_PROVIDER_ONPREM)
    rc = pick(s, &c->onprem_base, NULL, "WA_ONPREM_BASE", &cfg);
  if (rc == WAPF_OK && s->req->publish)
    rc = load_publish(s, &cfg);
  free(cfg);
  if (rc != WAPF_OK)
    return rc;
  if (!c->token)
    return missing(s, s->prov->key_env);
  if (s->prov->id == WAPF_PROVIDER_META && !c->phone_number_id)
    return missing(s, "WA_PHONE_NUMBER_ID");
  return WAPF_OK;
}

int wapf__config_lookup(wapf_context *ctx, const char *config_path,
                        const char *const *keys, int n, int env_too,
                        char **out) {
  const char *env = env_too ? getenv(keys[0]) : NULL;
  char *v = NULL, *text = NULL;
  if (env && *env) {
    if (!(v = strdup(env)))
      return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
    *out = v;
    return WAPF_OK;
  }
  char *path = config_path ? strdup(config_path) : default_config_path();
  if (config_path && !path)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  int rc = path ? read_config(ctx, path, &text) : WAPF_OK; /* no HOME */
  free(path);
  if (rc != WAPF_OK)
    return rc;
  for (int i = 0; text && !v && i < n; i++) {
    v = wapf__config_value(text, keys[i]);
    if (v && !*v) {
      free(v);
      v = NULL;
    }
  }
  if (text) {
    memset(text, 0, strlen(text));
    free(text);
  }
  *out = v;
  return WAPF_OK;
}

int wapf_config_get(wapf_context *ctx, const char *config_path, const char *key,
                    char **out) {
  if (!ctx || !key || !*key || strchr(key, '=') || !out)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  return wapf__config_lookup(ctx, config_path, &key, 1, 1, out);
}

static void wipe_free(char **p) {
  if (*p) {
    volatile char *v = *p;
    while (*v)
      *v++ = '\0';
    free(*p);
    *p = NULL;
  }
}

void wapf__creds_free(wapf__creds *c) {
  wipe_free(&c->token);
  wipe_free(&c->phone_number_id);
  wipe_free(&c->onprem_base);
  wipe_free(&c->aws_key_id);
  wipe_free(&c->aws_secret);
  wipe_free(&c->aws_region);
  wipe_free(&c->aws_endpoint);
  free(c->config_path);
  c->config_path = NULL;
}
