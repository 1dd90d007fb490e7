/*
 * rest.h - the verdict on an answer of the REST family (plain C, cJSON).
 *
 * Owns: reading what a QVR Pro API 1.x endpoint answered (docs/REST.md):
 * the 0xB1 error bodies ({"success":false,"error_code":...} in all their
 * observed variants), PTZ's hex-string codes, StreamingOutput's
 * {respType, errorCode, message}, the Metadata Vault's ReturnStatus
 * envelope, images, MP4 files, empty 2xx answers (204), and the answers
 * that say "this NVR has no such endpoint" (404/405 pages, 0xB1000000 "API
 * version not supported"), after which a client may try the CGI family.
 */
#ifndef QVR_REST_H
#define QVR_REST_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* What the call expects on success. */
enum qvr_rest_expect {
    QVR_REST_EXPECT_JSON,    /* a JSON document, or an empty 2xx answer */
    QVR_REST_EXPECT_JPEG,    /* JPEG bytes */
    QVR_REST_EXPECT_MP4,     /* an MP4 (ISO BMFF) file */
};

enum qvr_rest_outcome {
    QVR_REST_OK,             /* root (JSON), or the body is the image/file, or empty */
    QVR_REST_FAILED,         /* an error: name, code (when has_code), message */
    QVR_REST_AUTH,           /* the sid is not (or no longer) valid */
};

struct qvr_rest_verdict {
    enum qvr_rest_outcome outcome;
    cJSON *root;             /* OK with a JSON document (owned; qvr_rest_free) */
    int empty;               /* OK without a body */
    int unsupported;         /* FAILED because the NVR lacks the endpoint: 404/405
                                without a REST body, or 0xB1000000 */
    const char *name;        /* FAILED/AUTH: stable name, or NULL to name by code */
    int has_code;
    uint32_t code;
    char message[200];
};

/* Judges one answer: HTTP status, Content-Type (may be ""), body. */
void qvr_rest_judge(enum qvr_rest_expect expect, long status, const char *content_type,
                    const char *body, size_t len, struct qvr_rest_verdict *v);
void qvr_rest_free(struct qvr_rest_verdict *v);

/* Whether the body starts like an MP4 file (a box of type ftyp/styp/moov...). */
int qvr_rest_is_mp4(const char *body, size_t len);

#endif
