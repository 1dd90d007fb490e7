/*
 * stream.c - the qvrpro.Stream object and the transfer loop (binding).
 *
 * Owns: media transfers (live streams and playback `get`s) on libcurl's multi
 * interface.  Every stream of a Lua state shares one loop (csrc/net/loop.c:
 * curl_multi_socket_action over epoll and libcurl's timer; its userdata is
 * kept in the registry and is the pollable qvrpro.Loop), so reading one
 * stream, or qvr.each over many, moves all of them in one thread; a
 * qvr.each visits only the streams on its ready list (bytes fed, an end, a
 * failure), and core.open_streams opens many at once.  libcurl's write
 * callback only feeds the frame parser and sets flags, or, while write_to
 * waits, writes the chunk's frames to its file in C (struct sink); frames
 * reach Lua in read().  When a script reads slower than the server sends, the transfer
 * is paused once the parser holds `cap` bytes (backpressure), and resumed
 * when the script needs more.  A stream that receives nothing for stall_timeout fails with
 * TIMEOUT; one that breaks mid-stream fails with an error that carries the
 * timestamp of the last complete frame (err.last_timestamp).
 *
 * A stream opened with a `renew` function (user value 3) goes on after its
 * transfer ends: at a clean end, a break, a stall or a refusal of a new
 * transfer, renew(reason, err, frames, new_frames) says how (a URL for the
 * next transfer, nil + reason to end, false or nil + err to fail).  Across
 * transfers, frames at or before the last delivered timestamp of their
 * media are dropped (playback continuation, docs/PROTOCOL.md), and a stream
 * with `gaps` records each hole between the last frame before a new
 * transfer and the first after it in its `gaps` attribute.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include <curl/curl.h>

#include "errname.h"
#include "errors.h"
#include "http.h"
#include "loop.h"
#include "stream.h"

#define DEFAULT_CAP (1u << 20)
#define ERRBODY_MAX 4096
#define OPEN_POLL_MS 50
#define SWEEP_MS 250             /* how often the loop looks for stalled streams */

enum st_state { ST_OPENING, ST_OPEN, ST_DONE, ST_FAILED, ST_CLOSED };

/* write_to's output (see sink_flush below); SINK_IOV is under Linux's
 * IOV_MAX (1024), so that one writev(2) takes all the pieces */
#define SINK_IOV 512
#define DEADLINE_EVERY 64        /* write_to reads the clock every so many frames */

struct sink {
    FILE *f;
    int fd;                      /* fileno(f), or -1 */
    int raw;
    int busy;                    /* write_to runs: it resumes a paused transfer */
    int active;                  /* write_to waits: on_data writes the chunks */
    int err;                     /* errno of a failed write, or 0 */
    lua_Integer n, max_frames;   /* frames written; the limit or -1 */
    int64_t deadline;            /* coarse_ms() of max_ms, or -1 */
    int timed_out;               /* the deadline passed */
    int wrote;                   /* something was written through fd */
    int niov;
    struct iovec iov[SINK_IOV];
};

/* The loop of a Lua state (csrc/net/loop.c does the mechanics). */
struct loop {
    struct qvr_loop *q;
    double next_sweep;           /* monotonic ms of the next stall sweep */
};

struct stream {
    struct qvr_loop_member m;    /* first: a member is its stream */
    struct loop *loop;
    CURL *easy;
    qvr_parser *parser;
    enum st_state state;
    int paused, waiting;         /* waiting: the reader needs more bytes */
    int in_multi;
    long http_status;
    char errbody[ERRBODY_MAX];
    size_t errbody_len;
    CURLcode result;
    size_t cap;
    long stall_ms, open_ms;
    double last_byte;
    int64_t last_ts, until_ts;   /* until_ts < 0: no end time */
    uint64_t frames, bytes;
    char desc[96];
    /* a transfer that broke: reported once its complete frames are read */
    const char *broken;          /* NULL, or the error name */
    CURLcode broken_rc;
    /* the failure, once failed */
    char err_name[32];
    char err_msg[200];
    int64_t err_code;
    /* continuation (a renew function in user value 3) */
    struct qvr_parser_opts popts;
    int renewable, dedupe, track_gaps, finished;
    const char *renew_reason;    /* set when a transfer ended and renew is due */
    int64_t media_ts[3];         /* last delivered timestamp per media, -1 */
    int64_t skip_ts[3];          /* drop frames at or before these (dedupe) */
    uint64_t get_frames, get_new;   /* frames parsed / delivered in this transfer */
    unsigned transfers;
    int64_t gap_from;            /* >= 0: a gap from here to the next frame */
    char end_reason[16];
    unsigned view_gen;           /* moves on at every read: a view frame expires */
    struct sink *sink;           /* write_to's output (allocated at its first call), or NULL */
    lua_Integer each_index;      /* its index in the list of the qvr.each reading it */
    int each_ended;              /* that qvr.each has seen its end */
};

/* User values of a Stream: 1 the loop, 2 the attributes, 3 the renew
 * function, 4 the view frame. */
#define STREAM_UVS 4

static struct stream *member_stream(struct qvr_loop_member *m)
{
    return (struct stream *)(void *)m;     /* m is the first field */
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* --- the loop ------------------------------------------------------------ */

static int loop_gc(lua_State *L)
{
    struct loop *lp = luaL_checkudata(L, 1, QVR_LOOP_MT);
    qvr_loop_free(lp->q);
    lp->q = NULL;
    return 0;
}

/* The loop of this Lua state, created on first use; pushed on the stack. */
static struct loop *push_loop(lua_State *L)
{
    struct loop *lp;
    if (lua_getfield(L, LUA_REGISTRYINDEX, QVR_LOOP_MT "*") == LUA_TUSERDATA)
        return lua_touserdata(L, -1);
    lua_pop(L, 1);
    lp = lua_newuserdatauv(L, sizeof *lp, 0);
    lp->q = NULL;
    lp->next_sweep = 0;
    luaL_setmetatable(L, QVR_LOOP_MT);
    lp->q = qvr_loop_new();
    if (!lp->q)
        luaL_error(L, "cannot create the transfer loop");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, QVR_LOOP_MT "*");
    return lp;
}

static void fail(struct stream *st, const char *name, int64_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct stream *st, const char *name, int64_t code, const char *fmt, ...)
{
    va_list ap;
    if (st->state == ST_FAILED || st->state == ST_CLOSED)
        return;
    st->state = ST_FAILED;
    snprintf(st->err_name, sizeof st->err_name, "%s", name);
    st->err_code = code;
    va_start(ap, fmt);
    vsnprintf(st->err_msg, sizeof st->err_msg, fmt, ap);
    va_end(ap);
}

static void fail_from_parser(struct stream *st)
{
    if (qvr_parser_error(st->parser) == QVR_PERR_SERVER_CODE) {
        uint32_t code = qvr_parser_server_code(st->parser);
        const struct qvr_code_info *ci = qvr_code_lookup(code);
        fail(st, ci ? ci->name : "SERVER_ERROR", code, "%s",
             ci ? ci->message : "the server refused the stream");
    } else {
        fail(st, qvr_parse_error_name(qvr_parser_error(st->parser)), -1,
             "%s", qvr_parser_message(st->parser));
    }
}

static size_t sink_chunk(struct stream *st, const uint8_t *ptr, size_t len);
static int sink_flush(struct sink *sk);

/* libcurl's write callback: feed the parser, or pause (backpressure); while
 * write_to waits for bytes (its sink active), the chunk goes to the file
 * from where it is (sink_chunk).  Never touches Lua. */
static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    struct stream *st = ud;
    size_t len = size * n;
    st->last_byte = mono_ms();
    if (st->http_status == 0)
        curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &st->http_status);
    if (st->http_status >= 300) {
        size_t k = ERRBODY_MAX - 1 - st->errbody_len;
        k = len < k ? len : k;
        memcpy(st->errbody + st->errbody_len, ptr, k);
        st->errbody_len += k;
        st->errbody[st->errbody_len] = '\0';
        return len;
    }
    qvr_loop_ready(&st->m);
    if (st->sink && st->sink->active && st->state == ST_OPEN)
        return sink_chunk(st, (const uint8_t *)ptr, len);
    if (!st->waiting && qvr_parser_buffered(st->parser) >= st->cap) {
        st->paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (qvr_parser_feed(st->parser, (const uint8_t *)ptr, len) != 0)
        return 0;
    st->bytes += len;
    /* One socket action may hand over everything the socket holds
     * (libcurl reads up to 100 buffers in a row): once `cap` bytes are in,
     * the reader has enough, so the next chunk pauses even though it asked
     * for more.  A frame bigger than `cap` makes it ask again. */
    if (qvr_parser_buffered(st->parser) >= st->cap)
        st->waiting = 0;
    return len;
}

