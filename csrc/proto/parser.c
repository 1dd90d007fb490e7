/*
 * parser.c - incremental parser for QVR Pro media stream bodies (plain C).
 *
 * Owns: the byte buffer of one getstream.cgi or qplay.cgi `get` body and the
 * state machine that cuts it into frames: result-code line (with one
 * optional blank or version line before it), then 56-byte source frames or
 * JPEG-mode records.  See parser.h for the API; the frame header, the audio
 * extension and the JPEG-mode lines are decoded by wire.c (the dump reader
 * decodes records with the same functions).
 *
 * Memory: qvr_parser_feed() moves the unread tail to the front of the buffer
 * and appends the chunk, so the buffer holds at most one unfinished frame
 * plus the chunk.  Frames point into the buffer; nothing moves it before the
 * next feed.  A lent chunk (qvr_parser_lend) is read in place: the window
 * (in, pos, end) is then the chunk, except that a frame begun in the own
 * buffer is completed there with a copy of its rest from the chunk (want(),
 * take_loan(); an unfinished text line, the code line or a JPEG record's,
 * copies the rest of the chunk, since its length is unknown); qvr_parser_settle() copies the chunk's unread tail into the
 * own buffer.  The state (stage, bytes needed, bytes of a line already
 * searched) is kept between calls, so no byte is scanned twice.
 *
 * Audio layouts (docs/PROTOCOL.md, "Live stream frames"): the next frame starts at
 * 56 + 8 + size (EXT_THEN_SIZE) or at 56 + size (SIZE_INCLUDES_EXT).  In AUTO
 * mode the first audio frame waits until the 4 bytes at both candidate
 * offsets are buffered, takes the one where a known fourcc starts, and keeps
 * that layout for the rest of the stream.  The decision depends only on the
 * stream's bytes, never on how they were chunked.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "parser.h"
#include "verdict.h"

#define CODE_LINE_MAX  64u               /* longest code or version line */
#define JPEG_LINE_MAX  QVR_JPEG_LINE_MAX /* longest JPEG-mode text line */
#define RESERVED_MAX   (64u * 1024u)     /* bound on dwReserved */
#define BUF_MIN        4096u

enum stage {
    ST_CODE,     /* reading the result-code line (or the line before it) */
    ST_HEADER,   /* waiting for a 56-byte frame header */
    ST_BODY,     /* header parsed, waiting for the rest of the frame */
    ST_JLINE,    /* JPEG mode: reading a record's text lines */
    ST_JDATA,    /* JPEG mode: waiting for the JPEG bytes */
    ST_DONE,
    ST_FAILED
};

/* step results besides the enum qvr_parse_status values */
#define STEP_AGAIN 3

enum line_status { LINE_MORE, LINE_FULL, LINE_LAST, LINE_LONG };

struct qvr_parser {
    uint8_t *buf;                  /* the parser's own buffer (cap bytes) */
    size_t cap;
    const uint8_t *in;             /* the window read: buf, or the lent chunk */
    size_t pos, end;               /* unread bytes: in[pos .. end) */
    const uint8_t *loan;           /* a lent chunk (qvr_parser_lend), or NULL */
    size_t loan_len, loan_pos;     /* ... its bytes before loan_pos are in a window */
    size_t from_loan;              /* bytes at the end of buf copied from the loan */
    size_t last;                   /* bytes of the frame last returned (unread) */
    uint64_t offset;               /* stream offset of buf[pos] */
    enum qvr_parse_mode mode;
    uint32_t max_size, max_reserved;
    enum qvr_audio_layout layout;  /* forced or locked; AUTO while undecided */
    enum stage stage;
    int finished;
    int have_code, pre_line;
    int32_t code;
    uint32_t server_code;
    size_t scan;                   /* bytes of the current line without '\n' */
    size_t line;                   /* JPEG: current line's offset from pos */
    int jline;                     /* JPEG: 0 name, 1 timestamp, 2 length */
    uint64_t need;                 /* whole frame length; 0: audio undecided */
    uint64_t nframes;              /* frames returned so far */
    struct qvr_frame_header hdr;   /* source mode: the header of the frame being read */
    const struct qvr_fourcc_info *hints[2];   /* the fourccs seen (wire.h) */
    struct qvr_frame_extent ext;   /* ... and its extent, once its layout is known */
    struct qvr_jpeg_header jh;     /* JPEG mode: the lines of the record being read */
    char pre_text[40];             /* the skipped line, escaped, for messages */
    enum qvr_parse_error err;
    char msg[224];
};

