/*
 * test_parser.c - unit tests of the incremental stream parser (TAP).
 *
 * Builds synthetic bodies (source frames in every audio layout, JPEG-mode
 * records, error bodies, malformed input), feeds each whole, one byte at a
 * time and in random chunk sizes, and checks that every chunking yields the
 * same frames, byte for byte, and the frames the body was built from.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "tap.h"

/* ---- stream builder ---------------------------------------------------- */

struct sbuf {
    uint8_t *d;
    size_t n, cap;
};

static void put(struct sbuf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n)
            cap *= 2;
        b->d = realloc(b->d, cap);
        if (!b->d)
            abort();
        b->cap = cap;
    }
    if (n)
        memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void put_str(struct sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* what a frame must come out as */
struct exp {
    char fourcc[5];
    uint32_t flags, w, h, reserved, size, sr;
    uint16_t bits, ch;
    uint64_t ts;
    char osd[QVR_OSD_LEN + 1];
    size_t hoff, hlen, doff, dlen;
};

#define MAX_EXP 512

struct stream {
    struct sbuf b;
    struct exp e[MAX_EXP];
    size_t ne;
    size_t maxframe;   /* longest frame in bytes, for the buffer bound */
};

/* payload bytes that look like H.264 NAL units (or noise for audio) */
static void put_payload(struct sbuf *b, size_t n, uint32_t seed, int nal)
{
    uint8_t tmp[256];
    size_t i = 0;
    seed = seed * 2654435761u + 1;
    while (i < n) {
        size_t k = n - i < sizeof tmp ? n - i : sizeof tmp;
        for (size_t j = 0; j < k; j++)
            tmp[j] = (uint8_t)rng_next(&seed);
        if (i == 0 && nal && k >= 5) {
            tmp[0] = 0;
            tmp[1] = 0;
            tmp[2] = 0;
            tmp[3] = 1;
            tmp[4] = (uint8_t)nal;
        }
        put(b, tmp, k);
        i += k;
    }
}

static void put_header(struct sbuf *b, const char *fourcc, uint32_t flags, uint32_t w,
                       uint32_t h, uint64_t ts, const char *osd, uint32_t reserved,
                       uint32_t size)
{
    uint8_t hd[QVR_HDR_SIZE];
    memset(hd, 0, sizeof hd);
    memcpy(hd + QVR_OFF_FOURCC, fourcc, 4);
    qvr_put_le32(hd + QVR_OFF_FLAGS, flags);
    qvr_put_le32(hd + QVR_OFF_WIDTH, w);
    qvr_put_le32(hd + QVR_OFF_HEIGHT, h);
    qvr_put_le64(hd + QVR_OFF_TIMESTAMP, ts);
    memcpy(hd + QVR_OFF_OSD, osd, strlen(osd) < QVR_OSD_LEN ? strlen(osd) : QVR_OSD_LEN);
    qvr_put_le32(hd + QVR_OFF_RESERVED, reserved);
    qvr_put_le32(hd + QVR_OFF_SIZE, size);
    put(b, hd, sizeof hd);
}

static struct exp *new_exp(struct stream *s, const char *fourcc, uint32_t flags, uint32_t w,
                           uint32_t h, uint64_t ts, const char *osd, uint32_t reserved,
                           uint32_t size)
{
    struct exp *e = &s->e[s->ne++];
    if (s->ne > MAX_EXP)
        abort();
    memset(e, 0, sizeof *e);
    memcpy(e->fourcc, fourcc, 4);
    e->flags = flags;
    e->w = w;
    e->h = h;
    e->ts = ts;
    snprintf(e->osd, sizeof e->osd, "%s", osd);
    e->reserved = reserved;
    e->size = size;
    e->hoff = s->b.n;
    return e;
}

static void end_exp(struct stream *s, struct exp *e)
{
    if (s->b.n - e->hoff > s->maxframe)
        s->maxframe = s->b.n - e->hoff;
}

static void add_video(struct stream *s, const char *fourcc, int key, uint32_t w, uint32_t h,
                      uint64_t ts, const char *osd, uint32_t reserved, size_t len)
{
    uint32_t flags = key ? 1u : 0u;
    struct exp *e = new_exp(s, fourcc, flags, w, h, ts, osd, reserved, (uint32_t)len);
    uint8_t pad[64];
    put_header(&s->b, fourcc, flags, w, h, ts, osd, reserved, (uint32_t)len);
    memset(pad, 0xee, sizeof pad);
    for (uint32_t i = 0; i < reserved; i += sizeof pad)
        put(&s->b, pad, reserved - i < sizeof pad ? reserved - i : sizeof pad);
    e->hlen = QVR_HDR_SIZE;
    e->doff = s->b.n;
    e->dlen = len;
    put_payload(&s->b, len, (uint32_t)ts, key ? 0x65 : 0x41);
    end_exp(s, e);
}

/* layout: 'a' reserved 8 + ext + size; 'b' reserved 0 + ext + size;
 * 'c' reserved 8 + ext + size-8 (size counts ext); 'd' reserved 0, no ext */
static void add_audio(struct stream *s, int layout, const char *fourcc, uint64_t ts,
                      const char *osd, uint32_t rate, uint16_t bits, uint16_t ch, size_t len)
{
    uint32_t reserved = layout == 'a' || layout == 'c' ? 8 : 0;
    uint32_t size = (uint32_t)len + (layout == 'c' ? 8 : 0);
    struct exp *e = new_exp(s, fourcc, 1, 0, 0, ts, osd, reserved, size);
    uint8_t ext[8];
    put_header(&s->b, fourcc, 1, 0, 0, ts, osd, reserved, size);
    if (layout != 'd') {
        qvr_put_le32(ext, rate);
        qvr_put_le16(ext + 4, bits);
        qvr_put_le16(ext + 6, ch);
        put(&s->b, ext, sizeof ext);
        e->sr = rate;
        e->bits = bits;
        e->ch = ch;
    }
    e->hlen = s->b.n - e->hoff;
    e->doff = s->b.n;
    e->dlen = len;
    put_payload(&s->b, len, (uint32_t)ts ^ 0x5a5a5a5au, 0);
    end_exp(s, e);
}

static void stream_free(struct stream *s)
{
    free(s->b.d);
    free(s);
}

static struct stream *stream_new(const char *prefix)
{
    struct stream *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    put_str(&s->b, prefix);
    return s;
}

/* 2 s of a 25 fps camera: a key frame every 25, audio every 2nd frame,
 * a 16-byte reserved gap on some video frames */
static struct stream *recorded_stream(int layout)
{
    struct stream *s = stream_new("0\n");
    uint64_t t0 = 1700000000000ull;
    for (int i = 0; i < 50; i++) {
        int key = i % 25 == 0;
        uint32_t res = i % 7 == 3 ? 16 : 0;
        size_t len = key ? 30000 + (size_t)i * 13 : 1500 + (size_t)(i * 397) % 6000;
        add_video(s, "q264", key, 1920, 1080, t0 + (uint64_t)i * 40,
                  "Front Door", res, len);
        if (i % 2 == 1)
            add_audio(s, layout, "G711", t0 + (uint64_t)i * 40 + 5, "Front Door", 8000, 16, 1,
                      320);
    }
    return s;
}

/* ---- running the parser ------------------------------------------------ */

struct rec {
    struct qvr_frame f;
    uint8_t *hdr, *data;
};

struct result {
    struct rec *r;
    size_t n, cap;
    int status;
    enum qvr_parse_error err;
    char msg[256];
    uint32_t server_code;
    enum qvr_audio_layout layout;
    int have_code;
    int32_t code;
    int unbounded;     /* buffered bytes went over the frame + chunk bound */
    int premature;     /* an error came before finish() */
    int unread_bad;    /* a frame given back came back different */
};

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (!d)
        abort();
    if (n)
        memcpy(d, p, n);
    return d;
}

