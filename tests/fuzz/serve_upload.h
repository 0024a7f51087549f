/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The serve fuzz target's upload path (serve_upload.c). */
#ifndef WAPF_FUZZ_SERVE_UPLOAD_H
#define WAPF_FUZZ_SERVE_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

/* data[0] picks the Content-Type and the piece size; the rest is the
 * body. Aborts on a crash-worthy finding. */
void fuzz_serve_upload(const uint8_t *data, size_t size);

#endif