/* ---- errors --------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(qvr_parser *p, enum qvr_parse_error e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    p->err = e;
    p->stage = ST_FAILED;
    return QVR_PARSE_ERROR;
}

/* Printable form of n bytes: "q\x00\xffA"; truncated with "..." to fit. */
static void escape(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int plain = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\';
        size_t w = plain ? 1 : 4;
        if (o + w + 4 > cap) {
            memcpy(dst + o, "...", 3);
            o += 3;
            break;
        }
        if (plain) {
            dst[o++] = (char)s[i];
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[s[i] >> 4];
            dst[o++] = hex[s[i] & 15];
        }
    }
    dst[o] = '\0';
}

/* ---- buffer ----------------------------------------------------------- */

static void consume(qvr_parser *p, size_t n)
{
    p->pos += n;
    p->offset += n;
    p->scan = 0;
}

static void compact(qvr_parser *p)
{
    size_t avail = p->end - p->pos;
    if (p->pos == 0)
        return;
    if (avail)
        memmove(p->buf, p->in + p->pos, avail);
    p->pos = 0;
    p->end = avail;
}

static int reserve(qvr_parser *p, size_t more)
{
    size_t want, cap;
    uint8_t *nb;
    if (more > SIZE_MAX - p->end)
        return -1;
    want = p->end + more;
    if (want <= p->cap)
        return 0;
    cap = p->cap ? p->cap : BUF_MIN;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    nb = realloc(p->buf, cap);
    if (!nb)
        return -1;
    if (p->in == p->buf)
        p->in = nb;
    p->buf = nb;
    p->cap = cap;
    return 0;
}

/* ---- lines ------------------------------------------------------------ */

/* Looks for the end of the line at `off` (from pos), searching at most
 * max + 1 bytes and never the same byte twice.  LINE_FULL/LINE_LAST set
 * *len to the line without its '\n' (LINE_LAST: unterminated at finish). */
static enum line_status find_line(qvr_parser *p, size_t off, size_t max, size_t *len)
{
    const uint8_t *s = p->in + p->pos + off;
    size_t avail = p->end - p->pos - off;
    size_t lim = avail < max + 1 ? avail : max + 1;
    const uint8_t *nl = NULL;
    if (p->scan < lim)
        nl = memchr(s + p->scan, '\n', lim - p->scan);
    if (nl) {
        *len = (size_t)(nl - s);
        return LINE_FULL;
    }
    p->scan = lim;
    if (lim > max)
        return LINE_LONG;
    if (p->finished) {
        *len = avail;
        return LINE_LAST;
    }
    return LINE_MORE;
}

static int is_binary(uint8_t c)
{
    return (c < 0x20 && c != '\t' && c != '\r') || c >= 0x7f;
}

/* Index of the first byte that cannot be in a text line, or n. */
static size_t first_binary(const uint8_t *s, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++)
        if (is_binary(s[i]))
            return i;
    return n;
}

static size_t strip_cr(const uint8_t *s, size_t n)
{
    return n && s[n - 1] == '\r' ? n - 1 : n;
}

/* ---- result-code line ------------------------------------------------- */

static int fail_binary(qvr_parser *p, const uint8_t *s, size_t at)
{
    return fail(p, QVR_PERR_CODE_LINE,
                "binary data where the result-code line should be "
                "(byte 0x%02x at stream offset %" PRIu64 ")",
                s[at], p->offset + at);
}

