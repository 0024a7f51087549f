/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tiny unit-test harness: each test binary holds a few named cases.
 * Exit 0 when all pass, 1 when any fails, 77 (meson's skip) when all
 * cases skipped. */
#ifndef WAPF_T_H
#define WAPF_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_ = 0, t_ran_ = 0, t_skipped_ = 0;
static const char *t_case_ = "";

#define T_CHECK(cond)                                                          \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "FAIL %s: %s:%d: %s\n", t_case_, __FILE__, __LINE__,     \
              #cond);                                                          \
      t_failed_++;                                                             \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define T_EQ_INT(a, b)                                                         \
  do {                                                                         \
    long long t_a_ = (long long)(a), t_b_ = (long long)(b);                    \
    if (t_a_ != t_b_) {                                                        \
      fprintf(stderr, "FAIL %s: %s:%d: %s == %lld, expected %lld\n", t_case_,  \
              __FILE__, __LINE__, #a, t_a_, t_b_);                             \
      t_failed_++;                                                             \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define T_EQ_STR(a, b)                                                         \
  do {                                                                         \
    const char *t_a_ = (a), *t_b_ = (b);                                       \
    if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                           \
      fprintf(stderr, "FAIL %s: %s:%d: %s == \"%s\", expected \"%s\"\n",       \
              t_case_, __FILE__, __LINE__, #a, t_a_ ? t_a_ : "(null)",         \
              t_b_ ? t_b_ : "(null)");                                         \
      t_failed_++;                                                             \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define T_SKIP(why)                                                            \
  do {                                                                         \
    fprintf(stderr, "SKIP %s: %s\n", t_case_, why);                            \
    t_skipped_++;                                                              \
    return;                                                                    \
  } while (0)

#define T_RUN(fn)                                                              \
  do {                                                                         \
    int t_before_ = t_failed_;                                                 \
    t_case_ = #fn;                                                             \
    t_ran_++;                                                                  \
    fn();                                                                      \
    if (t_failed_ == t_before_)                                                \
      fprintf(stderr, "ok   %s\n", #fn);                                       \
  } while (0)

#define T_DONE()                                                               \
  (fprintf(stderr, "%d cases, %d failed, %d skipped\n", t_ran_, t_failed_,     \
           t_skipped_),                                                        \
   t_failed_ ? 1 : (t_ran_ && t_skipped_ == t_ran_ ? 77 : 0))

#endif