static void detach(struct stream *st)
{
    if (st->in_multi && st->loop->q)
        qvr_loop_remove(st->loop->q, st->easy);
    st->in_multi = 0;
}

static void http_failure(struct stream *st)
{
    char body[120];
    size_t k = st->errbody_len < sizeof body - 1 ? st->errbody_len : sizeof body - 1;
    for (size_t i = 0; i < k; i++)
        body[i] = (st->errbody[i] >= 32 && st->errbody[i] < 127) ? st->errbody[i] : '.';
    body[k] = '\0';
    fail(st, "HTTP_ERROR", -1, "HTTP %ld%s%s", st->http_status, k ? ": " : "", body);
}

/* A transfer ended: decide whether that is the end or a failure. */
static void transfer_done(struct stream *st, CURLcode rc)
{
    st->result = rc;
    detach(st);
    qvr_loop_ready(&st->m);
    if (st->state == ST_FAILED || st->state == ST_CLOSED)
        return;
    if (st->http_status >= 300) {
        http_failure(st);
    } else {
        /* complete frames already buffered are still handed out; a break is
         * reported after them (fail_ended) */
        if (rc != CURLE_OK) {
            const char *name = qvr_http_easy_error_name(st->easy, rc);
            st->broken = strcmp(name, "TRUNCATED") == 0 ? "CONNECTION_LOST" : name;
            st->broken_rc = rc;
        }
        qvr_parser_finish(st->parser);
        st->state = ST_DONE;
    }
}

/* The buffered frames are all out and the parser has ended or failed: the
 * failure is the transfer's break when there was one (a partial frame at
 * the end is its symptom), else the parser's. */
static void fail_ended(struct stream *st)
{
    if (st->broken && strcmp(st->broken, "TOO_MANY_FILES") == 0) {
        char hint[200];
        qvr_http_fd_hint(hint, sizeof hint);
        fail(st, st->broken, -1, "%s", hint);
    } else if (st->broken)
        fail(st, st->broken, -1, "the stream broke after %llu frames: %s",
             (unsigned long long)st->frames, curl_easy_strerror(st->broken_rc));
    else
        fail_from_parser(st);
}

/* Whether the stream has had no bytes for its stall timeout. */
static void check_stall(struct stream *st)
{
    double idle;
    if (st->paused || st->state != ST_OPEN || st->stall_ms <= 0)
        return;
    idle = mono_ms() - st->last_byte;
    if (idle > (double)st->stall_ms) {
        detach(st);
        fail(st, "TIMEOUT", -1, "no bytes for %.1f s (stall_timeout)", idle / 1000.0);
        if (st->renewable)
            st->renew_reason = "stalled";
        qvr_loop_ready(&st->m);
    }
}

/* A transfer of the loop ended (csrc/net/loop.c reports it). */
static void on_done(CURL *easy, CURLcode rc)
{
    struct stream *st = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&st);
    if (st)
        transfer_done(st, rc);
}

/* Every SWEEP_MS, fails the streams that stalled (they go on the ready
 * list); O(streams) four times a second, not on every turn. */
static void sweep(struct loop *lp)
{
    double now = mono_ms();
    if (now < lp->next_sweep)
        return;
    lp->next_sweep = now + SWEEP_MS;
    for (struct qvr_loop_member *m = qvr_loop_member_next(lp->q, NULL); m;
         m = qvr_loop_member_next(lp->q, m))
        check_stall(member_stream(m));
}

/* One turn of the loop: wait up to wait_ms for a socket or libcurl's timer
 * (not at all when a resumed transfer set the timer to now), act on the
 * ready sockets only, collect the ended transfers, and look for stalls.
 * Streams with something to hand out go on the loop's ready list. */
static void loop_turn(struct loop *lp, int wait_ms)
{
    long t = (long)(lp->next_sweep - mono_ms());
    if (qvr_loop_transfers(lp->q) > 0 && t < wait_ms)
        wait_ms = t < 0 ? 0 : (int)t;
    qvr_loop_run(lp->q, wait_ms, on_done);
    sweep(lp);
}

/* --- frames -------------------------------------------------------------- */

enum pull { PULL_FRAME, PULL_WAIT, PULL_END, PULL_ERROR };

static void await_open(struct stream *st);

static int media_slot(enum qvr_media m)
{
    return m == QVR_MEDIA_VIDEO ? 0 : m == QVR_MEDIA_AUDIO ? 1 : 2;
}

/* Ends a renewable stream for good (reason: "to", "empty", ...). */
static enum pull finish_stream(struct stream *st, const char *reason)
{
    detach(st);
    if (st->state != ST_CLOSED)
        st->state = ST_DONE;
    st->finished = 1;
    snprintf(st->end_reason, sizeof st->end_reason, "%s", reason);
    return PULL_END;
}

/* The earliest of the last delivered timestamps of each media (-1: none):
 * frames after it may have been lost with a transfer, of one media or the
 * other. */
static int64_t resume_ts(const struct stream *st)
{
    int64_t t = -1;
    for (int i = 0; i < 3; i++)
        if (st->media_ts[i] >= 0 && (t < 0 || st->media_ts[i] < t))
            t = st->media_ts[i];
    return t;
}

/* Starts the next transfer of the stream at url, with a fresh parser that
 * keeps the audio layout found so far.  0, or -1 (the stream failed). */
static int restart(struct stream *st, const char *url, int dedupe)
{
    struct qvr_parser_opts o = st->popts;
    qvr_parser *p;
    if (st->paused)
        curl_easy_pause(st->easy, CURLPAUSE_CONT);
    detach(st);
    if (st->sink && st->sink->busy)
        sink_flush(st->sink);      /* its pieces point into the old parser */
    o.audio = qvr_parser_audio_layout(st->parser);
    p = qvr_parser_new(&o);
    if (!p) {
        fail(st, "NO_MEMORY", -1, "cannot start the next transfer");
        return -1;
    }
    qvr_parser_free(st->parser);
    st->parser = p;
    st->http_status = 0;
    st->errbody_len = 0;
    st->errbody[0] = '\0';
    st->broken = NULL;
    st->paused = st->waiting = 0;
    st->get_frames = st->get_new = 0;
    st->dedupe = dedupe;
    for (int i = 0; i < 3; i++)
        st->skip_ts[i] = dedupe ? st->media_ts[i] : -1;
    if (st->track_gaps && st->last_ts >= 0 && st->gap_from < 0)
        st->gap_from = resume_ts(st);
    st->state = ST_OPENING;
    st->err_name[0] = '\0';
    curl_easy_setopt(st->easy, CURLOPT_URL, url);
    if (qvr_loop_add(st->loop->q, st->easy) != 0) {
        fail(st, "NETWORK", -1, "cannot start the next transfer");
        return -1;
    }
    st->in_multi = 1;
    st->transfers++;
    st->last_byte = mono_ms();
    return 0;
}

