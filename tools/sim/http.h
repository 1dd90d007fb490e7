/*
 * http.h - requests, response bodies and the fault filter.
 *
 * Owns: the per-request context (raw URI parsed by us, so '+' and %XX are
 * decoded exactly like a form decoder would: '+' is a space), reading query
 * parameters, the response body object every answer goes through (a buffer
 * or a producer callback for streams), the faults applied while sending
 * (drop_after, stall_after, chunks, truncate), interruptible waits that
 * notice a vanished client or shutdown, and the request log line.
 */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "switches.h"
#include "util.h"

struct sim;

struct param {
    char *name, *value;
};

struct req {
    struct sim *sim;
    struct MHD_Connection *conn;
    char *strings;            /* one block: raw_uri, path, the params' strings */
    char *raw_uri;
    char *path;               /* percent-decoded path */
    struct param *params;
    size_t nparams;
    char ip[64];
    char method[16];
    int fd;
    int64_t start_ms;
    int endpoint;             /* enum endpoint */
    struct switches sw;       /* snapshot taken when the request starts */
    int user;                 /* user index once authenticated, else -1 */
    struct buf body;          /* request body (REST POST/PUT/DELETE), capped */
    bool body_truncated;      /* the body was longer than the cap */
    bool seen;                /* the access handler saw the headers */
    bool handled;             /* a response is queued */
    bool corked;              /* TCP_CORK set for this answer (http_req_done clears it) */
};

/* MHD URI-log callback: creates the request context. */
void *http_req_new(void *cls, const char *uri, struct MHD_Connection *conn);
/* MHD request-completed callback: frees it. */
void http_req_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                   enum MHD_RequestTerminationCode toe);

/* First value of a query parameter, NULL when absent. */
const char *req_param(const struct req *r, const char *name);
/* 1: integer parsed; 0: absent or empty; -1: present but not an integer. */
int req_int(const struct req *r, const char *name, int64_t *out);
/* Iterates values of a repeated parameter: *i starts at 0. */
const char *req_param_next(const struct req *r, const char *name, size_t *i);

/* Producer for streaming bodies: append bytes to out.  Returns 1 when it
 * added bytes, 0 at the end of the stream, -1 to abort the connection. */
struct body;
typedef int (*body_fill_fn)(struct body *b, struct buf *out);
typedef void (*body_free_fn)(void *state);

struct body {
    struct sim *sim;
    struct buf out;           /* bytes not yet handed to MHD */
    size_t off;
    body_fill_fn fill;
    body_free_fn free_state;
    void *state;
    bool stream;
    bool done;
    int fd;
    uint64_t sent;
    uint64_t rng;
    struct fault drop, stall, chunks;
    int status;
    int endpoint;
    int64_t start_ms;
    char *logline;            /* "ip method masked-uri" */
};

/* Answers with a complete body (truncate and content_length apply).
 * ctype_hdr is the header name ("Content-Type" or "Content-type"). */
enum MHD_Result http_reply(struct req *r, unsigned status, const char *ctype_hdr,
                           const char *ctype, const void *data, size_t len);

/* Answers with a streaming body produced by fill(); state is freed by
 * free_state when the response ends. */
enum MHD_Result http_reply_stream(struct req *r, const char *ctype, body_fill_fn fill,
                                  void *state, body_free_fn free_state);

/* Sleeps until the wall clock reaches until_ms, waking every <= 100 ms.
 * Returns -1 when the client went away or the simulator stops. */
int body_wait_until(struct body *b, int64_t until_ms);
/* Same for a request (before any body exists). */
int req_sleep(struct req *r, int64_t ms);

/* True when the peer has closed its side (POLLRDHUP/HUP/ERR). */
bool fd_peer_closed(int fd, int timeout_ms);

#endif