static void record(struct result *res, const struct qvr_frame *f);

static int drain(qvr_parser *p, struct result *res)
{
    struct qvr_frame f;
    int st;
    while ((st = qvr_parser_next(p, &f)) == QVR_PARSE_FRAME)
        record(res, &f);
    return st;
}

static int same_frame_at(const struct qvr_frame *x, const struct qvr_frame *y)
{
    return x->header == y->header && x->data == y->data && x->len == y->len &&
           x->header_len == y->header_len && x->timestamp == y->timestamp &&
           strcmp(x->fourcc, y->fourcc) == 0;
}

/* As drain, but gives back about every third frame (qvr_parser_unread)
 * and takes it again: it must come back the same, at the same place. */
static int drain_unread(qvr_parser *p, struct result *res, uint32_t *rng)
{
    struct qvr_frame f, g;
    int st;
    while ((st = qvr_parser_next(p, &f)) == QVR_PARSE_FRAME) {
        if (rng_next(rng) % 3 == 0) {
            qvr_parser_unread(p);
            if (qvr_parser_next(p, &g) != QVR_PARSE_FRAME || !same_frame_at(&f, &g))
                res->unread_bad = 1;
        }
        record(res, &f);
    }
    return st;
}

static void record(struct result *res, const struct qvr_frame *fp)
{
    struct qvr_frame f = *fp;
    {
        if (res->n == res->cap) {
            res->cap = res->cap ? res->cap * 2 : 64;
            res->r = realloc(res->r, res->cap * sizeof *res->r);
            if (!res->r)
                abort();
        }
        res->r[res->n].f = f;
        res->r[res->n].hdr = dup_bytes(f.header, f.header_len);
        res->r[res->n].data = dup_bytes(f.data, f.len);
        res->n++;
    }
}

static void result_free(struct result *res)
{
    for (size_t i = 0; i < res->n; i++) {
        free(res->r[i].hdr);
        free(res->r[i].data);
    }
    free(res->r);
    memset(res, 0, sizeof *res);
}

/* chunking: 0 whole, 1 one byte at a time, other values seed random sizes;
 * LEND + c: the same chunks, most of them lent (qvr_parser_lend, a copy
 * wiped and freed at settle) instead of fed, with frames given back */
#define LEND 100u
static size_t chunk_size(uint32_t *rng, unsigned chunking, size_t left)
{
    size_t k;
    chunking %= LEND;
    if (chunking == 0)
        return left;
    if (chunking == 1)
        return 1;
    switch (rng_next(rng) % 4) {
    case 0: k = 1 + rng_next(rng) % 8; break;
    case 1: k = 1 + rng_next(rng) % 100; break;
    case 2: k = 1 + rng_next(rng) % 5000; break;
    default: k = 1 + rng_next(rng) % 70000; break;
    }
    return k < left ? k : left;
}

static void run(const uint8_t *s, size_t n, const struct qvr_parser_opts *o,
                unsigned chunking, size_t bound, struct result *res)
{
    qvr_parser *p = qvr_parser_new(o);
    uint32_t rng = chunking * 2654435761u + 12345;
    size_t off = 0;
    int st = QVR_PARSE_NEED_MORE;
    memset(res, 0, sizeof *res);
    if (!p)
        abort();
    while (off < n && st != QVR_PARSE_ERROR) {
        size_t k = chunk_size(&rng, chunking, n - off);
        if (chunking >= LEND && rng_next(&rng) % 3 != 0) {
            uint8_t *tmp = dup_bytes(s + off, k);
            qvr_parser_lend(p, tmp, k);
            st = drain_unread(p, res, &rng);
            if (qvr_parser_settle(p) != 0)
                abort();
            memset(tmp, 0xa5, k);
            free(tmp);
        } else {
            if (qvr_parser_feed(p, s + off, k) != 0)
                abort();
            st = drain(p, res);
        }
        if (bound && qvr_parser_buffered(p) > bound + k)
            res->unbounded = 1;
        off += k;
    }
    res->premature = st == QVR_PARSE_ERROR;
    qvr_parser_finish(p);
    st = drain(p, res);
    res->status = st;
    res->err = qvr_parser_error(p);
    snprintf(res->msg, sizeof res->msg, "%s", qvr_parser_message(p));
    res->server_code = qvr_parser_server_code(p);
    res->layout = qvr_parser_audio_layout(p);
    res->have_code = qvr_parser_result_code(p, &res->code);
    if (qvr_parser_next(p, &(struct qvr_frame){0}) != st)
        res->status = 99;   /* END and ERROR must stick */
    qvr_parser_free(p);
}

static int same_frame(const struct rec *a, const struct rec *b)
{
    const struct qvr_frame *x = &a->f, *y = &b->f;
    return strcmp(x->fourcc, y->fourcc) == 0 && x->media == y->media &&
           x->codec == y->codec && x->flags == y->flags && x->key == y->key &&
           x->width == y->width && x->height == y->height && x->timestamp == y->timestamp &&
           strcmp(x->osd, y->osd) == 0 && x->reserved == y->reserved && x->size == y->size &&
           x->sample_rate == y->sample_rate && x->bits == y->bits &&
           x->channels == y->channels && x->header_len == y->header_len && x->len == y->len &&
           memcmp(a->hdr, b->hdr, x->header_len) == 0 && memcmp(a->data, b->data, x->len) == 0;
}

static int same_result(const struct result *a, const struct result *b)
{
    if (a->n != b->n || a->status != b->status || a->err != b->err ||
        strcmp(a->msg, b->msg) != 0 || a->layout != b->layout)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (!same_frame(&a->r[i], &b->r[i]))
            return 0;
    return 1;
}

/* the frames against what the stream was built from; index of the first
 * mismatch, or -1 */
