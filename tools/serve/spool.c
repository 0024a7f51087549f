/* Private temporary folders: one for the server (mode 0700, under
 * $TMPDIR), one inside it per request, removed when the request ends. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"

static char g_root[1024];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_count;

const char *spool_root(void) {
  return g_root;
}

int spool_init(void) {
  const char *t = getenv("TMPDIR");
  snprintf(g_root, sizeof g_root, "%s/wa-preflight-serve.XXXXXX",
           t && *t ? t : "/tmp");
  if (!mkdtemp(g_root)) { /* mkdtemp makes it 0700 */
    srv_log("cannot make a temporary folder in %s", t && *t ? t : "/tmp");
    g_root[0] = '\0';
    return -1;
  }
  return 0;
}

char *spool_new(void) {
  char buf[1100];
  snprintf(buf, sizeof buf, "%s/req.XXXXXX", g_root);
  if (!mkdtemp(buf))
    return NULL;
  pthread_mutex_lock(&g_lock);
  g_count++;
  pthread_mutex_unlock(&g_lock);
  return strdup(buf);
}

/* Remove the files of a request folder (it holds no subfolders). */
static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (d) {
    struct dirent *e;
    int fd = dirfd(d);
    while ((e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
        unlinkat(fd, e->d_name, 0);
    closedir(d);
  }
  rmdir(path);
}

void spool_drop(char *path) {
  if (!path)
    return;
  remove_tree(path);
  free(path);
  pthread_mutex_lock(&g_lock);
  g_count--;
  pthread_mutex_unlock(&g_lock);
}

int spool_count(void) {
  pthread_mutex_lock(&g_lock);
  int n = g_count;
  pthread_mutex_unlock(&g_lock);
  return n;
}

void spool_shutdown(void) {
  DIR *d;
  if (!g_root[0])
    return;
  if ((d = opendir(g_root))) { /* folders of requests cut short */
    struct dirent *e;
    while ((e = readdir(d))) {
      char p[1400];
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
        continue;
      snprintf(p, sizeof p, "%s/%s", g_root, e->d_name);
      remove_tree(p);
    }
    closedir(d);
  }
  rmdir(g_root);
  g_root[0] = '\0';
}