/* Sets the stream's failure from a Lua error value at index i. */
static void fail_with_value(lua_State *L, struct stream *st, int i)
{
    const char *name = "ERROR", *msg = NULL;
    int64_t code = -1;
    if (lua_type(L, i) == LUA_TTABLE || lua_type(L, i) == LUA_TUSERDATA) {
        if (lua_getfield(L, i, "name") == LUA_TSTRING)
            name = lua_tostring(L, -1);
        if (lua_getfield(L, i, "message") == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        if (lua_getfield(L, i, "code") == LUA_TNUMBER)
            code = (int64_t)lua_tointeger(L, -1);
    } else {
        msg = lua_tostring(L, i);
    }
    st->state = ST_DONE;
    fail(st, name, code, "%s", msg ? msg : "the stream could not go on");
}

/* The transfer ended (st->renew_reason): asks the renew function how to go
 * on, as often as new transfers are refused.  PULL_WAIT once a new
 * transfer runs; PULL_END or PULL_ERROR when the stream is over. */
static enum pull do_renew(lua_State *L, int idx, struct stream *st)
{
    const char *reason = st->renew_reason;
    st->renew_reason = NULL;
    for (;;) {
        int top = lua_gettop(L), t;
        lua_getiuservalue(L, idx, 3);
        lua_pushstring(L, reason);
        if (st->state == ST_FAILED)
            qvr_push_error(L, st->err_name, st->err_code, st->err_msg,
                           st->http_status >= 300 ? st->http_status : 0);
        else
            lua_pushnil(L);
        lua_pushinteger(L, (lua_Integer)st->get_frames);
        lua_pushinteger(L, (lua_Integer)st->get_new);
        if (lua_pcall(L, 4, 2, 0) != LUA_OK) {
            fail_with_value(L, st, -1);
            lua_settop(L, top);
            return PULL_ERROR;
        }
        t = lua_type(L, top + 1);
        if (t == LUA_TSTRING) {
            int dedupe = lua_isnil(L, top + 2) || lua_toboolean(L, top + 2);
            int rc = restart(st, lua_tostring(L, top + 1), dedupe);
            lua_settop(L, top);
            if (rc != 0)
                return PULL_ERROR;
            await_open(st);
            if (st->state != ST_FAILED)
                return PULL_WAIT;
            reason = st->err_code >= 0 ? "refused" : "broken";
            continue;
        }
        if (t == LUA_TBOOLEAN && !lua_toboolean(L, top + 1)) {
            lua_settop(L, top);
            if (st->state != ST_FAILED) {
                st->state = ST_DONE;
                fail(st, "CONNECTION_LOST", -1, "the stream ended and could not go on");
            }
            return PULL_ERROR;
        }
        if (lua_type(L, top + 2) == LUA_TSTRING) {
            st->state = ST_DONE;      /* a failure that led here is no longer one */
            finish_stream(st, lua_tostring(L, top + 2));
            lua_settop(L, top);
            return PULL_END;
        }
        fail_with_value(L, st, top + 2);
        lua_settop(L, top);
        return PULL_ERROR;
    }
}

/* Appends {from=, to=} to the stream's `gaps` attribute. */
static void add_gap(lua_State *L, int idx, int64_t from, int64_t to)
{
    int top = lua_gettop(L);
    if (lua_getiuservalue(L, idx, 2) == LUA_TTABLE &&
        lua_getfield(L, -1, "gaps") == LUA_TTABLE) {
        lua_createtable(L, 0, 2);
        lua_pushinteger(L, from);
        lua_setfield(L, -2, "from");
        lua_pushinteger(L, to);
        lua_setfield(L, -2, "to");
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    }
    lua_settop(L, top);
}

/* A frame out of the parser, counted (get_frames): whether it repeats one
 * handed out before the transfer was renewed (dedupe: it is dropped). */
static int repeated(struct stream *st, int m, int64_t ts)
{
    st->get_frames++;
    return st->dedupe && st->skip_ts[m] >= 0 && ts <= st->skip_ts[m];
}

/* A frame handed out (read, or written by write_to), counted. */
static void count_out(struct stream *st, int m, int64_t ts)
{
    st->waiting = 0;
    st->frames++;
    st->get_new++;
    st->last_ts = ts;
    st->media_ts[m] = ts;
}

/* A frame the parser gave: PULL_FRAME to hand it out, PULL_END past
 * until_ts, PULL_WAIT when it repeats one already delivered. */
static enum pull take_frame(lua_State *L, int idx, struct stream *st, const struct qvr_frame *f)
{
    int m = media_slot(f->media);
    int64_t ts = (int64_t)f->timestamp;
    if (st->state == ST_OPENING)
        st->state = ST_OPEN;
    if (st->until_ts >= 0 && ts > st->until_ts) {
        detach(st);
        st->state = ST_DONE;
        if (st->renewable)
            finish_stream(st, "to");
        return PULL_END;
    }
    if (repeated(st, m, ts))
        return PULL_WAIT;
    if (st->gap_from >= 0) {
        add_gap(L, idx, st->gap_from, ts);
        st->gap_from = -1;
    }
    count_out(st, m, ts);
    return PULL_FRAME;
}

/* Takes the next frame out of the parser if there is one (no I/O, except
 * a renewable stream's next transfer). */
static enum pull pull(lua_State *L, int idx, struct stream *st, struct qvr_frame *f)
{
    st->view_gen++;              /* the parser's buffer may move: views expire */
    for (;;) {
        enum qvr_parse_status ps;
        enum pull r;
        if (st->renew_reason) {
            r = do_renew(L, idx, st);
            if (r != PULL_WAIT)
                return r;
        }
        if (st->state == ST_FAILED)
            return PULL_ERROR;
        if (st->state == ST_CLOSED || st->finished)
            return PULL_END;
        ps = qvr_parser_next(st->parser, f);
        if (ps == QVR_PARSE_FRAME) {
            r = take_frame(L, idx, st, f);
            if (r == PULL_WAIT)
                continue;      /* a repeated frame, dropped */
            return r;
        }
        if (ps == QVR_PARSE_ERROR) {
            detach(st);
            if (st->state == ST_DONE)
                fail_ended(st);
            else
                fail_from_parser(st);
            if (st->renewable && st->broken) {
                st->renew_reason = "broken";
                continue;
            }
            return PULL_ERROR;
        }
        if (ps == QVR_PARSE_END) {
            if (st->broken)
                fail_ended(st);
            if (st->renewable) {
                st->renew_reason = st->broken ? "broken" : "ended";
                continue;
            }
            return st->broken ? PULL_ERROR : PULL_END;
        }
        if (st->state == ST_DONE)
            return PULL_WAIT;
        st->waiting = 1;
        if (st->paused && !(st->sink && st->sink->busy)) {   /* write_to resumes itself */
            st->paused = 0;
            st->last_byte = mono_ms();
            curl_easy_pause(st->easy, CURLPAUSE_CONT);
        }
        return PULL_WAIT;
    }
}

static int st_try_read(lua_State *L);
static int l_pollfd(lua_State *L);
static int l_events(lua_State *L);
static int l_timeout(lua_State *L);
static void register_loop(lua_State *L);

/* Registry key (its address) of the Stream metatable: a read checks its
 * argument without hashing the type name. */
static const char stream_mt_key = 'S';

static struct stream *to_stream(lua_State *L, int i)
{
    void *p = lua_touserdata(L, i);
    if (p && lua_getmetatable(L, i)) {
        int same = lua_rawgetp(L, LUA_REGISTRYINDEX, &stream_mt_key) != LUA_TNIL &&
                   lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (same)
            return p;
    }
    return luaL_checkudata(L, i, QVR_STREAM_MT);   /* raises the usual error */
}

static struct stream *check_open(lua_State *L, int i)
{
    struct stream *st = to_stream(L, i);
    if (st->state == ST_CLOSED)
        luaL_error(L, "attempt to use a closed qvrpro.Stream");
    return st;
}

/* Pushes nil + the stream's Error; returns 2. */
static int push_failure(lua_State *L, struct stream *st)
{
    lua_pushnil(L);
    qvr_push_error(L, st->err_name, st->err_code, st->err_msg,
                   st->http_status >= 300 ? st->http_status : 0);
    if (st->last_ts >= 0) {
        lua_pushinteger(L, st->last_ts);
        lua_setfield(L, -2, "last_timestamp");
    }
    lua_pushinteger(L, (lua_Integer)st->frames);
    lua_setfield(L, -2, "frames");
    return 2;
}

/* Blocks until the stream at idx has a frame, ends, or fails. */
static enum pull wait_frame(lua_State *L, int idx, struct stream *st, struct qvr_frame *f)
{
    for (;;) {
        enum pull r = pull(L, idx, st, f);
        if (r != PULL_WAIT)
            return r;
        if (st->state == ST_DONE && !st->renew_reason)
            return PULL_END;     /* finished and drained (finish() was called) */
        loop_turn(st->loop, 0);
        r = pull(L, idx, st, f);
        if (r != PULL_WAIT)
            return r;
        check_stall(st);
        if (st->renew_reason)
            continue;
        if (st->state == ST_FAILED)
            return PULL_ERROR;
        if (st->state != ST_DONE)
            loop_turn(st->loop, 200);
    }
}

/* Pushes what a pull gave (not PULL_WAIT) as read() returns it: the frame
 * (the stream's view frame, refilled, when `view`; the stream is at idx),
 * nil at the end, or nil + the stream's Error.  The number of results. */
static int push_pulled(lua_State *L, int idx, struct stream *st, int view, enum pull r,
                       const struct qvr_frame *f)
{
    switch (r) {
    case PULL_FRAME:
        if (view)
            qvr_push_view(L, idx, &st->view_gen, f);
        else
            qvr_push_frame(L, f);
        return 1;
    case PULL_END:
        lua_pushnil(L);
        return 1;
    default:
        return push_failure(L, st);
    }
}

/* stream:read() -> frame | nil (end) | nil, err */
static int st_read(lua_State *L)
{
    struct stream *st = check_open(L, 1);
    struct qvr_frame f;
    return push_pulled(L, 1, st, 0, wait_frame(L, 1, st, &f), &f);
}

/* stream:_read_view() -> frame | nil | nil, err: as read(), but the frame
 * is the stream's one view frame, refilled (no allocation, no copy). */
static int st_read_view(lua_State *L)
{
    struct stream *st = check_open(L, 1);
    struct qvr_frame f;
    return push_pulled(L, 1, st, 1, wait_frame(L, 1, st, &f), &f);
}

/* The clock of per-frame deadlines: the coarse monotonic clock reads no
 * time-stamp counter (a few ns); its resolution (a few ms) is ample for a
 * keep-alive due about once a minute. */
static int64_t coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The state of a frames iterator (its upvalue 2). */
struct frames_it {
    struct stream *st;           /* the stream of upvalue 1, which keeps it alive */
    int view;
    int64_t due;                 /* coarse_ms() when the tick is due; -1: no tick */
};

/* The iterator of stream:frames() and playback frames: one C call per
 * frame.  Upvalue 1 the stream, 2 the state, 3 the tick function (or nil):
 * called when due, it does its periodic work (a playback's keep-alive) and
 * returns the milliseconds until it is due again.  Raises the stream's
 * failure (like io.lines). */
static int frames_next(lua_State *L)
{
    const int self = lua_upvalueindex(1);     /* the stream, used in place */
    struct frames_it *it = lua_touserdata(L, lua_upvalueindex(2));
    struct stream *st = it->st;
    struct qvr_frame f;
    enum pull r;
    if (st->state == ST_CLOSED)
        return luaL_error(L, "attempt to use a closed qvrpro.Stream");
    if (it->due >= 0 && coarse_ms() >= it->due) {
        lua_Integer ms;
        lua_pushvalue(L, lua_upvalueindex(3));
        lua_call(L, 0, 1);
        ms = lua_tointeger(L, -1);
        lua_pop(L, 1);
        it->due = coarse_ms() + (ms > 0 ? ms : 1);
        if (st->state == ST_CLOSED)
            return luaL_error(L, "attempt to use a closed qvrpro.Stream");
    }
    r = wait_frame(L, self, st, &f);
    if (r == PULL_END)
        return 0;              /* the for loop ends */
    push_pulled(L, self, st, it->view, r, &f);
    return r == PULL_FRAME ? 1 : lua_error(L);
}

/* Pushes the generic-for triple of the stream at index 1, with the
 * to-be-closed value: iter, nil, nil, object (index obj). */
static int push_frames(lua_State *L, int view, int tick, int obj)
{
    struct stream *st = check_open(L, 1);
    struct frames_it *it;
    lua_pushvalue(L, 1);
    it = lua_newuserdatauv(L, sizeof *it, 0);
    it->st = st;
    it->view = view;
    it->due = tick ? 0 : -1;
    if (tick)
        lua_pushvalue(L, tick);
    else
        lua_pushnil(L);
    lua_pushcclosure(L, frames_next, 3);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, obj);
    return 4;
}

