/*
 * request.h - the requests of both API families (plain C).
 *
 * Owns: every endpoint the client calls, in one constant table: its name
 * (what the bindings and the Lua layer ask for), family (the 2017 CGIs or
 * the REST family of API 1.x), HTTP method, path template, answer kind,
 * whether it carries the sid, and its query parameters in the order they go
 * on the wire (fixed values such as qplay's cmd=, defaults such as REST's
 * ver=1.1.0, required ones).  And building a request's path and query string
 * from it into a caller buffer, every value percent-encoded (encode.c).
 * docs/PROTOCOL.md and docs/REST.md describe the endpoints.
 *
 * A path template holds {prefix} (the API prefix, "/qvrpro"; kept as a path:
 * '/' stays) and placeholders {NAME} filled from the parameter NAME (one
 * path segment, percent-encoded, never empty).
 */
#ifndef QVR_REQUEST_H
#define QVR_REQUEST_H

#include <stddef.h>

#include "verdict.h"

enum qvr_family { QVR_FAMILY_CGI, QVR_FAMILY_REST };

/* the API prefix of QVR Pro (/qvrentry's fw_web_ui_prefix names another on
 * other products, docs/PROTOCOL.md) */
#define QVR_DEFAULT_PREFIX "/qvrpro"

/* the `ver` the REST family's calls send, and the one a parameter that
 * came with API 1.2.0 needs (QVR_P_VER_TS) */
#define QVR_REST_VER "1.1.0"
#define QVR_REST_VER_TS "1.2.0"

/* parameter flags */
#define QVR_P_REQUIRED 1u   /* the caller must give it */
#define QVR_P_FIXED 2u      /* always `value`; the caller may not give it */
#define QVR_P_SID 4u        /* the session's sid (the context's) */
#define QVR_P_PATH 8u       /* fills {wire} in the path, not the query */
#define QVR_P_VER_TS 16u    /* given: `ver` defaults to QVR_REST_VER_TS */
#define QVR_P_VERSION 32u   /* the REST `ver` (default `value`, see VER_TS) */

struct qvr_param {
    const char *wire;     /* the name on the wire */
    const char *name;     /* the caller's name for it; NULL: the wire name */
    const char *value;    /* the fixed value, or the default when not given */
    unsigned flags;
};

/* endpoint flags */
#define QVR_EP_SID 1u        /* carries the sid: a refusal of it logs in again */
#define QVR_EP_LOGS_PORT 2u  /* served on the logs port (docs/PROTOCOL.md "Logs") */
#define QVR_EP_SECRET 4u     /* the query holds a credential: never log it */

struct qvr_endpoint {
    const char *name;            /* "qplay.seek", "camera.snapshot", ... */
    enum qvr_family family;
    const char *method;          /* "GET", "POST", "PUT", "DELETE" */
    const char *path;            /* template, see above */
    enum qvr_kind kind;          /* how its answer is read (verdict.h) */
    unsigned flags;
    const struct qvr_param *params;   /* in wire order, ended by {NULL} */
};

/* The endpoint named `name`, or NULL. */
const struct qvr_endpoint *qvr_endpoint_find(const char *name);
/* The i-th endpoint of the table (0 ..), NULL past the end. */
const struct qvr_endpoint *qvr_endpoint_at(size_t i);

enum qvr_req_err {
    QVR_REQ_OK,
    QVR_REQ_UNKNOWN_ENDPOINT,
    QVR_REQ_UNKNOWN_PARAM,    /* not a parameter of the endpoint, or a fixed one */
    QVR_REQ_DUPLICATE_PARAM,
    QVR_REQ_MISSING_PARAM,    /* a required one, the sid or the prefix */
    QVR_REQ_BAD_VALUE,        /* an empty path segment, a NUL in a value */
    QVR_REQ_OVERFLOW          /* the buffer is too small (*len: the size needed) */
};

struct qvr_req_error {
    enum qvr_req_err code;
    char message[160];        /* names the endpoint and the parameter */
};

/* One parameter the caller gives (value: len bytes, any bytes but NUL). */
struct qvr_kv {
    const char *key;
    const char *value;
    size_t len;
};

/* The parameters of the two requests the bindings make of their own, so
 * that no parameter name is spelled outside this file: the login (the user
 * and the base64 of the password, pwd_len bytes) and qplay's close (the
 * session id).  Fill kv; return the count. */
size_t qvr_login_params(struct qvr_kv kv[2], const char *user, const char *pwd, size_t pwd_len);
size_t qvr_qplay_close_params(struct qvr_kv kv[1], const char *session);

/* What the session fills in: the API prefix ({prefix}) and the sid (for
 * endpoints that carry it; a secret: the caller wipes the buffer). */
struct qvr_req_ctx {
    const char *prefix;
    const char *sid;
};

/* Builds the path and query string ("/qvrpro/apis/qplay.cgi?cmd=..."),
 * NUL-terminated, into buf (cap bytes).  Returns QVR_REQ_OK, or an error
 * described in *err (err may be NULL).  *len (may be NULL) gets the
 * length of the whole target, also on QVR_REQ_OVERFLOW (then cap must be
 * at least *len + 1).  buf may be NULL when cap is 0. */
enum qvr_req_err qvr_request_build(const struct qvr_endpoint *ep, const struct qvr_req_ctx *ctx,
                                   const struct qvr_kv *params, size_t n, char *buf,
                                   size_t cap, size_t *len, struct qvr_req_error *err);

/* The same by name (QVR_REQ_UNKNOWN_ENDPOINT when there is none). */
enum qvr_req_err qvr_request(const char *name, const struct qvr_req_ctx *ctx,
                             const struct qvr_kv *params, size_t n, char *buf, size_t cap,
                             size_t *len, struct qvr_req_error *err);

#endif
