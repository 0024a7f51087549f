/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules for documents: each rule passing and failing, the extension that
 * lies about the content, the size boundary, and the type sent. */
#include "fx.h"

static const char *const k_document_ids[] = {"document.size", "document.type",
                                             "document.extension", NULL};

static void pdf_is_compliant(void) {
  fx x;
  fx_other(&x, "/d/Report Q3.pdf", "application/pdf", 2000000);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_DOCUMENT);
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->n_findings, 0);
  T_EQ_INT(r->plan, WAPF_PLAN_NONE);
  T_EQ_STR(r->out_ext, ".pdf");
  T_EQ_STR(r->out_mime, "application/pdf");
  for (int i = 0; k_document_ids[i]; i++)
    EXPECT_PASS(r, k_document_ids[i]);
}

static void text_renamed_mp4(void) {
  fx x;
  fx_other(&x, "/d/movie.mp4", "text/plain", 1500);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_DOCUMENT);
  EXPECT_FAIL(r, "document.extension");
  T_EQ_STR(message_of(r, "document.extension"),
           "the name says .mp4 but the content is text/plain; rename it to "
           ".txt");
  T_EQ_INT(r->compliant, 0);
  T_EQ_STR(wapf_plan_name(r->plan), "unfixable");
  T_HAS(r->plan_reason, "rename it to .txt");
  T_EQ_STR(r->out_ext, ".mp4");
}

static void random_bytes_named_jpg(void) {
  fx x;
  fx_other(&x, "/d/holiday.JPG", "application/octet-stream", 40960);
  const wapf_report *r = check_as(&x, WAPF_KIND_DOCUMENT);
  EXPECT_FAIL(r, "document.extension");
  T_EQ_STR(message_of(r, "document.extension"),
           "the name says .JPG but the content is application/octet-stream; "
           "rename it or remove the extension");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
}

static void names_that_claim_nothing(void) {
  static const char *const paths[] = {"/d/Makefile", "/d/data.xyz",
                                      "/d/.profile", "/d/v1.2/notes"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    fx x;
    fx_other(&x, paths[i], "text/plain", 100);
    const wapf_report *r = check_as(&x, WAPF_KIND_DOCUMENT);
    EXPECT_PASS(r, "document.extension");
    T_EQ_INT(r->compliant, 1);
    T_EQ_STR(r->out_ext, i == 1 ? ".xyz" : "");
  }
}

static void content_parameters_and_case(void) {
  fx x;
  fx_other(&x, "/d/README.TXT", "text/plain; charset=utf-8", 100);
  const wapf_report *r = check_as(&x, WAPF_KIND_DOCUMENT);
  T_CHECK(r);
  T_EQ_INT(r->n_findings, 0);
  T_EQ_STR(r->out_ext, ".TXT");
}

static void office_zip_is_sent_with_its_type(void) {
  fx x;
  fx_other(&x, "/d/cv.docx", "application/zip", 80000);
  const wapf_report *r = check_as(&x, WAPF_KIND_DOCUMENT);
  EXPECT_PASS(r, "document.extension");
  EXPECT_PASS(r, "document.type");
  T_EQ_STR(r->out_mime, "application/vnd.openxmlformats-officedocument."
                        "wordprocessingml.document");
  fx_other(&x, "/d/old.doc", "application/CDFV2", 80000);
  r = check_as(&x, WAPF_KIND_DOCUMENT);
  T_CHECK(r);
  T_EQ_INT(r->n_findings, 0);
  T_EQ_STR(r->out_mime, "application/msword");
}

static void unlisted_type_is_a_warning(void) {
  fx x;
  fx_other(&x, "/d/photos.zip", "application/zip", 800000);
  const wapf_report *r = check_as(&x, WAPF_KIND_DOCUMENT);
  EXPECT_FAIL(r, "document.type");
  T_EQ_STR(message_of(r, "document.type"),
           "type is application/zip; Meta lists PDF, text, Word, Excel and "
           "PowerPoint documents (others are usually delivered)");
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->plan, WAPF_PLAN_NONE);
  T_EQ_STR(r->out_mime, "application/zip");
  /* a video sent as a document: fine, with the warning */
  fx_mp4(&x);
  x.f.moov_at_end = 1;
  r = check_as(&x, WAPF_KIND_DOCUMENT);
  EXPECT_FAIL(r, "document.type");
  EXPECT_PASS(r, "document.extension");
  T_EQ_INT(r->compliant, 1);
  T_EQ_STR(r->out_ext, ".mp4");
  T_EQ_STR(r->out_mime, "video/mp4");
}

static void size_boundary(void) {
  fx x;
  fx_other(&x, "/d/big.pdf", "application/pdf", 100000000);
  const wapf_report *r = check_as(&x, WAPF_KIND_DOCUMENT);
  EXPECT_PASS(r, "document.size");
  x.f.size = 100000001;
  r = check_as(&x, WAPF_KIND_DOCUMENT);
  EXPECT_FAIL(r, "document.size");
  T_EQ_STR(message_of(r, "document.size"),
           "size is 100,000,001 bytes, over the 100,000,000-byte limit for a "
           "document");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
  T_EQ_STR(r->plan_reason, message_of(r, "document.size"));
}

static void damaged_document(void) {
  fx x;
  fx_other(&x, "/d/cut.pdf", "application/pdf", 5000);
  x.f.damaged = 1;
  const wapf_report *r = check_as(&x, WAPF_KIND_DOCUMENT);
  EXPECT_FAIL(r, "file.damaged");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
  T_HAS(r->plan_reason, "the file is damaged");
}

static void every_document_rule_was_exercised(void) {
  const wapf_kind kinds[] = {WAPF_KIND_DOCUMENT};
  T_CHECK(coverage_of(kinds, 1));
}

int main(void) {
  if (!fx_setup())
    return 1;
  T_RUN(pdf_is_compliant);
  T_RUN(text_renamed_mp4);
  T_RUN(random_bytes_named_jpg);
  T_RUN(names_that_claim_nothing);
  T_RUN(content_parameters_and_case);
  T_RUN(office_zip_is_sent_with_its_type);
  T_RUN(unlisted_type_is_a_warning);
  T_RUN(size_boundary);
  T_RUN(damaged_document);
  T_RUN(every_document_rule_was_exercised);
  fx_teardown();
  return T_DONE();
}
