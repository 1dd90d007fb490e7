/*
 * verdict.h - what an answer of the NVR says (plain C, no Lua).
 *
 * Owns: the verdict on each kind of answer the SDK has: JSON with
 * success / error_code, the logs API's code / mesg, images, qplay's text
 * lines and the authLogin.cgi XML.  A verdict is ok, failed or auth (the
 * server says the sid is not, or no longer, valid), with the error's name,
 * server code and message when it is not ok.  Also the one rule for telling
 * the result-code line of a text answer or stream from a CGI version line
 * (used by the stream parser too), and the list of codes that mean "sid not
 * valid" (docs/PROTOCOL.md, "Result codes").
 */
#ifndef QVR_VERDICT_H
#define QVR_VERDICT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "xml.h"

enum qvr_kind { QVR_KIND_JSON, QVR_KIND_LOGS, QVR_KIND_IMAGE, QVR_KIND_LINES, QVR_KIND_RAW,
                /* the REST family (rest.h): a JSON document or an empty 2xx, JPEG, MP4 */
                QVR_KIND_REST, QVR_KIND_REST_IMAGE, QVR_KIND_REST_MEDIA };

enum qvr_verdict { QVR_ANSWER_OK, QVR_ANSWER_FAILED, QVR_ANSWER_AUTH };

/* JSON answers nested deeper than this are refused (BAD_RESPONSE): a
 * binding converts the document recursively. */
#define QVR_JSON_MAX_DEPTH 64

/* The longest line tolerated before the code line of a text answer. */
#define QVR_PRE_LINE_MAX 64

struct qvr_result {
    enum qvr_verdict verdict;
    /* not ok: */
    const char *name;        /* "AUTH_FAILED", "BAD_RESPONSE", a code's name, ... */
    int64_t code;            /* the server code, -1 when none */
    char message[200];
    long http_status;
    /* ok: */
    cJSON *root;             /* JSON, LOGS: the document (freed by qvr_result_free) */
    size_t lines_at;         /* LINES: offset of the first line after the code line */
};

/* Reads an answer of `kind` (body of len bytes, HTTP status, Content-Type
 * or "") into *out.  Never fails itself: unreadable answers get a
 * BAD_RESPONSE / HTTP_ERROR verdict.  Free with qvr_result_free. */
void qvr_verdict_read(enum qvr_kind kind, const char *body, size_t len, long status,
                      const char *content_type, struct qvr_result *out);
void qvr_result_free(struct qvr_result *r);

/* The verdict on a parsed login answer: ok when authPassed is 1 and a sid
 * came; AUTH_FAILED when the server refused; BAD_RESPONSE / HTTP_ERROR when
 * the body was not a QDocRoot document. */
void qvr_login_verdict(const struct qvr_login *lg, long status, struct qvr_result *out);

/* Whether a server code means "the sid is not (or no longer) valid". */
int qvr_code_is_auth(uint32_t code);

/* The code/version-line rule: whether the line s (n bytes, without its
 * '\n') is the result-code line, *code set when it is.  A small positive
 * decimal as the first line (first != 0) is a CGI version ("1"), not a
 * code: text answers print success as 0 and failures as negative (or big
 * unsigned, or hex) numbers. */
int qvr_code_line(const char *s, size_t n, int first, uint32_t *code);

/* The next line of a text answer from *pos, without '\n', '\r' and
 * surrounding blanks; returns 0 at the end of the body. */
int qvr_text_line(const char *body, size_t len, size_t *pos, const char **s, size_t *n);

/* The nesting depth of a document (a scalar is 0), counted up to limit + 1. */
int qvr_json_depth(const cJSON *v, int limit);

#endif