/* stream:frames([{view=true}]) -> iter, nil, nil, stream (the to-be-closed
 * value); view: one frame object refilled for every frame, valid until the
 * next one */
static int st_frames(lua_State *L)
{
    int view = 0;
    check_open(L, 1);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "view");
        view = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lua_settop(L, 1);
    return push_frames(L, view, 0, 1);
}

/* stream:_frames(view, tick, owner) -> iter, nil, nil, owner: the frames
 * iterator of a playback (lua/qvrpro/media.lua): tick() sends its keep-alive
 * when due and returns the milliseconds until the next is due; owner is the
 * loop's to-be-closed value. */
static int st_frames_tick(lua_State *L)
{
    int view = lua_toboolean(L, 2);
    check_open(L, 1);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    luaL_checkany(L, 4);
    lua_settop(L, 4);
    return push_frames(L, view, 3, 4);
}

/* The options of stream:write_to: {raw=, max_frames=, max_ms=}. */
struct write_opts {
    int raw;
    lua_Integer max_frames;      /* < 0: no limit */
    double max_ms;               /* < 0: no limit */
};

static void read_write_opts(lua_State *L, int t, struct write_opts *o)
{
    o->raw = 0;
    o->max_frames = -1;
    o->max_ms = -1;
    if (lua_isnoneornil(L, t))
        return;
    luaL_checktype(L, t, LUA_TTABLE);
    lua_getfield(L, t, "raw");
    o->raw = lua_toboolean(L, -1);
    lua_getfield(L, t, "max_frames");
    o->max_frames = luaL_optinteger(L, -1, -1);
    lua_getfield(L, t, "max_ms");
    o->max_ms = luaL_optnumber(L, -1, -1);
    lua_pop(L, 3);
}

/* The bulk path's output (struct sink, one per stream, allocated at the
 * first write_to): frames are gathered as a list of pieces (struct iovec:
 * header and payload where they lie, in the parser's buffer or in libcurl's
 * chunk; adjacent pieces merged) and written with one writev(2) when the
 * list is full and before the bytes they point into can change: before the
 * loop waits for bytes (it feeds the parser) and at the end of each chunk
 * taken from libcurl.  No payload is copied.  While write_to waits for
 * bytes, the sink is active: libcurl's write callback lends each chunk to
 * the parser and writes its frames from there (sink_chunk), so that only
 * the partial frame at its end is copied, and a reader that keeps up never
 * pauses the transfer.  The sink stops (the rest of the chunk is buffered
 * for write_to) at a limit (max_frames, max_ms), at a frame that needs Lua
 * (the first after a gap, one past until_ts) and at a write error.  The
 * file is written behind its stdio buffer (flushed first) through its
 * descriptor; a file without one (fileno -1) gets fwrite()s. */

static int64_t coarse_ms(void);

/* Writes the gathered pieces (all of them, in order): 0, or -1 with
 * sk->err set (the pieces not written are dropped, as an fwrite that
 * fails drops its buffer). */
static int sink_flush(struct sink *sk)
{
    struct iovec *v = sk->iov;
    int left = sk->niov;
    sk->niov = 0;
    if (sk->err)
        return -1;
    if (sk->fd < 0) {
        errno = 0;               /* fwrite need not set it */
        for (int i = 0; i < left; i++)
            if (fwrite(v[i].iov_base, 1, v[i].iov_len, sk->f) != v[i].iov_len) {
                sk->err = errno ? errno : EIO;
                return -1;
            }
        return 0;
    }
    sk->wrote = 1;
    if (qvr_writev_all(sk->fd, v, left) != 0) {
        sk->err = errno;
        return -1;
    }
    return 0;
}

static int sink_add(struct sink *sk, const uint8_t *p, size_t len)
{
    struct iovec *last = sk->niov ? &sk->iov[sk->niov - 1] : NULL;
    if (len == 0)
        return 0;
    if (last && (const uint8_t *)last->iov_base + last->iov_len == p) {
        last->iov_len += len;
        return 0;
    }
    if (sk->niov == SINK_IOV && sink_flush(sk) != 0)
        return -1;
    sk->iov[sk->niov].iov_base = (void *)p;
    sk->iov[sk->niov].iov_len = len;
    sk->niov++;
    return 0;
}

