/*
 * http.h - request/response transfers over libcurl (plain C, no Lua).
 *
 * Owns: a reusable easy handle per session with its own multi handle (so its
 * connection is kept alive across calls), the timeouts and TLS settings every request carries, and
 * collecting one response: status, content type and a bounded body.
 * Transport failures are classified into stable names (DNS, REFUSED,
 * TIMEOUT, TLS, TRUNCATED, NETWORK) with a message that never holds the URL.
 */
#ifndef QVR_HTTP_H
#define QVR_HTTP_H

#include <stddef.h>
#include <curl/curl.h>

struct qvr_http_opts {
    long timeout_ms;          /* whole request; 0 = none */
    long connect_timeout_ms;  /* connect phase; 0 = curl's default */
    int verify;               /* TLS peer and host verification */
    const char *cafile;       /* NULL: the system store */
    int proxy_env;            /* qvr_http_proxy_in_env() when the session was made */
};

struct qvr_http_resp {
    long status;
    char content_type[128];
    char *body;
    size_t len, cap, max;     /* body bytes; max: larger bodies fail (TOO_BIG) */
    int too_big;
    const char *error_name;   /* NULL on success */
    char message[CURL_ERROR_SIZE + 64];
};

/* A configured easy handle, or NULL.  It carries its own multi handle
 * (CURLOPT_PRIVATE; do not set it) on which qvr_http_request() runs every
 * transfer and keeps the connection, and the last URL it was given, parsed
 * (CURLOPT_CURLU; set CURLOPT_URL only through qvr_http_request()); free it
 * with qvr_http_free(). */
CURL *qvr_http_new(const struct qvr_http_opts *o);
/* Frees a handle of qvr_http_new() (and its kept connection); NULL is fine. */
void qvr_http_free(CURL *c);
/* Whether the environment names a proxy for http or https (any of the
 * variables; libcurl itself ignores upper-case HTTP_PROXY, so this may say
 * yes where libcurl would go direct: only a saving is lost).  A session asks
 * once, when it is made (o->proxy_env). */
int qvr_http_proxy_in_env(void);
/* Applies (new) options to an existing handle.  Without o->proxy_env the
 * handle is told "no proxy" (libcurl would otherwise read five variables per
 * request): a proxy set later in the process's environment is not seen by
 * the session, its reconnections, playbacks or live streams.  With it,
 * libcurl reads the environment per request as usual. */
void qvr_http_configure(CURL *c, const struct qvr_http_opts *o);

/* Caps the handle's timeouts at QVR_HTTP_SHORT_MS for a clean-up request
 * (logout, closing a playback) that must not hold up a script's exit;
 * qvr_http_configure() restores them. */
#define QVR_HTTP_SHORT_MS 3000L
void qvr_http_short_timeout(CURL *c, const struct qvr_http_opts *o);

/* GET url into r (r->max bounds the body; 0 means 64 MiB).  Returns 0 on a
 * complete HTTP exchange (any status), -1 on a transport failure with
 * r->error_name and r->message set. */
int qvr_http_get(CURL *c, const char *url, struct qvr_http_resp *r);

/* One request with any method ("GET", "PUT", "POST", "DELETE", ...) and an
 * optional body (NULL: none; a PUT/POST without one sends an empty body)
 * sent with the given Content-Type (NULL: none).  Returns as qvr_http_get. */
struct qvr_http_req {
    const char *method;
    const char *body;
    size_t body_len;
    const char *content_type;
};
int qvr_http_request(CURL *c, const char *url, const struct qvr_http_req *q,
                     struct qvr_http_resp *r);
void qvr_http_resp_free(struct qvr_http_resp *r);

/* The stable name of a curl failure ("TIMEOUT", "TLS", ...). */
const char *qvr_http_error_name(CURLcode rc);

/* The name for a failed transfer of easy: TOO_MANY_FILES when the process
 * has no descriptor left (libcurl says only "Couldn't connect" or "Could
 * not resolve"), else qvr_http_error_name(rc). */
const char *qvr_http_easy_error_name(CURL *easy, CURLcode rc);

/* Whether the process is out of file descriptors now (EMFILE/ENFILE). */
int qvr_http_out_of_fds(void);

/* A message for TOO_MANY_FILES with the limits and what to do. */
void qvr_http_fd_hint(char *buf, size_t n);

#endif
