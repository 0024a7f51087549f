/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Documents: Meta's listed types, and what each file extension claims.
 * A document whose extension says one thing and whose content says
 * another ("report.mp4" holding text) arrives as a file the phone cannot
 * open; check fails it and names the extension that fits. Extensions not
 * listed here are fine whatever the content. The first extension of a
 * type is the one suggested for it. */
#include "rules.h"

#define L(...)                                                                 \
  (const char *const[]) {                                                      \
    __VA_ARGS__, NULL                                                          \
  }

#define OLE                                                                    \
  "application/x-ole-storage", "application/cdfv2", "application/vnd.ms-office"
#define OOXML "application/vnd.openxmlformats-officedocument."
#define ODF "application/vnd.oasis.opendocument."
#define ISOBMFF                                                                \
  "video/mp4", "audio/mp4", "video/quicktime", "video/x-m4v", "audio/x-m4a",   \
      "video/3gpp", "video/3gpp2", "audio/3gpp", "application/mp4"
#define MATROSKA                                                               \
  "video/x-matroska", "video/webm", "audio/webm", "audio/x-matroska"
#define OGG "audio/ogg", "video/ogg", "application/ogg", "audio/opus"

static const wapf__ext_type k_exts[] = {
    {"pdf", "application/pdf", L("application/pdf")},
    {"txt", "text/plain", L("text/")},
    {"csv", "text/csv", L("text/", "application/csv")},
    {"md", "text/markdown", L("text/")},
    {"json", "application/json", L("application/json", "text/")},
    {"xml", "application/xml", L("application/xml", "text/")},
    {"html", "text/html", L("text/")},
    {"htm", "text/html", L("text/")},
    {"rtf", "application/rtf", L("application/rtf", "text/rtf")},
    {"doc", "application/msword", L("application/msword", OLE)},
    {"docx", OOXML "wordprocessingml.document",
     L(OOXML "wordprocessingml.document", "application/zip")},
    {"xls", "application/vnd.ms-excel", L("application/vnd.ms-excel", OLE)},
    {"xlsx", OOXML "spreadsheetml.sheet",
     L(OOXML "spreadsheetml.sheet", "application/zip")},
    {"ppt", "application/vnd.ms-powerpoint",
     L("application/vnd.ms-powerpoint", OLE)},
    {"pptx", OOXML "presentationml.presentation",
     L(OOXML "presentationml.presentation", "application/zip")},
    {"odt", ODF "text", L(ODF "text", "application/zip")},
    {"ods", ODF "spreadsheet", L(ODF "spreadsheet", "application/zip")},
    {"odp", ODF "presentation", L(ODF "presentation", "application/zip")},
    {"zip", "application/zip", L("application/zip")},
    {"gz", "application/gzip", L("application/gzip", "application/x-gzip")},
    {"jpg", "image/jpeg", L("image/jpeg")},
    {"jpeg", "image/jpeg", L("image/jpeg")},
    {"png", "image/png", L("image/png", "image/apng")},
    {"gif", "image/gif", L("image/gif")},
    {"webp", "image/webp", L("image/webp")},
    {"heic", "image/heic",
     L("image/heic", "image/heif", "image/heic-sequence",
       "image/heif-sequence")},
    {"heif", "image/heif",
     L("image/heif", "image/heic", "image/heif-sequence",
       "image/heic-sequence")},
    {"avif", "image/avif", L("image/avif")},
    {"tif", "image/tiff", L("image/tiff")},
    {"tiff", "image/tiff", L("image/tiff")},
    {"bmp", "image/bmp", L("image/bmp", "image/x-ms-bmp")},
    {"svg", "image/svg+xml", L("image/svg+xml", "image/svg", "text/")},
    {"mp4", "video/mp4", L(ISOBMFF)},
    {"m4v", "video/mp4", L(ISOBMFF)},
    {"m4a", "audio/mp4", L(ISOBMFF)},
    {"mov", "video/quicktime", L(ISOBMFF)},
    {"3gp", "video/3gpp", L(ISOBMFF)},
    {"mkv", "video/x-matroska", L(MATROSKA)},
    {"webm", "video/webm", L(MATROSKA)},
    {"avi", "video/x-msvideo", L("video/x-msvideo", "video/avi")},
    {"mp3", "audio/mpeg", L("audio/mpeg", "audio/mp3", "audio/x-mp3")},
    {"aac", "audio/aac", L("audio/aac", "audio/x-aac", "audio/x-hx-aac-adts")},
    {"ogg", "audio/ogg", L(OGG)},
    {"opus", "audio/ogg", L(OGG)},
    {"oga", "audio/ogg", L(OGG)},
    {"wav", "audio/wav",
     L("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")},
    {"flac", "audio/flac", L("audio/flac", "audio/x-flac")},
    {"amr", "audio/amr", L("audio/amr", "audio/amr-wb")},
    {NULL, NULL, NULL},
};

static const char *const k_listed[] = {
    "application/pdf",
    "text/plain",
    "application/msword",
    OOXML "wordprocessingml.document",
    "application/vnd.ms-excel",
    OOXML "spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    OOXML "presentationml.presentation",
    NULL,
};

static const char *const k_generic[] = {"application/zip",
                                        "application/octet-stream", OLE, NULL};

const wapf__document_rules wapf__document = {
    .listed_mimes = k_listed,
    .exts = k_exts,
    .generic = k_generic,
};