static long check_expected(const struct stream *s, const struct result *res)
{
    if (res->n != s->ne)
        return (long)(res->n < s->ne ? res->n : s->ne);
    for (size_t i = 0; i < s->ne; i++) {
        const struct exp *e = &s->e[i];
        const struct qvr_frame *f = &res->r[i].f;
        const struct qvr_fourcc_info *fi = qvr_fourcc_lookup((const uint8_t *)e->fourcc);
        static const struct qvr_fourcc_info jpeg = {"JPEG", QVR_MEDIA_VIDEO, QVR_CODEC_JPEG};
        if (strcmp(e->fourcc, "JPEG") == 0)
            fi = &jpeg;
        if (strcmp(f->fourcc, e->fourcc) != 0 || !fi || f->media != fi->media ||
            f->codec != fi->codec || f->flags != e->flags || f->key != (int)(e->flags & 1) ||
            f->width != e->w || f->height != e->h || f->timestamp != e->ts ||
            strcmp(f->osd, e->osd) != 0 || f->reserved != e->reserved ||
            f->size != e->size || f->sample_rate != e->sr || f->bits != e->bits ||
            f->channels != e->ch || f->header_len != e->hlen || f->len != e->dlen ||
            memcmp(res->r[i].hdr, s->b.d + e->hoff, e->hlen) != 0 ||
            memcmp(res->r[i].data, s->b.d + e->doff, e->dlen) != 0)
            return (long)i;
    }
    return -1;
}

static const struct qvr_parser_opts *opts(enum qvr_parse_mode mode, uint32_t max,
                                          enum qvr_audio_layout audio)
{
    static struct qvr_parser_opts o;
    o.mode = mode;
    o.max_size = max;
    o.audio = audio;
    return &o;
}

#define SRC_AUTO opts(QVR_MODE_SOURCE, 0, QVR_AUDIO_AUTO)

static const unsigned chunkings[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                     LEND, LEND + 1, LEND + 2, LEND + 3, LEND + 4, LEND + 5};
#define N_CHUNKINGS (sizeof chunkings / sizeof chunkings[0])

/* Runs every chunking; checks they agree with each other and the stream's
 * frames and end with END (or the expected error).  Returns the whole-feed
 * result in *out (caller frees). */
static void check_all_chunkings(const char *what, const struct stream *s,
                                const struct qvr_parser_opts *o, int want_status,
                                struct result *out)
{
    struct qvr_parser_opts oc = *o;
    int agree = 1, bounded = 1, unread_ok = 1;
    long bad;
    run(s->b.d, s->b.n, &oc, 0, s->maxframe + 1024, out);
    for (size_t i = 1; i < N_CHUNKINGS; i++) {
        struct result r;
        run(s->b.d, s->b.n, &oc, chunkings[i], s->maxframe + 1024, &r);
        if (!same_result(out, &r)) {
            agree = 0;
            printf("# %s: chunking %u differs: %zu frames, status %d, \"%s\"\n", what,
                   chunkings[i], r.n, r.status, r.msg);
        }
        bounded &= !r.unbounded;
        unread_ok &= !r.unread_bad;
        result_free(&r);
    }
    tap_ok(agree, "%s: whole, 1-byte and %zu random chunkings, fed or lent, give identical "
           "frames", what, N_CHUNKINGS - 2);
    tap_ok(unread_ok, "%s: a frame given back (qvr_parser_unread) comes back the same", what);
    tap_ok(bounded, "%s: buffer never holds more than one frame plus the chunk", what);
    tap_ok(out->status == want_status, "%s: ends with status %d (got %d: %s)", what,
           want_status, out->status, out->msg);
    if (want_status == QVR_PARSE_END) {
        bad = check_expected(s, out);
        tap_ok(bad < 0, "%s: all %zu frames match the stream they were built from%s", what,
               s->ne, bad < 0 ? "" : " (mismatch)");
        if (bad >= 0)
            printf("# first mismatch at frame %ld (got %zu frames)\n", bad, out->n);
    }
}

/* one run of a literal body */
static void run_body(const void *body, size_t n, const struct qvr_parser_opts *o,
                     struct result *res)
{
    run(body, n, o, 0, 0, res);
}

static int contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* ---- tests --------------------------------------------------------------- */

static void test_recorded_stream(void)
{
    struct stream *s = recorded_stream('a');
    struct result r;
    check_all_chunkings("recorded stream (video + G.711, layout a)", s, SRC_AUTO,
                        QVR_PARSE_END, &r);
    tap_ok(r.n == 75, "recorded stream: 50 video + 25 audio frames (got %zu)", r.n);
    tap_ok(r.layout == QVR_AUDIO_EXT_THEN_SIZE, "recorded stream: layout locked to ext+size");
    tap_ok(r.have_code && r.code == 0, "recorded stream: result code 0");
    tap_ok(r.n > 1 && r.r[0].f.codec == QVR_CODEC_H264 && r.r[0].f.key &&
           r.r[0].f.media == QVR_MEDIA_VIDEO && r.r[1].f.key == 0,
           "recorded stream: q264 maps to h264 video, key flag from bit 0");
    tap_ok(r.n > 2 && r.r[2].f.media == QVR_MEDIA_AUDIO && r.r[2].f.codec == QVR_CODEC_G711 &&
           r.r[2].f.sample_rate == 8000 && r.r[2].f.bits == 16 && r.r[2].f.channels == 1 &&
           r.r[2].f.len == 320 && r.r[2].f.header_len == 64,
           "recorded stream: audio frame fields and 64-byte header");
    tap_ok(r.n > 4 && r.r[4].f.reserved == 16 && r.r[4].f.len == r.r[4].f.size &&
           r.r[4].data[0] == 0 && r.r[4].data[3] == 1 && r.r[4].data[4] == 0x41,
           "recorded stream: video reserved gap skipped (payload starts at the NAL)");
    result_free(&r);
    stream_free(s);
}