static int fail_server(qvr_parser *p, uint32_t code)
{
    const struct qvr_code_info *ci = qvr_code_lookup(code);
    char hex[11];
    qvr_code_hex(code, hex);
    p->server_code = code;
    if (ci)
        return fail(p, QVR_PERR_SERVER_CODE, "server error %s (%" PRId32 ") %s: %s",
                    hex, (int32_t)code, ci->name, ci->message);
    return fail(p, QVR_PERR_SERVER_CODE, "server error %s (%" PRId32 ")", hex,
                (int32_t)code);
}

static int fail_no_code(qvr_parser *p)
{
    if (!p->pre_line)
        return fail(p, QVR_PERR_CODE_LINE, "empty body: no result-code line");
    if (!p->pre_text[0])
        return fail(p, QVR_PERR_CODE_LINE, "body ended after a blank line "
                    "without a result-code line");
    return fail(p, QVR_PERR_CODE_LINE, "body ended after the line \"%s\" "
                "without a result-code line", p->pre_text);
}

static int accept_code(qvr_parser *p, uint32_t code, size_t used)
{
    consume(p, used);
    p->have_code = 1;
    p->code = (int32_t)code;
    if (code != 0)
        return fail_server(p, code);
    p->stage = p->mode == QVR_MODE_JPEG ? ST_JLINE : ST_HEADER;
    return STEP_AGAIN;
}

/* A whole line (without '\n'): the code, or the one tolerated line before. */
static int code_line(qvr_parser *p, const uint8_t *s, size_t len, size_t used)
{
    size_t bad = first_binary(s, 0, len);
    char shown[40];
    uint32_t code;
    if (bad < len)
        return fail_binary(p, s, bad);
    len = strip_cr(s, len);
    if (qvr_code_line((const char *)s, len, !p->pre_line, &code))   /* verdict.h */
        return accept_code(p, code, used);
    escape(shown, sizeof shown, s, len);
    if (p->pre_line && !p->pre_text[0])
        return fail(p, QVR_PERR_CODE_LINE, "expected the result-code line after a blank "
                    "line, got \"%s\"", shown);
    if (p->pre_line)
        return fail(p, QVR_PERR_CODE_LINE, "expected the result-code line after \"%s\", "
                    "got \"%s\"", p->pre_text, shown);
    if (memchr(s, '\r', len))
        return fail(p, QVR_PERR_CODE_LINE, "expected a result-code line, got \"%s\"", shown);
    memcpy(p->pre_text, shown, sizeof shown);
    p->pre_line = 1;
    consume(p, used);
    return STEP_AGAIN;
}

static int step_code(qvr_parser *p)
{
    const uint8_t *s = p->in + p->pos;
    size_t len, seen = p->scan, bad;
    enum line_status r = find_line(p, 0, CODE_LINE_MAX, &len);
    if (r == LINE_FULL)
        return code_line(p, s, len, len + 1);
    if (r == LINE_LAST)
        return len ? code_line(p, s, len, len) : fail_no_code(p);
    bad = first_binary(s, seen, p->scan);
    if (bad < p->scan)
        return fail_binary(p, s, bad);
    if (r == LINE_LONG)
        return fail(p, QVR_PERR_CODE_LINE, "no result-code line: %u bytes of text "
                    "without a newline", CODE_LINE_MAX + 1);
    return QVR_PARSE_NEED_MORE;
}

/* ---- source frames ---------------------------------------------------- */

static int fail_truncated(qvr_parser *p, uint64_t need)
{
    uint64_t have = p->end - p->pos;
    const struct qvr_frame_header *h = &p->hdr;
    return fail(p, QVR_PERR_TRUNCATED, "stream ended inside frame %" PRIu64
                " (%s %s, at stream offset %" PRIu64 "): %" PRIu64 " of %" PRIu64
                " bytes missing", p->nframes + 1, h->fourcc, qvr_media_name(h->media),
                p->offset, need - have, need);
}

