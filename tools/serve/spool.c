/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private temporary folders: one for the server ($TMPDIR/wa-preflight-
 * serve.XXXXXX, mode 0700), one inside it per request (req.XXXXXX),
 * removed when the request ends. The server's folder holds an owner
 * marker that the server keeps locked (flock) while it runs; the lock goes
 * with the process, even at kill -9. At start, a server removes the
 * folders of our naming and of this user whose marker nobody holds: what
 * a killed server left. Anything else is never touched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"

#define ROOT_PREFIX "wa-preflight-serve."
#define MARKER ".wapf-serve-owner"
#define MARKER_NEW ".wapf-serve-owner.new"
#define REQ_PREFIX "req."

static const char *tmp_root(void) {
  const char *t = getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

/* Remove the files of the folder name in dir, then the folder (a request
 * folder holds no subfolders; links are removed, never followed). */
static void remove_folder(int dir, const char *name) {
  int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (fd >= 0 && !d)
    close(fd);
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      unlinkat(dirfd(d), e->d_name, 0);
  if (d)
    closedir(d);
  unlinkat(dir, name, AT_REMOVEDIR);
}

/* Remove the request folders and the markers in the server folder dir
 * (an open descriptor), then the folder itself (path). */
static void remove_root(int dir, const char *path) {
  int fd = dup(dir);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (fd >= 0 && !d)
    close(fd);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    struct stat st;
    if (!strncmp(e->d_name, REQ_PREFIX, strlen(REQ_PREFIX)) &&
        fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode))
      remove_folder(dir, e->d_name);
  }
  if (d)
    closedir(d);
  unlinkat(dir, MARKER_NEW, 0);
  unlinkat(dir, MARKER, 0);
  rmdir(path);
}

/* The server folder path, if a killed server left it: removed, 1. */
static int sweep_one(const char *path) {
  int removed = 0;
  int dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (dir < 0)
    return 0;
  int marker = fstat(dir, &st) == 0 && st.st_uid == getuid()
                   ? openat(dir, MARKER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                   : -1;
  if (marker >= 0 && fstat(marker, &st) == 0 && S_ISREG(st.st_mode) &&
      flock(marker, LOCK_EX | LOCK_NB) == 0) { /* its owner is gone */
    remove_root(dir, path);
    removed = 1;
  }
  if (marker >= 0)
    close(marker); /* releases the lock */
  close(dir);
  return removed;
}

int spool_sweep(srv_state *s) {
  DIR *d = opendir(tmp_root());
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d))) {
    if (strncmp(e->d_name, ROOT_PREFIX, strlen(ROOT_PREFIX)) != 0)
      continue;
    g_autofree char *p = g_build_filename(tmp_root(), e->d_name, NULL);
    if (sweep_one(p)) {
      n++;
      if (!s->c->quiet)
        srv_log("removed %s (left by a server that was killed)", p);
    }
  }
  if (d)
    closedir(d);
  return n;
}

/* Create the marker locked, under a temporary name first, so that no
 * other server ever sees it unlocked. */
static int make_marker(srv_state *s) {
  int dir = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = dir < 0 ? -1
                   : openat(dir, MARKER_NEW,
                            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  int ok = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
           renameat(dir, MARKER_NEW, dir, MARKER) == 0;
  if (dir >= 0)
    close(dir);
  if (!ok) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  s->owner_fd = fd;
  return 0;
}

int spool_init(srv_state *s) {
  const char *t = tmp_root();
  g_autofree char *tmpl = g_build_filename(t, ROOT_PREFIX "XXXXXX", NULL);
  if (g_strlcpy(s->root, tmpl, sizeof s->root) >= sizeof s->root) {
    srv_log("the temporary folder path %s is too long", t);
    s->root[0] = '\0';
    return -1;
  }
  if (!mkdtemp(s->root)) { /* mkdtemp makes it 0700 */
    srv_log("cannot make a temporary folder in %s (%s)", t, strerror(errno));
    s->root[0] = '\0';
    return -1;
  }
  if (make_marker(s) != 0) {
    srv_log("cannot write in the temporary folder %s (%s)", s->root,
            strerror(errno));
    rmdir(s->root);
    s->root[0] = '\0';
    return -1;
  }
  return 0;
}

char *spool_new(srv_state *s) {
  char *p = g_build_filename(s->root, REQ_PREFIX "XXXXXX", NULL);
  if (!mkdtemp(p)) { /* 0700 */
    g_free(p);
    return NULL;
  }
  g_mutex_lock(&s->lock);
  s->folders++;
  g_mutex_unlock(&s->lock);
  return p;
}

void spool_drop(srv_state *s, char *path) {
  if (!path)
    return;
  const char *slash = strrchr(path, '/');
  int dir = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0 && slash) {
    remove_folder(dir, slash + 1);
    close(dir);
  } else if (dir >= 0) {
    close(dir);
  }
  g_free(path);
  g_mutex_lock(&s->lock);
  s->folders--;
  g_mutex_unlock(&s->lock);
}

int spool_count(srv_state *s) {
  g_mutex_lock(&s->lock);
  int n = s->folders;
  g_mutex_unlock(&s->lock);
  return n;
}

void spool_shutdown(srv_state *s) {
  if (s->root[0]) {
    int dir = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      remove_root(dir, s->root); /* and the folders of requests cut short */
      close(dir);
    }
    s->root[0] = '\0';
  }
  if (s->owner_fd >= 0)
    close(s->owner_fd);
  s->owner_fd = -1;
}