static void test_audio_layouts(void)
{
    static const struct {
        int layout;
        enum qvr_audio_layout want;
    } cases[] = {
        {'a', QVR_AUDIO_EXT_THEN_SIZE},
        {'b', QVR_AUDIO_EXT_THEN_SIZE},
        {'c', QVR_AUDIO_SIZE_INCLUDES_EXT},
        {'d', QVR_AUDIO_SIZE_INCLUDES_EXT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct stream *s = stream_new("0\n");
        uint64_t t = 1700000100000ull;
        struct result r;
        char what[96];
        const char *afcc[] = {"G711", "FAAC", "G726", "PCM "};
        /* audio first, audio twice in a row, audio last */
        add_audio(s, cases[i].layout, afcc[i], t, "Cam 2", 16000, 16, 2, 640);
        add_audio(s, cases[i].layout, afcc[i], t + 20, "Cam 2", 16000, 16, 2, 77);
        add_video(s, "Q264", 1, 1280, 720, t + 25, "Cam 2", 0, 9000);
        add_audio(s, cases[i].layout, afcc[i], t + 40, "Cam 2", 16000, 16, 2, 8);
        add_video(s, "qMP4", 0, 1280, 720, t + 65, "Cam 2", 8, 1200);
        add_audio(s, cases[i].layout, afcc[i], t + 60, "Cam 2", 16000, 16, 2, 500);

        snprintf(what, sizeof what, "audio layout (%c) auto-detected", cases[i].layout);
        check_all_chunkings(what, s, SRC_AUTO, QVR_PARSE_END, &r);
        tap_ok(r.layout == cases[i].want, "audio layout (%c): detected layout %d (got %d)",
               cases[i].layout, cases[i].want, r.layout);
        result_free(&r);

        snprintf(what, sizeof what, "audio layout (%c) forced", cases[i].layout);
        check_all_chunkings(what, s, opts(QVR_MODE_SOURCE, 0, cases[i].want), QVR_PARSE_END,
                            &r);
        result_free(&r);

        /* the wrong layout forced loses sync and says so */
        run_body(s->b.d, s->b.n,
                 opts(QVR_MODE_SOURCE, 0,
                      cases[i].want == QVR_AUDIO_EXT_THEN_SIZE ? QVR_AUDIO_SIZE_INCLUDES_EXT
                                                               : QVR_AUDIO_EXT_THEN_SIZE),
                 &r);
        tap_ok(r.status == QVR_PARSE_ERROR && r.err == QVR_PERR_FOURCC,
               "audio layout (%c): the wrong forced layout fails with FOURCC (%s)",
               cases[i].layout, r.msg);
        result_free(&r);
        stream_free(s);
    }
}

/* the only audio frame is the last one: decided by the exact end */
static void test_audio_at_end(void)
{
    static const int layouts[] = {'a', 'b', 'c', 'd'};
    for (size_t i = 0; i < 4; i++) {
        struct stream *s = stream_new("0\n");
        struct result r;
        char what[64];
        add_video(s, "q264", 1, 640, 480, 1700000200000ull, "Yard", 0, 700);
        add_audio(s, layouts[i], "A711", 1700000200010ull, "Yard", 8000, 8, 1, 160);
        snprintf(what, sizeof what, "audio (%c) as the last frame", layouts[i]);
        check_all_chunkings(what, s, SRC_AUTO, QVR_PARSE_END, &r);
        result_free(&r);
        stream_free(s);
    }
}

static void test_undecided_audio_waits(void)
{
    struct stream *s = stream_new("0\n");
    qvr_parser *p = qvr_parser_new(NULL);
    struct qvr_frame f;
    size_t cut;
    add_audio(s, 'a', "G711", 1700000300000ull, "Lobby", 8000, 16, 1, 100);
    add_video(s, "q264", 1, 640, 480, 1700000300001ull, "Lobby", 0, 50);
    cut = s->e[1].hoff + 3;   /* all of the audio frame, 3 bytes of the next fourcc */
    qvr_parser_feed(p, s->b.d, cut);
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_NEED_MORE &&
           qvr_parser_audio_layout(p) == QVR_AUDIO_AUTO,
           "auto layout: first audio frame waits for the next fourcc");
    qvr_parser_feed(p, s->b.d + cut, 1);
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_FRAME && f.len == 100 &&
           qvr_parser_audio_layout(p) == QVR_AUDIO_EXT_THEN_SIZE,
           "auto layout: decided and locked once the fourcc is there");
    qvr_parser_free(p);
    stream_free(s);
}

static void test_code_line_variants(void)
{
    static const struct {
        const char *prefix;
        const char *what;
    } ok[] = {
        {"0\n", "plain \"0\\n\""},
        {"0\r\n", "\"0\\r\\n\""},
        {"\n0\n", "leading blank line"},
        {"\r\n0\r\n", "leading blank CRLF line"},
        {"v1\n0\n", "leading version line v1"},
        {"1.0\n0\n", "leading version line 1.0"},
        {"QVR/1.0\r\n0\r\n", "leading version line QVR/1.0 with CRLF"},
        {" 0 \n", "code with spaces"},
        {"0x0\n", "code in hex"},
        {"1\n0\n", "leading integer version line 1"},
        {"2\r\n0\r\n", "leading integer version line 2 with CRLF"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct stream *s = stream_new(ok[i].prefix);
        struct result r;
        char what[96];
        add_video(s, "QIVG", 1, 352, 288, 1600000000000ull, "Gate", 0, 400);
        add_audio(s, 'a', "QAAC", 1600000000010ull, "Gate", 44100, 16, 2, 200);
        snprintf(what, sizeof what, "code line: %s", ok[i].what);
        check_all_chunkings(what, s, SRC_AUTO, QVR_PARSE_END, &r);
        tap_ok(r.have_code && r.code == 0, "code line: %s gives result code 0", ok[i].what);
        result_free(&r);
        stream_free(s);
    }
}

static void test_code_only(void)
{
    struct result r;
    run_body("0\n", 2, SRC_AUTO, &r);
    tap_ok(r.status == QVR_PARSE_END && r.n == 0 && r.have_code,
           "\"0\\n\" alone: END with no frames");
    result_free(&r);
    run_body("0", 1, SRC_AUTO, &r);
    tap_ok(r.status == QVR_PARSE_END && r.have_code && r.code == 0,
           "\"0\" without newline at finish: END");
    result_free(&r);
    run_body("v1\n0", 4, SRC_AUTO, &r);
    tap_ok(r.status == QVR_PARSE_END && r.have_code, "\"v1\\n0\" at finish: END");
    result_free(&r);
}

static void test_server_codes(void)
{
    static const char *const bodies[] = {
        "-1828716539\n", "2466250757\n", "0x93000005\n", "v1\n-1828716539\r\n",
        "\n-1828716539", "1\n-1828716539\n",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct stream *s = stream_new(bodies[i]);
        struct result r;
        char what[64];
        snprintf(what, sizeof what, "server error body #%zu", i + 1);
        check_all_chunkings(what, s, SRC_AUTO, QVR_PARSE_ERROR, &r);
        tap_ok(r.err == QVR_PERR_SERVER_CODE && r.server_code == 0x93000005u &&
               r.have_code && r.code == -1828716539 && contains(r.msg, "0x93000005") &&
               contains(r.msg, "AUTH_FAILED"),
               "%s: SERVER_CODE 0x93000005, result code -1828716539 (%s)", what, r.msg);
        result_free(&r);
        stream_free(s);
    }
    {   /* the error comes at once, without waiting for finish */
        qvr_parser *p = qvr_parser_new(NULL);
        struct qvr_frame f;
        qvr_parser_feed(p, (const uint8_t *)"-1325400063\n", 12);
        tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_ERROR &&
               qvr_parser_server_code(p) == 0xB1000001u,
               "server error reported before finish()");
        tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_ERROR &&
               qvr_parser_feed(p, (const uint8_t *)"0\n", 2) == 0 &&
               qvr_parser_next(p, &f) == QVR_PARSE_ERROR &&
               qvr_parser_error(p) == QVR_PERR_SERVER_CODE,
               "after an error next() keeps returning ERROR, also after feed");
        qvr_parser_free(p);
    }
    {
        struct result r;
        run_body("-5\n", 3, SRC_AUTO, &r);
        tap_ok(r.status == QVR_PARSE_ERROR && r.server_code == 0xFFFFFFFBu &&
               contains(r.msg, "0xFFFFFFFB"),
               "an unknown server code is still reported in hex (%s)", r.msg);
        result_free(&r);
    }
}