static int sink_frame(struct sink *sk, const struct qvr_frame *f)
{
    if ((sk->raw && sink_add(sk, f->header, f->header_len) != 0) ||
        sink_add(sk, f->data, f->len) != 0)
        return -1;
    sk->n++;
    return 0;
}

/* Whether a limit of write_to is reached (the clock: when `clock`). */
static int sink_limit(struct sink *sk, int clock)
{
    if (sk->max_frames >= 0 && sk->n >= sk->max_frames)
        return 1;
    if (sk->deadline >= 0 && !sk->timed_out && clock && coarse_ms() >= sk->deadline)
        sk->timed_out = 1;
    return sk->timed_out;
}

enum take { TAKE, SKIP, HOLD };

/* take_frame without Lua: HOLD for a frame only pull may hand out (one
 * past until_ts, the first after a gap), SKIP for a repeat. */
static enum take sink_take(struct stream *st, const struct qvr_frame *f)
{
    int m = media_slot(f->media);
    int64_t ts = (int64_t)f->timestamp;
    if ((st->until_ts >= 0 && ts > st->until_ts) || st->gap_from >= 0)
        return HOLD;
    if (repeated(st, m, ts))
        return SKIP;
    count_out(st, m, ts);
    return TAKE;
}

/* on_data while write_to waits: writes the chunk's frames from the chunk
 * itself; what is left (a partial frame, or all after the sink stopped)
 * goes into the parser's buffer.  A parser error is left for pull. */
static size_t sink_chunk(struct stream *st, const uint8_t *ptr, size_t len)
{
    struct sink *sk = st->sink;
    struct qvr_frame f;
    st->view_gen++;
    st->bytes += len;
    qvr_parser_lend(st->parser, ptr, len);
    if (sink_limit(sk, 1))
        sk->active = 0;
    while (sk->active && qvr_parser_next(st->parser, &f) == QVR_PARSE_FRAME) {
        enum take t = sink_take(st, &f);
        if (t == HOLD) {
            qvr_parser_unread(st->parser);
            sk->active = 0;
        } else if (t == TAKE && (sink_frame(sk, &f) != 0 ||
                                 sink_limit(sk, sk->n % DEADLINE_EVERY == 0))) {
            sk->active = 0;
        }
    }
    if (sink_flush(sk) != 0)
        sk->active = 0;
    return qvr_parser_settle(st->parser) == 0 ? len : 0;
}

/* One turn of the loop with the sink active (write_to has nothing
 * buffered to write). */
static void sink_turn(struct stream *st, int wait_ms)
{
    st->sink->active = 1;
    if (st->paused) {          /* libcurl hands over what it holds: to the sink */
        st->paused = 0;
        st->last_byte = mono_ms();
        curl_easy_pause(st->easy, CURLPAUSE_CONT);
    }
    loop_turn(st->loop, wait_ms);
    st->sink->active = 0;
}

/* After writing behind the file's stdio buffer (flushed before): makes the
 * stream take the descriptor's position again, as POSIX asks when a
 * descriptor hands a file back to its stream (glibc forgets its cached
 * position at fflush already), so that f:seek() and later writes agree
 * with the file.  Not seekable (a pipe): nothing to do. */
static void sink_sync(struct sink *sk)
{
    off_t pos;
    if (sk->fd < 0 || !sk->wrote)
        return;
    pos = lseek(sk->fd, 0, SEEK_CUR);
    if (pos >= 0)
        fseeko(sk->f, pos, SEEK_SET);
}

/* write_to's return: flushes; n, ended or nil, err */
static int sink_return(lua_State *L, struct stream *st, int r)
{
    struct sink *sk = st->sink;
    int rc = sink_flush(sk);
    sink_sync(sk);
    sk->busy = 0;
    if (rc != 0) {
        errno = sk->err;
        return luaL_fileresult(L, 0, NULL);
    }
    if (r == PULL_ERROR)
        return push_failure(L, st);
    lua_pushinteger(L, sk->n);
    lua_pushboolean(L, r == PULL_END);
    return 2;
}

/* stream:write_to(file [, {raw=false, max_frames=, max_ms=}]) -> n, ended
 * | nil, err.  The bulk path: every frame's payload (raw: its header as
 * received, then the payload) written to an open Lua file in C, no Lua
 * frame built, no payload copied (struct sink).  Returns the frames
 * written and true at the end of the stream, or false once max_frames are
 * written or max_ms have passed (call again to go on); everything is in the
 * file when it returns.  A write error returns nil, err; the frames not
 * yet taken stay buffered in the stream. */
static int write_to_loop(lua_State *L)
{
    struct stream *st = lua_touserdata(L, 1);
    struct sink *sk = st->sink;
    struct qvr_frame f;
    int waited = 0, idle = 0;
    for (;;) {
        enum pull r;
        /* the clock is read after a wait and every DEADLINE_EVERY frames
         * (not per frame: 4 ns a frame was a fifth of this loop's CPU over
         * curl's on 160-byte audio frames; 64 frames take microseconds,
         * the coarse clock moves by milliseconds) */
        if (sink_limit(sk, waited || sk->n % DEADLINE_EVERY == 0))
            return sink_return(L, st, PULL_WAIT);
        r = pull(L, 1, st, &f);
        waited = 0;
        if (sk->err)
            return sink_return(L, st, PULL_ERROR);
        if (r == PULL_FRAME) {
            idle = 0;
            if (sink_frame(sk, &f) != 0)
                return sink_return(L, st, PULL_ERROR);
            continue;
        }
        if (r != PULL_WAIT)
            return sink_return(L, st, r);
        /* nothing buffered: what is gathered goes out before the parser is
         * fed again, then the transfer's bytes go to the file as they come */
        if (sink_flush(sk) != 0)
            return sink_return(L, st, PULL_ERROR);
        if (st->state == ST_DONE && !st->renew_reason)
            return sink_return(L, st, PULL_END);   /* finished and drained */
        if (idle) {
            check_stall(st);
            if (st->state == ST_FAILED && !st->renew_reason)
                return sink_return(L, st, PULL_ERROR);
        }
        if (!st->renew_reason && st->state != ST_DONE) {
            lua_Integer n0 = sk->n;
            sink_turn(st, idle ? 200 : 0);
            if (sk->err)
                return sink_return(L, st, PULL_ERROR);
            idle = sk->n == n0;
            waited = 1;
        }
    }
}

static int st_write_to(lua_State *L)
{
    struct stream *st = check_open(L, 1);
    luaL_Stream *fs = luaL_checkudata(L, 2, LUA_FILEHANDLE);
    struct write_opts o;
    struct sink *sk;
    int top;
    if (fs->closef == NULL)
        return luaL_error(L, "attempt to use a closed file");
    read_write_opts(L, 3, &o);
    lua_settop(L, 2);
    if (!st->sink && !(st->sink = malloc(sizeof *st->sink)))
        return luaL_error(L, "out of memory");
    sk = st->sink;
    sk->f = fs->f;
    sk->fd = fileno(fs->f);
    sk->raw = o.raw;
    sk->busy = 0;
    sk->active = 0;
    sk->err = 0;
    sk->n = 0;
    sk->max_frames = o.max_frames;
    sk->deadline = o.max_ms >= 0 ? coarse_ms() + (int64_t)o.max_ms : -1;
    sk->timed_out = 0;
    sk->wrote = 0;
    sk->niov = 0;
    if (fflush(fs->f) != 0)
        return luaL_fileresult(L, 0, NULL);
    /* in a protected call: whatever raises in between (a renew function
     * is called protected, but memory may run out), the sink is reset
     * before the error goes on */
    sk->busy = 1;
    lua_pushcfunction(L, write_to_loop);
    lua_insert(L, 1);
    top = lua_gettop(L);
    if (lua_pcall(L, top - 1, LUA_MULTRET, 0) != LUA_OK) {
        sk->busy = sk->active = 0;
        sk->niov = 0;
        sink_sync(sk);
        return lua_error(L);
    }
    return lua_gettop(L);
}

int qvr_stream_next(lua_State *L, int idx, struct qvr_frame *f)
{
    struct stream *st = check_open(L, idx);
    switch (wait_frame(L, idx, st, f)) {
    case PULL_FRAME: return 1;
    case PULL_END: return 0;
    default:
        push_failure(L, st);
        return -1;
    }
}