/* The frame's extent for a layout (wire.c), and the bytes it needs. */
static void apply_extent(qvr_parser *p, enum qvr_audio_layout l)
{
    qvr_wire_extent(&p->hdr, l, &p->ext);
    p->need = p->ext.total;
}

static int known_at(const qvr_parser *p, uint64_t off)
{
    return qvr_fourcc_lookup(p->in + p->pos + off) != NULL;
}

/* AUTO layout, first audio frame: decide from the bytes after it. */
static int audio_detect(qvr_parser *p)
{
    uint64_t avail = p->end - p->pos;
    uint64_t a = (uint64_t)QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE + p->hdr.size;
    uint64_t c = (uint64_t)QVR_HDR_SIZE + p->hdr.size;
    enum qvr_audio_layout l;
    if (avail >= a + 4) {
        int ka = known_at(p, a), kc = known_at(p, c);
        l = kc && !ka ? QVR_AUDIO_SIZE_INCLUDES_EXT : QVR_AUDIO_EXT_THEN_SIZE;
        if (ka != kc)
            p->layout = l;
    } else if (p->finished) {
        l = avail == a ? QVR_AUDIO_EXT_THEN_SIZE : QVR_AUDIO_SIZE_INCLUDES_EXT;
        if (avail == a || avail == c)
            p->layout = l;
    } else {
        return QVR_PARSE_NEED_MORE;
    }
    apply_extent(p, l);
    return STEP_AGAIN;
}

static int step_header(qvr_parser *p)
{
    const uint8_t *h = p->in + p->pos;
    size_t avail = p->end - p->pos;
    struct qvr_frame_header *f = &p->hdr;
    char shown[24];
    int r = qvr_wire_decode_header_hinted(h, avail, p->hints, f);
    if (r == QVR_WIRE_SHORT) {
        if (!p->finished)
            return QVR_PARSE_NEED_MORE;
        if (avail == 0) {
            p->stage = ST_DONE;
            return QVR_PARSE_END;
        }
        return fail(p, QVR_PERR_TRUNCATED, "stream ended inside the header of frame %"
                    PRIu64 " (at stream offset %" PRIu64 "): %zu of %d bytes missing",
                    p->nframes + 1, p->offset, (size_t)QVR_HDR_SIZE - avail, QVR_HDR_SIZE);
    }
    if (r == QVR_WIRE_FOURCC) {
        escape(shown, sizeof shown, h, 4);
        return fail(p, QVR_PERR_FOURCC, "unknown fourcc \"%s\" in frame %" PRIu64
                    " (at stream offset %" PRIu64 ")", shown, p->nframes + 1, p->offset);
    }
    if (f->size > p->max_size || f->reserved > p->max_reserved)
        return fail(p, QVR_PERR_TOO_BIG, "frame %" PRIu64 " (%s at stream offset %"
                    PRIu64 ") declares %s %" PRIu32 ", over the limit of %" PRIu32,
                    p->nframes + 1, f->fourcc, p->offset,
                    f->size > p->max_size ? "data size" : "reserved",
                    f->size > p->max_size ? f->size : f->reserved,
                    f->size > p->max_size ? p->max_size : p->max_reserved);
    if (f->media != QVR_MEDIA_AUDIO || p->layout != QVR_AUDIO_AUTO)
        apply_extent(p, p->layout);
    else
        p->need = 0;
    p->stage = ST_BODY;
    return STEP_AGAIN;
}