#define X8 "XXXXXXXX"

static void test_bad_code_lines(void)
{
    static const struct {
        const char *body;
        size_t len;
        const char *what, *needle;
    } bad[] = {
        {"", 0, "empty body", "empty body"},
        {"\n", 0, "only a blank line", "without a result-code line"},
        {"v1\n", 0, "only a version line", "without a result-code line"},
        {"q264\x01\x00\x00\x00", 8, "binary garbage", "binary"},
        {"\x00\x01\x02\n0\n", 5, "binary line before the code", "binary"},
        {"v1\nOK\n0\n", 0, "two non-code lines", "after \"v1\""},
        {"\nv1\n0\n", 0, "blank then version line", "after"},
        {"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body>"
         "</html>\n", 0, "a line longer than 64 bytes", "without a newline"},
        {"v1\nThis line is neither a code nor short enough to show in full\n", 0,
         "long second line (shown shortened)", "...\""},
        {"0\r1\n", 0, "carriage return inside the line", "expected"},
        {"12abc\n0\n" X8 X8 X8 X8 X8 X8 X8, 0, "junk line, code, bad frame", "fourcc"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct stream *s = stream_new("");
        struct result r;
        char what[96];
        put(&s->b, bad[i].body, bad[i].len ? bad[i].len : strlen(bad[i].body));
        snprintf(what, sizeof what, "bad code line: %s", bad[i].what);
        check_all_chunkings(what, s, SRC_AUTO, QVR_PARSE_ERROR, &r);
        tap_ok((r.err == QVR_PERR_CODE_LINE || strstr(bad[i].what, "bad frame")) &&
               contains(r.msg, bad[i].needle),
               "%s: error %d \"%s\"", what, r.err, r.msg);
        result_free(&r);
        stream_free(s);
    }
}

static void test_too_big(void)
{
    struct sbuf b = {0};
    struct result r;
    qvr_parser *p;
    struct qvr_frame f;
    /* custom small max: rejected from the header alone */
    put_str(&b, "0\n");
    put_header(&b, "q264", 1, 640, 480, 1700000000000ull, "Cam", 0, 2000);
    p = qvr_parser_new(opts(QVR_MODE_SOURCE, 1000, QVR_AUDIO_AUTO));
    qvr_parser_feed(p, b.d, b.n);
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_ERROR && qvr_parser_error(p) == QVR_PERR_TOO_BIG,
           "size over a custom max_size: TOO_BIG from the header alone (%s)",
           qvr_parser_message(p));
    qvr_parser_free(p);
    /* exactly the max is fine */
    b.n = 0;
    put_str(&b, "0\n");
    put_header(&b, "q264", 1, 640, 480, 1700000000000ull, "Cam", 0, 1000);
    put_payload(&b, 1000, 1, 0x65);
    run_body(b.d, b.n, opts(QVR_MODE_SOURCE, 1000, QVR_AUDIO_AUTO), &r);
    tap_ok(r.status == QVR_PARSE_END && r.n == 1 && r.r[0].f.len == 1000,
           "size equal to max_size is accepted");
    result_free(&r);
    /* 0xFFFFFFFF with the default max */
    b.n = 0;
    put_str(&b, "0\n");
    put_header(&b, "Q264", 1, 640, 480, 1700000000000ull, "Cam", 0, 0xFFFFFFFFu);
    run_body(b.d, b.n, SRC_AUTO, &r);
    tap_ok(r.status == QVR_PARSE_ERROR && r.err == QVR_PERR_TOO_BIG && r.premature &&
           contains(r.msg, "4294967295"),
           "size 0xFFFFFFFF: TOO_BIG without waiting (%s)", r.msg);
    result_free(&r);
    /* audio 0xFFFFFFFF (the size + 8 must not wrap) */
    b.n = 0;
    put_str(&b, "0\n");
    put_header(&b, "G711", 1, 0, 0, 1700000000000ull, "Cam", 8, 0xFFFFFFF9u);
    run_body(b.d, b.n, opts(QVR_MODE_SOURCE, 0xFFFFFFFFu, QVR_AUDIO_AUTO), &r);
    tap_ok(r.status == QVR_PARSE_ERROR && r.err == QVR_PERR_TRUNCATED,
           "audio size near 4 GiB with a 4 GiB max: no wrap, clean TRUNCATED (%s)", r.msg);
    result_free(&r);
    /* reserved over 64 KiB */
    b.n = 0;
    put_str(&b, "0\n");
    put_header(&b, "q264", 1, 640, 480, 1700000000000ull, "Cam", 0x10001u, 10);
    run_body(b.d, b.n, SRC_AUTO, &r);
    tap_ok(r.status == QVR_PARSE_ERROR && r.err == QVR_PERR_TOO_BIG &&
           contains(r.msg, "reserved"),
           "reserved over 64 KiB: TOO_BIG (%s)", r.msg);
    result_free(&r);
    b.n = 0;
    put_str(&b, "0\n");
    put_header(&b, "q264", 1, 640, 480, 1700000000000ull, "Cam", 0xFFFFFFFFu, 0xFFFFFFFFu);
    run_body(b.d, b.n, SRC_AUTO, &r);
    tap_ok(r.status == QVR_PARSE_ERROR && r.err == QVR_PERR_TOO_BIG,
           "reserved and size both 0xFFFFFFFF: TOO_BIG");
    result_free(&r);
    free(b.d);
}

