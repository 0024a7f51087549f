/* SCAFFOLD: replaced by the rules module. */
#include "modules.h"
#include <stdlib.h>
int wapf_check(wapf_context *ctx, const wapf_facts *facts,
               const wapf_options *opt, wapf_report **out) {
  (void)facts;
  (void)opt;
  (void)out;
  return wapf__fail(ctx, WAPF_EINTERNAL, "check not built");
}
void wapf_report_free(wapf_report **r) {
  if (r && *r) {
    free((*r)->findings);
    free(*r);
    *r = NULL;
  }
}
const char *wapf_plan_name(wapf_plan plan) {
  (void)plan;
  return "?";
}
const wapf_rule_info *wapf_rules(size_t *n) {
  *n = 0;
  return NULL;
}
int64_t wapf_kind_limit(wapf_kind kind, int animated) {
  (void)kind;
  (void)animated;
  return 0;
}
wapf_kind wapf__auto_kind(const wapf_facts *f) {
  (void)f;
  return WAPF_KIND_DOCUMENT;
}