static void stream_free(struct stream *st)
{
    st->view_gen++;
    detach(st);
    if (st->loop && st->loop->q)
        qvr_loop_leave(st->loop->q, &st->m);
    if (st->easy)
        curl_easy_cleanup(st->easy);
    qvr_parser_free(st->parser);
    free(st->sink);
    st->easy = NULL;
    st->parser = NULL;
    st->sink = NULL;
    st->state = ST_CLOSED;
}

/* close, __close: stop the transfer and free; harmless twice.  A stream
 * that a qvr.each reads goes on the ready list once more, so that the each
 * counts it as ended (the each's list keeps its memory alive). */
static int st_close(lua_State *L)
{
    struct stream *st = to_stream(L, 1);
    if (st->state != ST_CLOSED) {
        stream_free(st);
        if (st->loop && st->loop->q)
            qvr_loop_ready(&st->m);
    }
    return 0;
}

/* __gc: as close, and off every list (nothing refers to it any more) */
static int st_gc(lua_State *L)
{
    struct stream *st = to_stream(L, 1);
    if (st->state != ST_CLOSED)
        stream_free(st);
    if (st->loop && st->loop->q)
        qvr_loop_leave(st->loop->q, &st->m);
    qvr_loop_set_group(&st->m, NULL);
    return 0;
}

static const char *state_name(enum st_state s)
{
    static const char *const names[] = {"opening", "open", "ended", "failed", "closed"};
    return names[s];
}

static int st_tostring(lua_State *L)
{
    struct stream *st = to_stream(L, 1);
    lua_pushfstring(L, "qvrpro.Stream %s (%s, %I frames)", st->desc, state_name(st->state),
                    (lua_Integer)st->frames);
    return 1;
}

/* The earliest of the last delivered timestamps of each media (where a
 * new playback session must start so that no frame is lost), or nil. */
static void push_resume_ts(lua_State *L, const struct stream *st)
{
    int64_t t = resume_ts(st);
    t >= 0 ? lua_pushinteger(L, t) : lua_pushnil(L);
}

enum stream_field {
    S_FRAMES_READ, S_BYTES, S_LAST_TIMESTAMP, S_STATE, S_CLOSED, S_BUFFERED, S_DESCRIPTION,
    S_TRANSFERS, S_END_REASON, S_RESUME_TIMESTAMP
};

static const char *const stream_fields[] = {
    "frames_read", "bytes", "last_timestamp", "state", "closed", "buffered", "description",
    "transfers", "end_reason", "resume_timestamp", NULL
};

/* __index: methods first (upvalue 1, one table look-up: `st:read` in a
 * loop costs no string compare), then the fields (their table and a
 * switch), then the attributes. */
static int st_index(lua_State *L)
{
    struct stream *st = to_stream(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    switch (qvr_field_id(L, 1, 2)) {
    case S_FRAMES_READ: lua_pushinteger(L, (lua_Integer)st->frames); break;
    case S_BYTES: lua_pushinteger(L, (lua_Integer)st->bytes); break;
    case S_LAST_TIMESTAMP:
        st->last_ts >= 0 ? lua_pushinteger(L, st->last_ts) : lua_pushnil(L);
        break;
    case S_STATE: lua_pushstring(L, state_name(st->state)); break;
    case S_CLOSED: lua_pushboolean(L, st->state == ST_CLOSED); break;
    case S_BUFFERED:
        lua_pushinteger(L, st->parser ? (lua_Integer)qvr_parser_buffered(st->parser) : 0);
        break;
    case S_DESCRIPTION: lua_pushstring(L, st->desc); break;
    case S_TRANSFERS: lua_pushinteger(L, (lua_Integer)st->transfers); break;
    case S_END_REASON:
        st->end_reason[0] ? lua_pushstring(L, st->end_reason) : lua_pushnil(L);
        break;
    case S_RESUME_TIMESTAMP: push_resume_ts(L, st); break;
    default:
        /* values the Lua layer attached (camera, playback, ...) */
        if (lua_getiuservalue(L, 1, 2) == LUA_TTABLE) {
            lua_pushvalue(L, 2);
            if (lua_gettable(L, -2) != LUA_TNIL)
                return 1;
        }
        lua_pushnil(L);
    }
    return 1;
}

/* stream:_forget(): the frames to come are not repeats of those delivered
 * (a playback that seeks or goes backwards): clears the dedupe marks and
 * the last timestamps per media. */
static int st_forget(lua_State *L)
{
    struct stream *st = to_stream(L, 1);
    for (int i = 0; i < 3; i++)
        st->skip_ts[i] = st->media_ts[i] = -1;
    st->dedupe = 0;
    return 0;
}

/* stream:set(key, value): attach a value the Lua layer needs (camera, ...) */
static int st_set(lua_State *L)
{
    to_stream(L, 1);
    luaL_checkstring(L, 2);
    if (lua_getiuservalue(L, 1, 2) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, 1, 2);
    }
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_settable(L, -3);
    return 0;
}

void qvr_stream_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", st_gc},
        {"__close", st_close},
        {"__tostring", st_tostring},
        {NULL, NULL}
    };
    static const luaL_Reg methods[] = {
        {"read", st_read},
        {"frames", st_frames},
        {"write_to", st_write_to},
        {"_read_view", st_read_view},
        {"_frames", st_frames_tick},
        {"close", st_close},
        {"set", st_set},
        {"_forget", st_forget},
        {"try_read", st_try_read},
        {"pollfd", l_pollfd},
        {"events", l_events},
        {"timeout", l_timeout},
        {NULL, NULL}
    };
    register_loop(L);
    qvr_new_type(L, QVR_STREAM_MT, meta, methods);
    qvr_type_fields(L, QVR_STREAM_MT, stream_fields);
    luaL_getmetatable(L, QVR_STREAM_MT);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &stream_mt_key);
    lua_getfield(L, -1, "__methods");
    lua_pushcclosure(L, st_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

/* --- opening ------------------------------------------------------------- */

struct open_opts {
    struct qvr_parser_opts parser;
    long stall_ms, open_ms, connect_ms;
    size_t cap;
    int verify, proxy_env;      /* proxy_env: use the environment's proxy */
    const char *cafile, *desc;
    int64_t until_ts;
    int renew, gaps;            /* a renew function at index renew (0: none) */
};

static void read_open_opts(lua_State *L, int t, struct open_opts *o)
{
    static const char *const modes[] = {"source", "jpeg", NULL};
    memset(o, 0, sizeof *o);
    o->until_ts = -1;
    o->verify = 1;
    luaL_checktype(L, t, LUA_TTABLE);
    lua_getfield(L, t, "mode");
    o->parser.mode = luaL_checkoption(L, -1, "source", modes) ? QVR_MODE_JPEG : QVR_MODE_SOURCE;
    lua_getfield(L, t, "max_size");
    o->parser.max_size = (uint32_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, t, "stall_timeout");
    o->stall_ms = (long)(luaL_optnumber(L, -1, 15) * 1000);
    lua_getfield(L, t, "timeout");
    o->open_ms = (long)(luaL_optnumber(L, -1, 10) * 1000);
    lua_getfield(L, t, "buffer");
    o->cap = (size_t)luaL_optinteger(L, -1, DEFAULT_CAP);
    lua_getfield(L, t, "until_ts");
    o->until_ts = luaL_optinteger(L, -1, -1);
    lua_getfield(L, t, "verify");
    o->verify = lua_isnil(L, -1) || lua_toboolean(L, -1);
    lua_getfield(L, t, "cafile");
    o->cafile = luaL_optstring(L, -1, NULL);
    lua_getfield(L, t, "proxy_env");
    o->proxy_env = lua_isnil(L, -1) ? qvr_http_proxy_in_env() : lua_toboolean(L, -1);
    lua_getfield(L, t, "description");
    o->desc = luaL_optstring(L, -1, "");
    lua_getfield(L, t, "gaps");
    o->gaps = lua_toboolean(L, -1);
    lua_pop(L, 11);
    if (lua_getfield(L, t, "renew") == LUA_TFUNCTION)
        o->renew = lua_gettop(L);      /* stays on the stack for the caller */
    else
        lua_pop(L, 1);
    o->connect_ms = o->open_ms && o->open_ms < 10000 ? o->open_ms : 10000;
}

static CURL *new_easy(struct stream *st, const char *url, const struct open_opts *o)
{
    /* what every handle carries (http.c); no timeout for the whole
     * transfer: a stream fails on a stall instead */
    struct qvr_http_opts ho = {.timeout_ms = 0, .connect_timeout_ms = o->connect_ms,
                               .verify = o->verify, .cafile = o->cafile,
                               .proxy_env = o->proxy_env};
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    qvr_http_configure(c, &ho);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
    curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)st);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024L);
    return c;
}