static void test_fourcc_and_truncation(void)
{
    struct stream *s = stream_new("0\n");
    struct result r;
    size_t full;
    add_video(s, "q264", 1, 640, 480, 1700000000000ull, "Cam", 0, 300);
    full = s->b.n;
    put_header(&s->b, "q\x00\xff" "A", 1, 640, 480, 1700000000040ull, "Cam", 0, 10);
    check_all_chunkings("unknown fourcc", s, SRC_AUTO, QVR_PARSE_ERROR, &r);
    tap_ok(r.err == QVR_PERR_FOURCC && r.n == 1 && contains(r.msg, "q\\x00\\xffA") &&
           contains(r.msg, "frame 2"),
           "unknown fourcc: FOURCC after the good frame, bytes escaped (%s)", r.msg);
    result_free(&r);

    s->b.n = full - 100;   /* the frame's last 100 bytes never come */
    check_all_chunkings("truncated frame", s, SRC_AUTO, QVR_PARSE_ERROR, &r);
    tap_ok(r.err == QVR_PERR_TRUNCATED && r.n == 0 && !r.premature &&
           contains(r.msg, "100 of 356 bytes missing") && contains(r.msg, "frame 1"),
           "truncated frame: TRUNCATED at finish with the missing count (%s)", r.msg);
    result_free(&r);

    s->b.n = 2 + 20;       /* 20 bytes of a header */
    run_body(s->b.d, s->b.n, SRC_AUTO, &r);
    tap_ok(r.err == QVR_PERR_TRUNCATED && contains(r.msg, "header") &&
           contains(r.msg, "36 of 56"),
           "truncated header: TRUNCATED (%s)", r.msg);
    result_free(&r);
    stream_free(s);

    s = recorded_stream('c');
    s->b.n -= 5;           /* the last audio frame misses 5 bytes */
    check_all_chunkings("recorded stream (layout c) cut short", s, SRC_AUTO, QVR_PARSE_ERROR,
                        &r);
    tap_ok(r.err == QVR_PERR_TRUNCATED && r.n == s->ne - 1 && contains(r.msg, "G711") &&
           contains(r.msg, "5 of"),
           "cut-short stream: every complete frame, then TRUNCATED (%s)", r.msg);
    result_free(&r);
    stream_free(s);
}

/* ---- JPEG mode ----------------------------------------------------------- */

/* a tiny JPEG-like blob: SOI, APP0, optional SOFn with w x h, SOS, data, EOI */
static void put_jpeg(struct sbuf *b, int sof, uint16_t w, uint16_t h, size_t extra)
{
    static const uint8_t app0[] = {0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0,
                                   0, 1, 0, 1, 0, 0};
    uint8_t sofs[19] = {0xff, 0xc0, 0x00, 0x11, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1,
                        3, 0x11, 1};
    static const uint8_t sos[] = {0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0};
    static const uint8_t eoi[] = {0xff, 0xd9};
    put(b, "\xff\xd8", 2);
    put(b, app0, sizeof app0);
    if (sof >= 0) {
        sofs[1] = (uint8_t)(0xc0 + sof);
        sofs[5] = (uint8_t)(h >> 8);
        sofs[6] = (uint8_t)h;
        sofs[7] = (uint8_t)(w >> 8);
        sofs[8] = (uint8_t)w;
        put(b, "\xff\xff", 1);   /* a fill byte before the marker */
        put(b, sofs, sizeof sofs);
    }
    put(b, sos, sizeof sos);
    put_payload(b, extra, (uint32_t)extra, 0);
    put(b, eoi, sizeof eoi);
}

struct jrec {
    const char *name, *ts_text;
    uint64_t ts;
    int sof;
    uint16_t w, h;
    size_t extra;
    const char *eol;
};

static void add_jpeg(struct stream *s, const struct jrec *j)
{
    struct sbuf img = {0};
    char line[128];
    struct exp *e;
    put_jpeg(&img, j->sof, j->w, j->h, j->extra);
    e = new_exp(s, "JPEG", 1, j->sof >= 0 ? j->w : 0, j->sof >= 0 ? j->h : 0, j->ts, j->name,
                0, (uint32_t)img.n);
    put_str(&s->b, j->name);
    put_str(&s->b, j->eol);
    put_str(&s->b, j->ts_text);
    put_str(&s->b, j->eol);
    snprintf(line, sizeof line, "%zu%s", img.n, j->eol);
    put_str(&s->b, line);
    e->hlen = s->b.n - e->hoff;
    e->doff = s->b.n;
    e->dlen = img.n;
    put(&s->b, img.d, img.n);
    end_exp(s, e);
    free(img.d);
}

#define JPEG_OPTS opts(QVR_MODE_JPEG, 0, QVR_AUDIO_AUTO)

static struct stream *jpeg_stream(void)
{
    static const struct jrec recs[] = {
        {"Front Door", "1700000000000", 1700000000000ull, 0, 1920, 1080, 5000, "\n"},
        {"Front Door", "2023-11-14 22:13:21", 1700000001000ull, 2, 1280, 720, 3000, "\n"},
        {"Front Door", "2023-11-14 22:13:22.250", 1700000002250ull, -1, 0, 0, 100, "\r\n"},
        {"A camera with a rather long channel name", "2023-11-14T22:13:23.5Z",
         1700000003500ull, 1, 640, 480, 0, "\n"},
    };
    struct stream *s = stream_new("v1\n0\n");
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
        add_jpeg(s, &recs[i]);
    return s;
}

static void test_jpeg_mode(void)
{
    struct stream *s = jpeg_stream();
    struct result r;
    check_all_chunkings("JPEG mode records", s, JPEG_OPTS, QVR_PARSE_END, &r);
    tap_ok(r.n == 4 && strcmp(r.r[0].f.fourcc, "JPEG") == 0 &&
           r.r[0].f.codec == QVR_CODEC_JPEG && r.r[0].f.media == QVR_MEDIA_VIDEO &&
           r.r[0].f.key == 1,
           "JPEG mode: fourcc JPEG, codec jpeg, video, key");
    tap_ok(r.n == 4 && r.r[0].f.width == 1920 && r.r[0].f.height == 1080 &&
           r.r[1].f.width == 1280 && r.r[1].f.height == 720 && r.r[2].f.width == 0 &&
           r.r[3].f.width == 640,
           "JPEG mode: width/height from SOF0/SOF2/SOF1, 0 without SOF");
    tap_ok(r.n == 4 && r.r[1].f.timestamp == 1700000001000ull &&
           r.r[2].f.timestamp == 1700000002250ull,
           "JPEG mode: date-string timestamps read as UTC, with milliseconds");
    tap_ok(r.n == 4 && strcmp(r.r[3].f.osd, "A camera with a rather l") == 0,
           "JPEG mode: long name truncated to 24 chars (%s)", r.n == 4 ? r.r[3].f.osd : "");
    tap_ok(r.n == 4 && r.r[0].f.header_len == strlen("Front Door\n1700000000000\n5052\n"),
           "JPEG mode: header is the three text lines");
    result_free(&r);

    /* blank line between records tolerated */
    {
        struct stream *t = stream_new("0\n");
        struct jrec j = {"Yard", "1700000000000", 1700000000000ull, 0, 320, 240, 10, "\n"};
        add_jpeg(t, &j);
        put_str(&t->b, "\r\n");
        j.ts_text = "1700000000040";
        j.ts = 1700000000040ull;
        add_jpeg(t, &j);
        put_str(&t->b, "\n");
        check_all_chunkings("JPEG mode with blank lines between records", t, JPEG_OPTS,
                            QVR_PARSE_END, &r);
        result_free(&r);
        stream_free(t);
    }
    stream_free(s);
}

