/* SCAFFOLD: replaced by the probe module. */
#include "modules.h"
#include <stdlib.h>
int wapf_probe(wapf_context *ctx, const char *path, wapf_facts **out) {
  (void)path;
  (void)out;
  return wapf__fail(ctx, WAPF_EINTERNAL, "probe not built");
}
void wapf_facts_free(wapf_facts **f) {
  if (f && *f) {
    free((*f)->path);
    free((*f)->streams);
    free((*f)->image.delays_ms);
    free(*f);
    *f = NULL;
  }
}