/* Whether the stream's opening is settled: 1 once its code line is in or
 * it failed (refusal, end before a code line, open timeout), 0 while it
 * waits.  Never runs the loop. */
static int open_settled(struct stream *st, double deadline)
{
    int r;
    if (st->state != ST_OPENING && st->state != ST_DONE)
        return 1;
    r = qvr_parser_poll_code(st->parser);
    if (r > 0) {
        if (st->state == ST_OPENING)
            st->state = ST_OPEN;
        return 1;
    }
    if (r < 0) {          /* a refusal, or no code line before the end */
        detach(st);
        if (qvr_parser_error(st->parser) == QVR_PERR_SERVER_CODE)
            fail_from_parser(st);
        else
            fail_ended(st);
        return 1;
    }
    if (st->state == ST_DONE) {        /* ended before a code line */
        if (qvr_parser_poll_code(st->parser) <= 0)
            fail_ended(st);
        return 1;
    }
    if (mono_ms() > deadline) {
        detach(st);
        fail(st, "TIMEOUT", -1, "the stream did not start within %.1f s",
             (double)st->open_ms / 1000.0);
        return 1;
    }
    return 0;
}

static double open_deadline(const struct stream *st)
{
    return mono_ms() + (double)(st->open_ms ? st->open_ms : 10000);
}

/* Drives the loop until the stream's code line is in, or it fails. */
static void await_open(struct stream *st)
{
    double deadline = open_deadline(st);
    while (!open_settled(st, deadline))
        loop_turn(st->loop, OPEN_POLL_MS);
}

/* Makes a stream of url with the options of the table at index t and starts
 * its transfer; pushes it (a Stream whose opening is not awaited yet).
 * Raises on bad options or when no transfer can be made. */
static struct stream *start_stream(lua_State *L, const char *url, int t, struct loop *lp,
                                   int lpidx)
{
    struct open_opts o;
    struct stream *st;
    int top = lua_gettop(L);
    read_open_opts(L, t, &o);
    st = lua_newuserdatauv(L, sizeof *st, STREAM_UVS);
    memset(st, 0, sizeof *st);
    st->state = ST_CLOSED;          /* until built, __gc has nothing to free */
    luaL_setmetatable(L, QVR_STREAM_MT);
    lua_pushvalue(L, lpidx);
    lua_setiuservalue(L, -2, 1);    /* the loop stays alive while the stream is */
    st->loop = lp;
    st->last_ts = -1;
    st->gap_from = -1;
    for (int i = 0; i < 3; i++)
        st->media_ts[i] = st->skip_ts[i] = -1;
    st->popts = o.parser;
    st->track_gaps = o.gaps;
    if (o.renew) {
        lua_pushvalue(L, o.renew);
        lua_setiuservalue(L, -2, 3);
        st->renewable = 1;
    }
    if (o.gaps) {
        lua_newtable(L);
        lua_newtable(L);
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "gaps");    /* attributes = {gaps = {}} */
        lua_setiuservalue(L, -3, 2);
        lua_pop(L, 1);
    }
    st->until_ts = o.until_ts;
    st->stall_ms = o.stall_ms;
    st->open_ms = o.open_ms;
    st->cap = o.cap ? o.cap : DEFAULT_CAP;
    snprintf(st->desc, sizeof st->desc, "%s", o.desc);
    st->parser = qvr_parser_new(&o.parser);
    st->easy = st->parser ? new_easy(st, url, &o) : NULL;
    if (!st->easy || qvr_loop_add(lp->q, st->easy) != 0) {
        qvr_parser_free(st->parser);
        if (st->easy)
            curl_easy_cleanup(st->easy);
        st->parser = NULL;
        st->easy = NULL;
        luaL_error(L, "cannot start a transfer");
    }
    st->in_multi = 1;
    qvr_loop_join(lp->q, &st->m);
    st->state = ST_OPENING;
    st->last_byte = mono_ms();
    if (lua_gettop(L) > top + 1)
        lua_replace(L, top + 1);    /* the stream in place of the renew function */
    return st;
}

/* core.open_stream(url, {mode=, max_size=, stall_timeout=, timeout=, buffer=,
 *                        until_ts=, verify=, cafile=, description=, renew=, gaps=})
 * -> Stream | nil, err.  Returns once the result-code line is in: a server
 * refusal (auth, bad camera, ...) comes back as nil, err here. */
int qvr_l_open_stream(lua_State *L)
{
    const char *url = luaL_checkstring(L, 1);
    struct stream *st;
    struct loop *lp;
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lp = push_loop(L);
    st = start_stream(L, url, 2, lp, 3);
    await_open(st);
    if (st->state == ST_FAILED) {
        int n = push_failure(L, st);
        stream_free(st);       /* frees the transfer now, not at collection */
        return n;
    }
    return 1;
}

/* core.open_streams{{url, opts}, ...} -> {Stream | Error, ...}: opens many
 * streams at once.  Every transfer starts first, then the loop runs until
 * each has its code line or failed, so N streams take about one round trip,
 * not N, and each turn costs what is ready (no O(N^2)).  A failed one's
 * entry is its Error (its transfer freed). */