static int step_body(qvr_parser *p, struct qvr_frame *out)
{
    const uint8_t *h = p->in + p->pos;
    if (p->need == 0) {
        int r = audio_detect(p);
        if (r != STEP_AGAIN)
            return r;
    }
    if (p->end - p->pos < p->need)
        return p->finished ? fail_truncated(p, p->need) : QVR_PARSE_NEED_MORE;
    qvr_wire_source_frame(h, p->end - p->pos, &p->hdr, &p->ext, out);
    p->last = (size_t)p->need;
    consume(p, p->last);
    p->nframes++;
    p->stage = ST_HEADER;
    return QVR_PARSE_FRAME;
}

/* ---- JPEG-mode records ------------------------------------------------ */

static const char *const jline_names[] = {"name", "timestamp", "length"};

static int fail_jtruncated(qvr_parser *p, const char *line, uint64_t missing, uint64_t of)
{
    if (line)
        return fail(p, QVR_PERR_TRUNCATED, "stream ended inside JPEG record %" PRIu64
                    " (at stream offset %" PRIu64 "), in its %s line", p->nframes + 1,
                    p->offset, line);
    return fail(p, QVR_PERR_TRUNCATED, "stream ended inside JPEG record %" PRIu64
                " (at stream offset %" PRIu64 "): %" PRIu64 " of %" PRIu64
                " JPEG bytes missing", p->nframes + 1, p->offset, missing, of);
}

/* One complete text line of a record (without '\n'), decoded by wire.c. */
static int jpeg_field(qvr_parser *p, const uint8_t *s, size_t n)
{
    char shown[40];
    int r = qvr_wire_jpeg_line((enum qvr_jpeg_line)p->jline, s, n, &p->jh);
    if (r == QVR_WIRE_OK && p->jline == QVR_JLINE_LENGTH && p->jh.length > p->max_size)
        return fail(p, QVR_PERR_TOO_BIG, "JPEG record %" PRIu64 " declares %" PRIu64
                    " bytes, over the limit of %" PRIu32, p->nframes + 1, p->jh.length,
                    p->max_size);
    if (r == QVR_WIRE_OK)
        return STEP_AGAIN;
    escape(shown, sizeof shown, s, strip_cr(s, n));
    return fail(p, QVR_PERR_RECORD, "JPEG record %" PRIu64 ": bad %s \"%s\"", p->nframes + 1,
                r == QVR_WIRE_TIMESTAMP ? "timestamp" : "length", shown);
}

static int step_jline(qvr_parser *p)
{
    size_t len, n;
    const uint8_t *s;
    int r;
    enum line_status ls = find_line(p, p->line, JPEG_LINE_MAX, &len);
    if (ls == LINE_MORE)
        return QVR_PARSE_NEED_MORE;
    if (ls == LINE_LONG)
        return fail(p, QVR_PERR_RECORD, "JPEG record %" PRIu64 ": %s line longer than "
                    "%u bytes", p->nframes + 1, jline_names[p->jline], JPEG_LINE_MAX);
    if (ls == LINE_LAST) {
        if (p->end == p->pos) {
            p->stage = ST_DONE;
            return QVR_PARSE_END;
        }
        return fail_jtruncated(p, jline_names[p->jline], 0, 0);
    }
    s = p->in + p->pos + p->line;
    n = strip_cr(s, len);
    if (p->jline == 0 && n == 0) {   /* blank line between records */
        consume(p, len + 1);
        return STEP_AGAIN;
    }
    r = jpeg_field(p, s, len);
    if (r != STEP_AGAIN)
        return r;
    p->line += len + 1;
    p->scan = 0;
    if (++p->jline == 3) {
        p->need = (uint64_t)p->line + p->jh.length;
        p->stage = ST_JDATA;
    }
    return STEP_AGAIN;
}

static int step_jdata(qvr_parser *p, struct qvr_frame *out)
{
    const uint8_t *h = p->in + p->pos;
    uint64_t have = p->end - p->pos;
    if (have < p->need) {
        if (!p->finished)
            return QVR_PARSE_NEED_MORE;
        return fail_jtruncated(p, NULL, p->need - have, p->jh.length);
    }
    qvr_wire_jpeg_frame(&p->jh, h, p->line, h + p->line, out);
    p->last = (size_t)p->need;
    consume(p, p->last);
    p->nframes++;
    p->line = 0;
    p->jline = 0;
    p->stage = ST_JLINE;
    return QVR_PARSE_FRAME;
}

