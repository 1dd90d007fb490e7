/*
 * session.h - the qvrpro.Session object, as other binding files see it.
 */
#ifndef QVR_SESSION_H
#define QVR_SESSION_H

#include <curl/curl.h>

#include "core.h"
#include "encode.h"
#include "http.h"
#include "request.h"

#define QVR_SESSION_MT "qvrpro.Session"

struct session {
    CURL *easy;               /* reused for every request: keeps the connection */
    struct qvr_http_opts http;
    char *scheme, *host, *user, *prefix, *cafile;
    struct qvr_str password;  /* wiped when the session closes */
    int port, logs_port;
    long stall_timeout_ms;
    char sid[64];
    char api[8];              /* "rest" | "cgi" once known (qvrpro.rest), else "" */
    int logins;               /* successful logins, including re-logins */
    int debug;                /* log requests to stderr, secrets masked */
    int closed;
};

struct session *qvr_check_session(lua_State *L, int i);   /* raises when closed */

/* Builds the URL of an API path with params (a Lua table at index `params`,
 * or 0) into b; with_sid adds sid=... first. */
void qvr_session_url(lua_State *L, struct session *s, struct qvr_str *b, const char *path,
                     int params, int with_sid, int port);

/* Builds the URL of a request of endpoint ep (request.c) with the
 * session's prefix, sid, origin and port into url.  Returns 0, or -1 with
 * err->message saying why (a bad parameter, out of memory).  Raises
 * nothing: finalizers use it. */
int qvr_session_endpoint_url(const struct session *s, const struct qvr_endpoint *ep,
                             const struct qvr_kv *kv, size_t n, struct qvr_str *url,
                             struct qvr_req_error *err);

/* core.request: see session.c */
int qvr_l_request(lua_State *L);

/* Logs in (again).  Returns 1, or pushes nil + Error and returns 0. */
int qvr_session_login(lua_State *L, struct session *s);

/* Replaces the sid and the password in msg (in place) by "***". */
void qvr_session_scrub(const struct session *s, char *msg);

/* Finalizers queue what they owe the server (a URL to GET) instead of
 * sending it; the next call or close() of a session of the same NVR sends
 * the queue (remote_close.c). */
void qvr_queue_remote_close(lua_State *L, const struct session *s, const char *url);
void qvr_flush_remote_closes(lua_State *L, struct session *s);

void qvr_session_register(lua_State *L);
int qvr_l_session(lua_State *L);

#endif