static void test_jpeg_errors(void)
{
    static const struct {
        const char *body;
        enum qvr_parse_error err;
        const char *needle, *what;
    } bad[] = {
        {"0\nCam\n1700000000000\n12x\nxxxxxxxxxxxx", QVR_PERR_RECORD, "bad length",
         "non-numeric length"},
        {"0\nCam\n1700000000000\n-5\n", QVR_PERR_RECORD, "bad length", "negative length"},
        {"0\nCam\n1700000000000\n\n", QVR_PERR_RECORD, "bad length", "empty length"},
        {"0\nCam\n1700000000000\n99999999999999999999999\n", QVR_PERR_RECORD, "bad length",
         "length overflowing 64 bits"},
        {"0\nCam\n1700000000000\n40000000\n", QVR_PERR_TOO_BIG, "40000000",
         "length over max_size"},
        {"0\nCam\nyesterday\n10\n0123456789", QVR_PERR_RECORD, "bad timestamp",
         "bad timestamp"},
        {"0\nCam\n2023-02-30 10:00:00\n1\nx", QVR_PERR_RECORD, "bad timestamp",
         "impossible date"},
        {"0\nCam\n2023-01-01 10:00:00.1234\n1\nx", QVR_PERR_RECORD, "bad timestamp",
         "4 fraction digits"},
        {"0\nCam\n1700000000000\n10\n01234", QVR_PERR_TRUNCATED, "5 of 10 JPEG bytes",
         "truncated JPEG data"},
        {"0\nCam\n17000000", QVR_PERR_TRUNCATED, "timestamp line", "truncated in a line"},
        {"-1828716539\nCam\n", QVR_PERR_SERVER_CODE, "0x93000005", "server error"},
        {"0\nCam\n2023-1a-01 10:00:00\n1\nx", QVR_PERR_RECORD, "bad timestamp",
         "letter in a date"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct stream *s = stream_new(bad[i].body);
        struct result r;
        char what[96];
        snprintf(what, sizeof what, "JPEG mode: %s", bad[i].what);
        check_all_chunkings(what, s, JPEG_OPTS, QVR_PARSE_ERROR, &r);
        tap_ok(r.err == bad[i].err && contains(r.msg, bad[i].needle),
               "%s: error %d (%s)", what, r.err, r.msg);
        result_free(&r);
        stream_free(s);
    }
    {
        struct stream *s = stream_new("0\n");
        struct result r;
        for (int i = 0; i < 300; i++)
            put_str(&s->b, "n");
        put_str(&s->b, "\n1\n1\nx");
        check_all_chunkings("JPEG mode: name line over 256 bytes", s, JPEG_OPTS,
                            QVR_PARSE_ERROR, &r);
        tap_ok(r.err == QVR_PERR_RECORD && contains(r.msg, "longer than 256"),
               "JPEG mode: long line is a RECORD error (%s)", r.msg);
        result_free(&r);
        stream_free(s);
    }
    {   /* numbers with spaces around them */
        static const char body[] = "0\nCam\n 1700000000123\t\n 3 \r\nabc";
        struct result r;
        run_body(body, sizeof body - 1, JPEG_OPTS, &r);
        tap_ok(r.status == QVR_PARSE_END && r.n == 1 && r.r[0].f.len == 3 &&
               r.r[0].f.timestamp == 1700000000123ull,
               "JPEG mode: spaces around the timestamp and length are allowed");
        result_free(&r);
    }
    {   /* a line of exactly 256 bytes is fine */
        struct stream *s = stream_new("0\n");
        struct result r;
        for (int i = 0; i < 256; i++)
            put_str(&s->b, "n");
        put_str(&s->b, "\n1\n1\nx");
        run_body(s->b.d, s->b.n, JPEG_OPTS, &r);
        tap_ok(r.status == QVR_PARSE_END && r.n == 1 && r.r[0].f.len == 1 &&
               r.r[0].f.timestamp == 1,
               "JPEG mode: a 256-byte name line is accepted");
        result_free(&r);
        stream_free(s);
    }
}

static void test_jpeg_dims_bounds(void)
{
    /* SOF marker cut off at the end of the data: no read past it */
    static const uint8_t cut[] = {0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 8, 0x01};
    /* a segment length pointing past the end */
    static const uint8_t far[] = {0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 0, 0, 0, 0};
    /* not a JPEG */
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0xff, 0xc0, 0, 0x11, 8, 1, 2, 3, 4};
    const uint8_t *blobs[] = {cut, far, png};
    size_t lens[] = {sizeof cut, sizeof far, sizeof png};
    for (size_t i = 0; i < 3; i++) {
        struct sbuf b = {0};
        struct result r;
        char line[64];
        put_str(&b, "0\nCam\n1\n");
        snprintf(line, sizeof line, "%zu\n", lens[i]);
        put_str(&b, line);
        put(&b, blobs[i], lens[i]);
        run_body(b.d, b.n, JPEG_OPTS, &r);
        tap_ok(r.status == QVR_PARSE_END && r.n == 1 && r.r[0].f.width == 0 &&
               r.r[0].f.height == 0,
               "JPEG dimensions: malformed blob #%zu gives 0x0 without overreading", i + 1);
        result_free(&r);
        free(b.d);
    }
}

static void test_poll_code(void)
{
    qvr_parser *p = qvr_parser_new(NULL);
    struct qvr_frame f;
    struct sbuf b = {0};
    put_str(&b, "v1\r\n0\r\n");
    put_header(&b, "q264", 1, 640, 480, 1700000000000ull, "Cam", 0, 4);
    put(&b, "abcd", 4);
    tap_ok(qvr_parser_poll_code(p) == 0, "poll_code: 0 before any byte");
    qvr_parser_feed(p, b.d, 5);
    tap_ok(qvr_parser_poll_code(p) == 0, "poll_code: 0 after the version line only");
    qvr_parser_feed(p, b.d + 5, b.n - 5);
    tap_ok(qvr_parser_poll_code(p) == 1 && qvr_parser_buffered(p) == 60,
           "poll_code: 1 after the code line, the frame left for next()");
    tap_ok(qvr_parser_poll_code(p) == 1 && qvr_parser_next(p, &f) == QVR_PARSE_FRAME &&
           f.len == 4 && memcmp(f.data, "abcd", 4) == 0,
           "poll_code: next() then returns the frame");
    qvr_parser_free(p);

    p = qvr_parser_new(NULL);
    qvr_parser_feed(p, (const uint8_t *)"-1828716539\n", 12);
    tap_ok(qvr_parser_poll_code(p) == -1 && qvr_parser_error(p) == QVR_PERR_SERVER_CODE &&
           qvr_parser_server_code(p) == 0x93000005u,
           "poll_code: -1 on a failure code, with the server code");
    qvr_parser_free(p);

    p = qvr_parser_new(NULL);
    qvr_parser_feed(p, (const uint8_t *)"\n", 1);
    qvr_parser_finish(p);
    tap_ok(qvr_parser_poll_code(p) == -1 && qvr_parser_error(p) == QVR_PERR_CODE_LINE,
           "poll_code: -1 when the body ends without a code line");
    qvr_parser_free(p);
    free(b.d);
}

