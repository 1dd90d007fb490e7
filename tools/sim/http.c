/*
 * http.c - request parsing, response bodies, the fault filter, waits and
 * the request log.
 */
#define _GNU_SOURCE /* POLLRDHUP: notice a client that closed its side */
#include "http.h"
#include "sim.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BLOCK_SIZE (64 * 1024)

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Form decoding into out (room for n + 1 bytes): %XX is a byte, '+' is a
 * space (as a real server reads it: a client that does not percent-encode
 * '+' in base64 fails there too).  Returns out; *next is past its NUL. */
static char *decode(const char *s, size_t n, bool plus_is_space, char *out, char **next)
{
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n &&
            (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            *o++ = ' ';
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    *next = o + 1;
    return out;
}

static void add_param(struct req *r, const char *s, size_t n, char **room)
{
    if (n == 0)
        return;
    const char *eq = memchr(s, '=', n);
    size_t nl = eq ? (size_t)(eq - s) : n;
    struct param *p = &r->params[r->nparams++];
    p->name = decode(s, nl, true, *room, room);
    p->value = eq ? decode(eq + 1, n - nl - 1, true, *room, room) : decode("", 0, true, *room, room);
}

/* The raw URI, the decoded path and the parameters' names and values, all
 * in one block (r->strings), and the parameter table: two allocations per
 * request whatever its number of parameters.  Decoding never lengthens a
 * string, so after the URI the block needs its length again plus a NUL per
 * string: one for the path, two per parameter (a name and a value), and a
 * parameter takes at least one byte and a '&' (but the last), so 3 x len + 4
 * bytes are enough.  The table has room for one parameter per '&', plus one. */
static int parse_uri(struct req *r, const char *uri)
{
    size_t len = strlen(uri), nparams = 1;
    for (const char *a = strchr(uri, '&'); a; a = strchr(a + 1, '&'))
        nparams++;
    if (!(r->strings = malloc(3 * len + 4)) || !(r->params = malloc(nparams * sizeof *r->params)))
        return -1;
    memcpy(r->strings, uri, len + 1);
    r->raw_uri = r->strings;
    char *room = r->strings + len + 1;
    const char *u = r->raw_uri;
    const char *q = strchr(u, '?');
    size_t plen = q ? (size_t)(q - u) : len;
    const char *hash = memchr(u, '#', plen);
    if (hash)
        plen = (size_t)(hash - u);
    r->path = decode(u, plen, false, room, &room);
    if (!q)
        return 0;
    const char *s = q + 1;
    while (*s && *s != '#') {
        size_t n = strcspn(s, "&#");
        add_param(r, s, n, &room);
        s += n;
        if (*s == '&')
            s++;
    }
    return 0;
}

/* "a.b.c.d" as inet_ntop writes it, without its sprintf (1 700 instructions
 * per request). */
static void ipv4_text(const struct in_addr *a, char out[16])
{
    const uint8_t *b = (const uint8_t *)&a->s_addr;
    char *o = out;
    for (int i = 0; i < 4; i++) {
        if (i)
            *o++ = '.';
        if (b[i] >= 100)
            *o++ = (char)('0' + b[i] / 100);
        if (b[i] >= 10)
            *o++ = (char)('0' + b[i] / 10 % 10);
        *o++ = (char)('0' + b[i] % 10);
    }
    *o = '\0';
}

static void client_ip(struct req *r, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    copy_str(r->ip, sizeof r->ip, "?");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        ipv4_text(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->ip);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->ip,
                  sizeof r->ip);
}

/* TCP_CORK on or off; true when set.  libmicrohttpd 0.9.75 writes a
 * complete chunked answer with three send() calls (header, the one chunk,
 * the last chunk), each a TCP segment of its own that wakes the client, on
 * loopback up to three times per call.  Corked from the queueing of the
 * answer to its completion (http_req_done) the same bytes leave as one
 * segment.  Never for streams (their frames go out when made) or for the
 * body faults, which shape the segments on purpose. */
static bool set_cork(int fd, bool on)
{
    int v = on;
    return fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof v) == 0;
}

void *http_req_new(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->sim = cls;
    r->conn = conn;
    r->user = -1;
    r->fd = -1;
    r->start_ms = now_ms();
    if (parse_uri(r, uri ? uri : "/") != 0) {
        free(r->strings);
        free(r->params);
        free(r);
        return NULL;
    }
    client_ip(r, conn);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci)
        r->fd = ci->connect_fd;
    return r;
}