int qvr_l_open_streams(lua_State *L)
{
    lua_Integer n, left;
    struct loop *lp;
    struct stream **pending;
    double *deadline;
    luaL_checktype(L, 1, LUA_TTABLE);
    n = (lua_Integer)lua_rawlen(L, 1);
    lua_settop(L, 1);
    lp = push_loop(L);                                   /* 2 */
    lua_createtable(L, (int)n, 0);                       /* 3: the results */
    pending = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *pending, 0);        /* 4 */
    deadline = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *deadline, 0);      /* 5 */
    for (lua_Integer i = 1; i <= n; i++) {
        struct stream *st;
        if (lua_rawgeti(L, 1, i) != LUA_TTABLE)
            return luaL_error(L, "bad entry %d of open_streams ({url, opts} expected)", (int)i);
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);              /* entry, url, opts */
        luaL_checktype(L, -1, LUA_TTABLE);
        st = start_stream(L, luaL_checkstring(L, -2), lua_gettop(L), lp, 2);
        lua_rawseti(L, 3, i);
        lua_pop(L, 3);
        pending[i - 1] = st;
        deadline[i - 1] = open_deadline(st);
    }
    left = n;
    for (;;) {
        lua_Integer k = 0;
        for (lua_Integer j = 0; j < left; j++) {   /* keep the unsettled ones */
            if (!open_settled(pending[j], deadline[j])) {
                deadline[k] = deadline[j];
                pending[k++] = pending[j];
            }
        }
        left = k;
        if (left == 0)
            break;
        loop_turn(lp, OPEN_POLL_MS);
    }
    for (lua_Integer i = 1; i <= n; i++) {
        struct stream *st;
        lua_rawgeti(L, 3, i);
        st = lua_touserdata(L, -1);
        if (st->state == ST_FAILED) {
            push_failure(L, st);        /* nil, err */
            stream_free(st);
            lua_rawseti(L, 3, i);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_settop(L, 3);
    return 1;
}

/* --- many streams -------------------------------------------------------- */

/* The state of one core.each (upvalue 2 of its iterator). */
struct each_state {
    struct loop *loop;
    struct qvr_loop_group *group;   /* its streams and their ready list */
    lua_Integer live;            /* streams not yet ended */
    int wait;                    /* 0: return false when nothing is ready */
};

/* The stream at index i of the each's list, checked to be st's slot. */
static struct stream *each_stream(lua_State *L, lua_Integer i)
{
    lua_rawgeti(L, lua_upvalueindex(1), i);
    return to_stream(L, -1);
}

/* The iterator of core.each: upvalue 1 is the array of streams, upvalue 2
 * its state.  Only the streams on the loop's ready list (of this each's
 * group) are visited, in the order they became ready; one that handed out a
 * frame goes to the back (round robin, so a busy stream cannot starve the
 * others).  Returns stream, frame; nil when every stream has ended; raises
 * the first failure (like io.lines).  Without wait: nil when no stream has
 * a frame now, and nil, "ended" once every stream has ended. */
static int each_iter(lua_State *L)
{
    struct each_state *es = lua_touserdata(L, lua_upvalueindex(2));
    struct loop *lp = es->loop;
    int turned = 0;
    for (;;) {
        struct qvr_loop_member *m;
        int top = lua_gettop(L);
        if (!lp->q)
            return 0;
        while ((m = qvr_loop_take_ready(es->group)) != NULL) {
            struct stream *st = member_stream(m);
            struct qvr_frame f;
            if (each_stream(L, st->each_index) != st) {
                lua_settop(L, top);
                continue;          /* (stale) of another list */
            }
            if (st->state == ST_CLOSED) {
                if (!st->each_ended) {       /* closed by the script: its end */
                    st->each_ended = 1;
                    es->live--;
                }
                lua_settop(L, top);
                continue;
            }
            switch (pull(L, lua_gettop(L), st, &f)) {
            case PULL_FRAME:
                qvr_loop_ready(m);          /* may hold more: to the back */
                qvr_push_frame(L, &f);
                return 2;
            case PULL_ERROR:
                push_failure(L, st);
                return lua_error(L);
            case PULL_WAIT:
                check_stall(st);
                if (st->renew_reason)
                    qvr_loop_ready(m);
                else if (st->state == ST_FAILED) {
                    push_failure(L, st);
                    return lua_error(L);
                }
                break;
            case PULL_END:
                if (!st->each_ended) {
                    st->each_ended = 1;
                    es->live--;
                }
                break;
            }
            lua_settop(L, top);
        }
        if (es->live <= 0) {
            if (es->wait)
                return 0;
            lua_pushnil(L);
            lua_pushliteral(L, "ended");
            return 2;
        }
        if (!es->wait && turned) {
            lua_pushnil(L);
            return 1;
        }
        loop_turn(lp, es->wait ? 100 : 0);
        turned = 1;
    }
}

/* __gc of an each's state: its group lives on while streams are in it. */
static int each_gc(lua_State *L)
{
    struct each_state *es = lua_touserdata(L, 1);
    qvr_loop_group_unref(es->group);
    es->group = NULL;
    return 0;
}

/* core.each({stream, ...} [, {wait=true}]) -> iterator yielding stream,
 * frame.  Puts every stream of the list in a new group of the loop and on
 * its ready list (frames already buffered are handed out first). */
int qvr_l_each(lua_State *L)
{
    lua_Integer n;
    struct each_state *es;
    int wait = 1;
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "wait");
        wait = lua_isnil(L, -1) || lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    n = (lua_Integer)lua_rawlen(L, 1);
    lua_settop(L, 1);
    es = lua_newuserdatauv(L, sizeof *es, 1);
    es->group = NULL;
    es->loop = NULL;
    lua_newtable(L);
    lua_pushcfunction(L, each_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    es->loop = push_loop(L);
    lua_setiuservalue(L, -2, 1);          /* the loop lives as long as the iterator */
    es->group = qvr_loop_group_new();
    if (!es->group)
        return luaL_error(L, "not enough memory");
    es->live = 0;
    es->wait = wait;
    for (lua_Integer i = 1; i <= n; i++) {
        struct stream *st;
        lua_rawgeti(L, 1, i);
        st = check_open(L, -1);
        lua_pop(L, 1);
        if (st->loop != es->loop)
            return luaL_error(L, "stream %d belongs to another Lua state", (int)i);
        if (st->m.group == es->group)
            continue;                     /* listed twice */
        qvr_loop_set_group(&st->m, es->group);
        st->each_index = i;
        st->each_ended = 0;
        es->live++;
        qvr_loop_ready(&st->m);
    }
    lua_pushvalue(L, 1);
    lua_insert(L, -2);
    lua_pushcclosure(L, each_iter, 2);
    return 1;
}

/* --- the pollable loop --------------------------------------------------- */

/* Milliseconds until the loop needs a step without a socket event:
 * libcurl's timer, or the next stall sweep while transfers run; -1: none. */
static long loop_due_ms(struct loop *lp)
{
    long t = qvr_loop_timeout_ms(lp->q);
    if (qvr_loop_transfers(lp->q) > 0) {
        double s = lp->next_sweep - mono_ms();
        long sw = s <= 0 ? 0 : (long)s + 1;
        if (t < 0 || sw < t)
            t = sw;
    }
    return t;
}

static struct loop *check_loop(lua_State *L, int i)
{
    struct loop *lp = luaL_checkudata(L, i, QVR_LOOP_MT);
    if (!lp->q)
        luaL_error(L, "attempt to use a closed qvrpro.Loop");
    return lp;
}

/* The loop of the object at index 1: a Loop, or a Stream's loop. */
static struct loop *loop_of(lua_State *L)
{
    if (luaL_testudata(L, 1, QVR_LOOP_MT))
        return check_loop(L, 1);
    return check_open(L, 1)->loop;
}

/* obj:pollfd() -> the epoll descriptor: readable when the loop has work */
static int l_pollfd(lua_State *L)
{
    lua_pushinteger(L, qvr_loop_fd(loop_of(L)->q));
    return 1;
}

/* obj:events() -> "r" */
static int l_events(lua_State *L)
{
    loop_of(L);
    lua_pushliteral(L, "r");
    return 1;
}

/* obj:timeout() -> seconds until the loop needs a step() anyway, or nil */
static int l_timeout(lua_State *L)
{
    long t = loop_due_ms(loop_of(L));
    if (t < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)t / 1000.0);
    return 1;
}

/* loop:step() -> n: runs the work that is ready now (sockets, libcurl's
 * timer, the stall sweep), never waits; n: socket events handled.  Calls
 * no Lua. */
static int l_step(lua_State *L)
{
    struct loop *lp = check_loop(L, 1);
    int n = qvr_loop_run(lp->q, 0, on_done);
    sweep(lp);
    lua_pushinteger(L, n);
    return 1;
}

/* loop:transfers() -> the transfers running */
static int l_transfers(lua_State *L)
{
    struct loop *lp = check_loop(L, 1);
    lua_pushinteger(L, qvr_loop_transfers(lp->q));
    return 1;
}

/* stream:try_read() -> frame | false (nothing yet) | nil (end) | nil, err.
 * Takes a frame already parsed, else runs one step of the loop and looks
 * again; never waits for the network (a renewable stream's next transfer
 * is the exception: its renew function sends its commands). */
static int st_try_read(lua_State *L)
{
    struct stream *st = check_open(L, 1);
    struct qvr_frame f;
    for (int pass = 0;; pass++) {
        enum pull r = pull(L, 1, st, &f);
        if (r != PULL_WAIT)
            return push_pulled(L, 1, st, 0, r, &f);
        if (st->state == ST_DONE && !st->renew_reason)
            return lua_pushnil(L), 1;     /* finished and drained */
        check_stall(st);
        if (st->renew_reason)
            continue;
        if (st->state == ST_FAILED)
            return push_failure(L, st);
        if (pass > 0) {
            lua_pushboolean(L, 0);
            return 1;
        }
        qvr_loop_run(st->loop->q, 0, on_done);
        sweep(st->loop);
    }
}

/* core.loop() -> the Loop of this Lua state (pollable) */
int qvr_l_loop(lua_State *L)
{
    push_loop(L);
    return 1;
}

static void register_loop(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", loop_gc},
        {NULL, NULL}
    };
    static const luaL_Reg methods[] = {
        {"pollfd", l_pollfd},
        {"events", l_events},
        {"timeout", l_timeout},
        {"step", l_step},
        {"transfers", l_transfers},
        {NULL, NULL}
    };
    qvr_new_type(L, QVR_LOOP_MT, meta, methods);
    luaL_getmetatable(L, QVR_LOOP_MT);
    lua_getfield(L, -1, "__methods");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
