/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* send's private temporary folders: each is $TMPDIR/wapf-send-XXXXXX
 * holding a marker ".wapf-send-owner" with its process identity
 * (lib/core/process.c); a folder whose marker names a process that is
 * gone (a kill -9) is removed by the next run. A folder without our marker, or
 * not ours (another uid), is never touched. */
#include "send.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER ".wapf-send-owner"

static const char *tmp_root(void) {
  const char *t = getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

/* Remove dir when its marker names a process that is gone. */
static void sweep_one(wapf__send *s, const char *dir) {
  char marker[1200], text[64];
  struct stat st;
  if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
    return;
  snprintf(marker, sizeof marker, "%s/" MARKER, dir);
  int fd = open(marker, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return; /* not one we made */
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  long pid = 0;
  long long start = 0;
  if (n <= 0)
    return;
  text[n] = '\0';
  if (sscanf(text, "%ld %lld", &pid, &start) != 2 ||
      wapf__process_alive(pid, start))
    return;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    char p[1400];
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
      unlink(p);
  }
  if (d)
    closedir(d);
  if (rmdir(dir) == 0)
    wapf__slog(s, WAPF_LOG_INFO, "removed %s (left by a killed run)", dir);
}

void wapf__tmp_sweep(wapf__send *s) {
  const char *root = tmp_root();
  DIR *d = opendir(root);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    char p[1100];
    if (strncmp(e->d_name, "wapf-send-", 10) != 0)
      continue;
    snprintf(p, sizeof p, "%s/%s", root, e->d_name);
    sweep_one(s, p);
  }
  if (d)
    closedir(d);
}

int wapf__tmp_make(wapf__send *s) {
  char tmpl[1024], marker[1100], text[64];
  snprintf(tmpl, sizeof tmpl, "%s/wapf-send-XXXXXX", tmp_root());
  if (!mkdtemp(tmpl))
    return wapf__from_errno(s->ctx, errno, "temporary directory");
  s->tmpdir = strdup(tmpl);
  if (!s->tmpdir) {
    rmdir(tmpl);
    return wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
  }
  snprintf(marker, sizeof marker, "%s/" MARKER, tmpl);
  int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  int len = snprintf(text, sizeof text, "%ld %lld\n", (long)getpid(),
                     wapf__process_start(getpid()));
  int ok = fd >= 0 && write(fd, text, (size_t)len) == len;
  if (fd >= 0)
    close(fd);
  if (!ok)
    return wapf__from_errno(s->ctx, errno ? errno : EIO, marker);
  return WAPF_OK;
}

void wapf__tmp_remove(wapf__send *s) {
  char marker[1100];
  if (!s->tmpdir)
    return;
  if (s->path && strncmp(s->path, s->tmpdir, strlen(s->tmpdir)) == 0)
    unlink(s->path);
  snprintf(marker, sizeof marker, "%s/" MARKER, s->tmpdir);
  unlink(marker);
  rmdir(s->tmpdir);
  free(s->tmpdir);
  s->tmpdir = NULL;
}
