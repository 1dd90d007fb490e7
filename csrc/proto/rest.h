/*
 * rest.h - the verdict on an answer of the REST family (plain C, cJSON).
 *
 * Owns: reading what a QVR Pro API 1.x endpoint answered (docs/REST.md):
 * the 0xB1 error bodies ({"success":false,"error_code":...} in all their
 * observed variants), PTZ's hex-string codes, StreamingOutput's
 * {respType, errorCode, message}, the Metadata Vault's ReturnStatus
 * envelope, images, MP4 files, empty 2xx answers (204), and the answers
 * that say "this NVR has no such endpoint" (a 404/405 page, 0xB1000000 "API
 * version not supported"), both named NOT_SUPPORTED, after which a client
 * may try the CGI family.
 */
#ifndef QVR_REST_H
#define QVR_REST_H

#include <stddef.h>

#include "verdict.h"

/* The verdict on a REST answer of kind QVR_KIND_REST (ok: out->root, or no
 * root for an empty 2xx answer), QVR_KIND_REST_IMAGE (ok: the body is a
 * JPEG) or QVR_KIND_REST_MEDIA (ok: the body is an MP4).  out is set up by
 * qvr_verdict_read (code -1, http_status). */
void qvr_rest_result(enum qvr_kind kind, const char *body, size_t len, long status,
                     const char *content_type, struct qvr_result *out);

/* Whether the body starts like an MP4 file (a box of type ftyp/styp/moov...). */
int qvr_rest_is_mp4(const char *body, size_t len);

#endif