/* ---- API -------------------------------------------------------------- */

qvr_parser *qvr_parser_new(const struct qvr_parser_opts *opts)
{
    struct qvr_parser_opts o = {QVR_MODE_SOURCE, 0, QVR_AUDIO_AUTO};
    qvr_parser *p;
    if (opts)
        o = *opts;
    if ((o.mode != QVR_MODE_SOURCE && o.mode != QVR_MODE_JPEG) ||
        (o.audio != QVR_AUDIO_AUTO && o.audio != QVR_AUDIO_EXT_THEN_SIZE &&
         o.audio != QVR_AUDIO_SIZE_INCLUDES_EXT))
        return NULL;
    p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->mode = o.mode;
    p->max_size = o.max_size ? o.max_size : QVR_PARSER_DEFAULT_MAX_SIZE;
    p->max_reserved = p->max_size < RESERVED_MAX ? p->max_size : RESERVED_MAX;
    p->layout = o.audio;
    p->stage = ST_CODE;
    if (reserve(p, BUF_MIN) != 0) {     /* a buffer from the start: never a NULL base */
        free(p);
        return NULL;
    }
    p->in = p->buf;
    return p;
}

void qvr_parser_free(qvr_parser *p)
{
    if (!p)
        return;
    free(p->buf);
    free(p);
}

/* Appends n bytes at s to the parser's own buffer (the window must be it). */
static int append(qvr_parser *p, const uint8_t *s, size_t n)
{
    p->last = 0;
    compact(p);
    if (reserve(p, n) != 0) {
        fail(p, QVR_PERR_NOMEM, "out of memory buffering %zu more bytes", n);
        return -1;
    }
    memcpy(p->buf + p->end, s, n);
    p->end += n;
    return 0;
}

int qvr_parser_feed(qvr_parser *p, const uint8_t *buf, size_t len)
{
    if (p->loan && qvr_parser_settle(p) != 0)
        return -1;
    if (p->stage == ST_FAILED || p->finished || len == 0)
        return 0;
    return append(p, buf, len);
}

void qvr_parser_lend(qvr_parser *p, const uint8_t *buf, size_t len)
{
    if (p->loan)
        qvr_parser_settle(p);
    if (p->stage == ST_FAILED || p->finished || len == 0)
        return;
    p->loan = buf;
    p->loan_len = len;
    p->loan_pos = 0;
    p->from_loan = 0;
}

int qvr_parser_settle(qvr_parser *p)
{
    const uint8_t *rest;
    size_t n;
    int r = 0;
    if (!p->loan)
        return 0;
    if (p->in == p->loan) {            /* the unread tail of the loan */
        rest = p->loan + p->pos;
        n = p->end - p->pos;
        p->in = p->buf;
        p->pos = p->end = 0;
    } else {                           /* the loan's bytes not yet in buf */
        rest = p->loan + p->loan_pos;
        n = p->loan_len - p->loan_pos;
    }
    p->loan = NULL;
    p->loan_len = p->loan_pos = p->from_loan = p->last = 0;
    if (n && p->stage != ST_FAILED)
        r = append(p, rest, n);
    return r;
}

/* Bytes the current step needs beyond those in the window, or 0 when it
 * cannot tell (a text line: it takes what there is). */
static size_t want(const qvr_parser *p)
{
    uint64_t avail = p->end - p->pos, need = 0;
    if (p->stage == ST_HEADER)
        need = QVR_HDR_SIZE;
    else if (p->stage == ST_BODY && p->need == 0)   /* audio layout undecided */
        need = (uint64_t)QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE + p->hdr.size + 4;
    else if (p->stage == ST_BODY || p->stage == ST_JDATA)
        need = p->need;
    return need > avail ? (size_t)(need - avail) : 0;
}