void http_req_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                   enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct req *r = *con_cls;
    if (!r)
        return;
    if (r->corked) /* the answer is all written: out in one segment */
        set_cork(r->fd, false);
    free(r->params);
    buf_free(&r->body);
    free(r->strings);
    free(r);
    *con_cls = NULL;
}

const char *req_param_next(const struct req *r, const char *name, size_t *i)
{
    for (; *i < r->nparams; (*i)++)
        if (r->params[*i].name && !strcmp(r->params[*i].name, name))
            return r->params[(*i)++].value;
    return NULL;
}

const char *req_param(const struct req *r, const char *name)
{
    size_t i = 0;
    return req_param_next(r, name, &i);
}

int req_int(const struct req *r, const char *name, int64_t *out)
{
    const char *v = req_param(r, name);
    if (!v || !*v)
        return 0;
    return parse_i64(v, out) ? 1 : -1;
}

/* The raw URI with the values of secret parameters replaced by "***". */
static void masked_uri(const struct req *r, struct buf *out)
{
    static const char *const secret[] = {"sid", "pwd", "password", "authSid"};
    const char *q = strchr(r->raw_uri, '?');
    if (!q) {
        buf_adds(out, r->raw_uri);
        return;
    }
    buf_add(out, r->raw_uri, (size_t)(q - r->raw_uri) + 1);
    const char *s = q + 1;
    while (*s) {
        size_t n = strcspn(s, "&");
        size_t nl = strcspn(s, "=&");
        bool hide = false;
        for (size_t k = 0; k < sizeof secret / sizeof secret[0]; k++)
            if (nl == strlen(secret[k]) && !strncmp(s, secret[k], nl))
                hide = nl < n;
        if (hide) {
            buf_add(out, s, nl);
            buf_adds(out, "=***");
        } else {
            buf_add(out, s, n);
        }
        s += n;
        if (*s == '&')
            buf_add(out, s++, 1);
    }
}

