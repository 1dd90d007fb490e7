/*
 * json.h - reading JSON answers (plain C, cJSON).
 *
 * Owns: the `success` / `error_code` verdict of an answer, read from valid
 * JSON (boolean or "true"/"false", a code as signed or unsigned number or hex
 * string) and, when the body is malformed as real servers send it
 * ({"success":false,"error_code":-1325400063"error_message":"..."}), from a
 * tolerant scan of the text.
 */
#ifndef QVR_JSON_H
#define QVR_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

struct qvr_answer {
    cJSON *root;          /* the parsed document, NULL when malformed */
    int has_success, success;
    int has_code;
    uint32_t code;
    int has_status;       /* the logs API's "code" (HTTP-like status) */
    int status;
    char message[160];    /* error_message / mesg when present */
};

/* Reads a body.  Returns 0 when a verdict or a document was found, -1 when
 * the body is not JSON at all.  Free with qvr_answer_free. */
int qvr_answer_read(const char *body, size_t len, struct qvr_answer *a);
void qvr_answer_free(struct qvr_answer *a);

#endif