static void test_misc(void)
{
    qvr_parser *p = qvr_parser_new(NULL);
    struct qvr_frame f;
    int32_t code = 7;
    struct qvr_parser_opts bad = {(enum qvr_parse_mode)5, 0, QVR_AUDIO_AUTO};
    tap_ok(p && qvr_parser_error(p) == QVR_PERR_NONE && strcmp(qvr_parser_message(p), "") == 0,
           "new parser: no error, empty message");
    tap_ok(qvr_parser_result_code(p, &code) == 0 && code == 7,
           "result_code is 0 before the code line");
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_NEED_MORE, "nothing fed: NEED_MORE");
    qvr_parser_feed(p, (const uint8_t *)"0\nq2", 4);
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_NEED_MORE && qvr_parser_buffered(p) == 2 &&
           qvr_parser_result_code(p, &code) == 1 && code == 0,
           "code line consumed, 2 bytes of a header buffered");
    qvr_parser_free(p);
    qvr_parser_free(NULL);
    tap_ok(qvr_parser_new(&bad) == NULL, "an invalid mode is refused");

    tap_ok(strcmp(qvr_codec_name(QVR_CODEC_H264), "h264") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_MPEG4), "mpeg4") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_MJPEG), "mjpeg") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_JPEG), "jpeg") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_G711), "g711") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_G726), "g726") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_AAC), "aac") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_PCM), "pcm") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_G729), "g729") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_UNKNOWN), "unknown") == 0 &&
           strcmp(qvr_codec_name((enum qvr_codec)99), "unknown") == 0,
           "qvr_codec_name names every codec");
    tap_ok(strcmp(qvr_media_name(QVR_MEDIA_VIDEO), "video") == 0 &&
           strcmp(qvr_media_name(QVR_MEDIA_AUDIO), "audio") == 0 &&
           strcmp(qvr_media_name(QVR_MEDIA_UNKNOWN), "unknown") == 0 &&
           strcmp(qvr_media_name((enum qvr_media)42), "unknown") == 0,
           "qvr_media_name names every media kind");
}

/* every fourcc of the table passes through, with its codec */
static void test_all_fourccs(void)
{
    struct stream *s = stream_new("0\n");
    struct result r;
    uint64_t t = 1650000000000ull;
    for (size_t i = 0; i < QVR_N_FOURCCS; i++) {
        if (qvr_fourccs[i].media == QVR_MEDIA_AUDIO)
            add_audio(s, 'a', qvr_fourccs[i].fourcc, t + i, "All", 8000, 16, 1, 64 + i);
        else
            add_video(s, qvr_fourccs[i].fourcc, (int)(i & 1), 704, 576, t + i, "All",
                      (uint32_t)(i % 3) * 4, 100 + i);
    }
    check_all_chunkings("every known fourcc", s, SRC_AUTO, QVR_PARSE_END, &r);
    result_free(&r);
    stream_free(s);
}

/* A parser finished without a byte fed (fuzz_parser found the pointer
 * arithmetic on a missing buffer under UBSan). */
static void test_never_fed(void)
{
    qvr_parser *p = qvr_parser_new(NULL);
    struct qvr_frame f;
    qvr_parser_finish(p);
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_ERROR && qvr_parser_error(p) == QVR_PERR_CODE_LINE &&
           strcmp(qvr_parser_message(p), "empty body: no result-code line") == 0,
           "finished before any byte: empty body, no result-code line");
    qvr_parser_free(p);
    p = qvr_parser_new(NULL);
    tap_ok(qvr_parser_poll_code(p) == 0 && qvr_parser_next(p, &f) == QVR_PARSE_NEED_MORE,
           "polled before any byte: needs more");
    qvr_parser_free(p);
}

/* A lent chunk is read in place: whole frames in it point into it, and
 * only a frame cut at its end is copied (at settle); that frame, completed
 * from the next chunk, lies in the parser's own buffer. */
static int inside(const uint8_t *x, const uint8_t *base, size_t n)
{
    return x >= base && x < base + n;
}

static void test_lend_in_place(void)
{
    struct stream *s = stream_new("0\n");
    qvr_parser *p = qvr_parser_new(SRC_AUTO);
    struct qvr_frame f;
    uint64_t t0 = 1700000000000ull;
    int in_place = 1;
    for (int i = 0; i < 5; i++)
        add_video(s, "q264", i == 0, 1280, 720, t0 + (uint64_t)i * 100, "Lent", 0,
                  4000 + (size_t)i * 10);
    size_t cut = s->e[3].doff + 10;                /* inside frame 3's payload */
    uint8_t *a = dup_bytes(s->b.d, cut), *b = dup_bytes(s->b.d + cut, s->b.n - cut);
    qvr_parser_feed(p, a, 2);                      /* the code line, fed */
    qvr_parser_lend(p, a + 2, cut - 2);
    for (int i = 0; i < 3; i++)
        in_place &= qvr_parser_next(p, &f) == QVR_PARSE_FRAME && inside(f.data, a + 2, cut - 2) &&
                    f.len == s->e[i].dlen && memcmp(f.data, s->b.d + s->e[i].doff, f.len) == 0;
    tap_ok(in_place, "whole frames of a lent chunk point into the chunk");
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_NEED_MORE && qvr_parser_settle(p) == 0 &&
           qvr_parser_buffered(p) == cut - s->e[3].hoff,
           "settle keeps only the cut frame's bytes");
    memset(a, 0xa5, cut);                          /* the lender reuses its chunk */
    qvr_parser_lend(p, b, s->b.n - cut);
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_FRAME && !inside(f.data, b, s->b.n - cut) &&
           memcmp(f.data, s->b.d + s->e[3].doff, f.len) == 0,
           "the cut frame is completed in the parser's own buffer");
    tap_ok(qvr_parser_next(p, &f) == QVR_PARSE_FRAME && inside(f.data, b, s->b.n - cut) &&
           memcmp(f.data, s->b.d + s->e[4].doff, f.len) == 0,
           "the next whole frame points into the next chunk");
    qvr_parser_settle(p);
    free(a);
    free(b);
    qvr_parser_free(p);
    stream_free(s);
}

int main(void)
{
    test_never_fed();
    test_recorded_stream();
    test_audio_layouts();
    test_audio_at_end();
    test_undecided_audio_waits();
    test_code_line_variants();
    test_code_only();
    test_server_codes();
    test_bad_code_lines();
    test_too_big();
    test_fourcc_and_truncation();
    test_jpeg_mode();
    test_jpeg_errors();
    test_jpeg_dims_bounds();
    test_poll_code();
    test_misc();
    test_all_fourccs();
    test_lend_in_place();
    return tap_done();
}