/* With a loan and the own buffer as the window: once every unread byte of
 * buf is a copy of the loan's (its last from_loan bytes), reads the loan in
 * place from there; else moves into buf what the step needs from the loan
 * (so that a frame begun in an earlier chunk is completed by a copy of its
 * rest only).  1 when the window changed or grew, 0 when the loan is
 * used up, -1 when out of memory. */
static int take_loan(qvr_parser *p)
{
    size_t unread = p->end - p->pos, left = p->loan_len - p->loan_pos, k;
    if (unread <= p->from_loan) {
        p->in = p->loan;
        p->pos = p->loan_pos - unread;
        p->end = p->loan_len;
        p->loan_pos = p->loan_len;
        return 1;
    }
    if (left == 0)
        return 0;
    k = want(p);
    k = k && k < left ? k : left;
    if (append(p, p->loan + p->loan_pos, k) != 0)
        return -1;
    p->loan_pos += k;
    p->from_loan += k;
    return 1;
}

void qvr_parser_finish(qvr_parser *p)
{
    p->finished = 1;
}

static enum qvr_parse_status step(qvr_parser *p, struct qvr_frame *out)
{
    int r;
    do {
        switch (p->stage) {
        case ST_CODE: r = step_code(p); break;
        case ST_HEADER: r = step_header(p); break;
        case ST_BODY: r = step_body(p, out); break;
        case ST_JLINE: r = step_jline(p); break;
        case ST_JDATA: r = step_jdata(p, out); break;
        case ST_DONE: r = QVR_PARSE_END; break;
        default: r = QVR_PARSE_ERROR; break;
        }
    } while (r == STEP_AGAIN);
    return (enum qvr_parse_status)r;
}

enum qvr_parse_status qvr_parser_next(qvr_parser *p, struct qvr_frame *out)
{
    p->last = 0;
    for (;;) {
        enum qvr_parse_status r;
        int t;
        if (p->loan && p->in != p->loan && p->end - p->pos <= p->from_loan)
            take_loan(p);              /* read the loan in place from here */
        r = step(p, out);
        if (r != QVR_PARSE_NEED_MORE || !p->loan || p->in == p->loan)
            return r;
        t = take_loan(p);
        if (t < 0)
            return QVR_PARSE_ERROR;
        if (t == 0)
            return r;
    }
}

void qvr_parser_unread(qvr_parser *p)
{
    if (p->last == 0 || p->last > p->pos || p->stage == ST_FAILED)
        return;
    p->pos -= p->last;
    p->offset -= p->last;
    p->nframes--;
    p->last = 0;
    p->scan = 0;
    p->line = 0;
    p->jline = 0;
    p->stage = p->mode == QVR_MODE_JPEG ? ST_JLINE : ST_HEADER;
}

int qvr_parser_poll_code(qvr_parser *p)
{
    while (p->stage == ST_CODE && step_code(p) == STEP_AGAIN)
        ;
    if (p->stage == ST_FAILED)
        return -1;
    return p->have_code ? 1 : 0;
}

int qvr_parser_result_code(const qvr_parser *p, int32_t *code)
{
    if (!p->have_code)
        return 0;
    if (code)
        *code = p->code;
    return 1;
}

enum qvr_parse_error qvr_parser_error(const qvr_parser *p)
{
    return p->err;
}

const char *qvr_parser_message(const qvr_parser *p)
{
    return p->msg;
}

uint32_t qvr_parser_server_code(const qvr_parser *p)
{
    return p->server_code;
}

size_t qvr_parser_buffered(const qvr_parser *p)
{
    size_t n = p->end - p->pos;
    return p->loan && p->in != p->loan ? n + p->loan_len - p->loan_pos : n;
}

enum qvr_audio_layout qvr_parser_audio_layout(const qvr_parser *p)
{
    return p->layout;
}