bool fd_peer_closed(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    int rc = poll(&p, 1, timeout_ms);
    if (rc > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
        return true;
    if (rc > 0) { /* readable data (a pipelined request): just sleep */
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

static int wait_fd_until(struct sim *s, int fd, int64_t until_ms)
{
    for (;;) {
        if (sim_stopping(s))
            return -1;
        int64_t left = until_ms - now_ms();
        if (left <= 0)
            return 0;
        int slice = left > 100 ? 100 : (int)left;
        if (fd >= 0) {
            if (fd_peer_closed(fd, slice))
                return -1;
        } else {
            struct timespec ts = {0, (long)slice * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

int body_wait_until(struct body *b, int64_t until_ms)
{
    return wait_fd_until(b->sim, b->fd, until_ms);
}

int req_sleep(struct req *r, int64_t ms)
{
    return wait_fd_until(r->sim, r->fd, now_ms() + ms);
}

/* stall_after: send nothing more, keep the connection until the client
 * gives up or the simulator stops. */
static void stall(struct body *b)
{
    while (!sim_stopping(b->sim)) {
        if (b->fd < 0)
            wait_fd_until(b->sim, -1, now_ms() + 100);
        else if (fd_peer_closed(b->fd, 100))
            return;
    }
}

static size_t fault_limit(const struct body *b, size_t n)
{
    if (b->drop.on && (uint64_t)b->drop.value - b->sent < n)
        n = (size_t)((uint64_t)b->drop.value - b->sent);
    if (b->stall.on && (uint64_t)b->stall.value - b->sent < n)
        n = (size_t)((uint64_t)b->stall.value - b->sent);
    return n;
}

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct body *b = cls;
    (void)pos;
    if (sim_stopping(b->sim) || (b->drop.on && b->sent >= (uint64_t)b->drop.value))
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (b->stall.on && b->sent >= (uint64_t)b->stall.value) {
        stall(b);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    while (b->off >= b->out.len) {
        if (b->done || !b->fill)
            return MHD_CONTENT_READER_END_OF_STREAM;
        b->out.len = 0;
        b->off = 0;
        int rc = b->fill(b, &b->out);
        if (rc < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (rc == 0)
            b->done = true;
    }
    size_t n = fault_limit(b, b->out.len - b->off);
    if (n > max)
        n = max;
    if (b->chunks.on) {
        size_t c = 1 + (size_t)(splitmix64(&b->rng) % 64);
        if (n > c)
            n = c;
        struct timespec ts = {0, 200000L};
        nanosleep(&ts, NULL);
    }
    memcpy(buf, b->out.p + b->off, n);
    b->off += n;
    b->sent += n;
    return (ssize_t)n;
}

static void write_log(const struct body *b)
{
    FILE *f = b->sim->reqlog;
    if (!f)
        return;
    char when[32];
    time_t t = (time_t)(b->start_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "%s.%03dZ %s %d %llu %lldms\n", when, (int)(b->start_ms % 1000), b->logline,
            b->status, (unsigned long long)b->sent, (long long)(now_ms() - b->start_ms));
    fflush(f);
}

static void body_free(void *cls)
{
    struct body *b = cls;
    write_log(b);
    if (b->free_state)
        b->free_state(b->state);
    buf_free(&b->out);
    free(b->logline);
    free(b);
}

static struct body *body_new(struct req *r, int status, bool stream)
{
    struct body *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->sim = r->sim;
    b->fd = r->fd;
    b->stream = stream;
    b->status = status;
    b->endpoint = r->endpoint;
    b->start_ms = r->start_ms;
    b->rng = hash64((uint64_t)r->start_ms ^ (uint64_t)(uintptr_t)b);
    if (r->endpoint == EP_SIM) /* the test hooks stay reliable */
        switches_clear_faults(&r->sw);
    if (fault_hits(&r->sw.drop_after, r->path))
        b->drop = r->sw.drop_after;
    if (fault_hits(&r->sw.stall_after, r->path))
        b->stall = r->sw.stall_after;
    if (fault_hits(&r->sw.chunks, r->path)) {
        b->chunks = r->sw.chunks;
        int one = 1;
        if (b->fd >= 0)
            setsockopt(b->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (b->sim->reqlog) { /* --log: the line's start, completed by write_log */
        struct buf line = {0};
        buf_printf(&line, "%s %s ", r->ip, r->method);
        masked_uri(r, &line);
        b->logline = (char *)line.p;
    }
    return b;
}

/* block: MHD's buffer for a body of known size (Content-Length); it is
 * allocated and zeroed with every response, and a chunked body is read
 * straight into the connection's write buffer without it. */
static enum MHD_Result queue(struct req *r, struct body *b, uint64_t size, size_t block,
                             const char *hdr, const char *ctype)
{
    struct MHD_Response *resp =
        MHD_create_response_from_callback(size, block, body_read, b, body_free);
    if (!resp) {
        body_free(b);
        return MHD_NO;
    }
    if (ctype)
        MHD_add_response_header(resp, hdr, ctype);
    if (r->endpoint == EP_REST) { /* as recorded on every REST answer (docs/REST.md) */
        MHD_add_response_header(resp, "Server", "Apache");
        MHD_add_response_header(resp, "X-Frame-Options", "SAMEORIGIN");
    }
    enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)b->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result http_reply(struct req *r, unsigned status, const char *ctype_hdr,
                           const char *ctype, const void *data, size_t len)
{
    struct body *b = body_new(r, (int)status, false);
    if (!b)
        return MHD_NO;
    if (fault_hits(&r->sw.truncate, r->path) && (uint64_t)r->sw.truncate.value < len)
        len = (size_t)r->sw.truncate.value;
    if (buf_add(&b->out, data, len) != 0) {
        body_free(b);
        return MHD_NO;
    }
    uint64_t size = r->sw.content_length ? (uint64_t)len : MHD_SIZE_UNKNOWN;
    /* the whole body in one block, as with BLOCK_SIZE for any smaller body */
    size_t block = len == 0 ? 1 : len < BLOCK_SIZE ? len : BLOCK_SIZE;
    if (!b->drop.on && !b->stall.on && !b->chunks.on)
        r->corked = set_cork(r->fd, true);
    return queue(r, b, size, block, ctype_hdr, ctype);
}

enum MHD_Result http_reply_stream(struct req *r, const char *ctype, body_fill_fn fill,
                                  void *state, body_free_fn free_state)
{
    struct body *b = body_new(r, 200, true);
    if (!b) {
        free_state(state);
        return MHD_NO;
    }
    b->fill = fill;
    b->state = state;
    b->free_state = free_state;
    return queue(r, b, MHD_SIZE_UNKNOWN, BLOCK_SIZE, "Content-type", ctype);
}
