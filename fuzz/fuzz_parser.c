/*
 * fuzz_parser.c - libFuzzer target for the incremental stream parser.
 *
 * Input: two control bytes, then the body.
 *   byte 0: bit 0 mode (source/JPEG); bits 1-2 audio layout (auto, ext then
 *           size, size includes ext, auto); bits 3-4 max_size (default,
 *           64, 4096, 65536 bytes); bit 5: the chunked run lends its
 *           chunks (qvr_parser_lend, each a copy freed after
 *           qvr_parser_settle) instead of feeding them
 *   byte 1: chunking (0 whole, 1 one byte at a time, else random chunk
 *           sizes up to that many bytes, seeded by it)
 * The body is parsed twice, whole and chunked; both runs must give the same
 * frames and the same final status, error and message (the parser's output
 * may not depend on how the bytes arrive).  Every frame's bytes are read so
 * the sanitizers see any pointer outside the buffer.  The chunked run also
 * calls qvr_parser_poll_code() after each feed.
 *
 * Build: make build/fuzz_parser; seeds: fuzz/corpus_parser (see make_corpus.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

struct digest {
    uint64_t h;
    size_t frames;
};

static void mix(struct digest *d, const void *p, size_t n)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ s[i]) * 0x100000001b3ull;
}

static void mix_u64(struct digest *d, uint64_t v)
{
    mix(d, &v, sizeof v);
}

static void check_frame(const struct qvr_frame *f, const struct qvr_parser_opts *o,
                        struct digest *d)
{
    uint32_t max = o->max_size ? o->max_size : QVR_PARSER_DEFAULT_MAX_SIZE;
    if (f->len > max || memchr(f->osd, 0, sizeof f->osd) == NULL ||
        memchr(f->fourcc, 0, sizeof f->fourcc) == NULL)
        abort();
    if (o->mode == QVR_MODE_SOURCE &&
        (f->header_len != QVR_HDR_SIZE && f->header_len != QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE))
        abort();
    if (o->mode == QVR_MODE_JPEG && (f->codec != QVR_CODEC_JPEG || !f->key))
        abort();
    mix(d, f->fourcc, sizeof f->fourcc);
    mix_u64(d, ((uint64_t)f->media << 32) | f->codec);
    mix_u64(d, ((uint64_t)f->flags << 32) | (uint32_t)f->key);
    mix_u64(d, ((uint64_t)f->width << 32) | f->height);
    mix_u64(d, f->timestamp);
    mix(d, f->osd, strlen(f->osd));
    mix_u64(d, ((uint64_t)f->reserved << 32) | f->size);
    mix_u64(d, ((uint64_t)f->sample_rate << 32) | ((uint32_t)f->bits << 16) | f->channels);
    mix_u64(d, f->header_len);
    mix_u64(d, f->len);
    mix(d, f->header, f->header_len);
    mix(d, f->data, f->len);
    d->frames++;
}

static int drain(qvr_parser *p, const struct qvr_parser_opts *o, struct digest *d)
{
    struct qvr_frame f;
    int st;
    while ((st = qvr_parser_next(p, &f)) == QVR_PARSE_FRAME)
        check_frame(&f, o, d);
    return st;
}

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* One chunk lent: read in place, the rest settled; the copy is wiped and
 * freed, so that a frame still pointing into it is caught. */
static int lend(qvr_parser *p, const uint8_t *s, size_t k, const struct qvr_parser_opts *o,
                struct digest *d)
{
    uint8_t *tmp = malloc(k);
    int st;
    if (!tmp)
        abort();
    memcpy(tmp, s, k);
    qvr_parser_lend(p, tmp, k);
    st = drain(p, o, d);
    if (qvr_parser_settle(p) != 0)
        abort();
    memset(tmp, 0xa5, k);
    free(tmp);
    return st;
}

static void run(const uint8_t *data, size_t size, const struct qvr_parser_opts *o,
                unsigned chunking, int lent, struct digest *d)
{
    qvr_parser *p = qvr_parser_new(o);
    uint32_t rng = chunking * 2654435761u + 1;
    size_t off = 0;
    int st = QVR_PARSE_NEED_MORE;
    const char *msg;
    int32_t code;
    if (!p)
        abort();
    while (off < size && st != QVR_PARSE_ERROR) {
        size_t k = size - off;
        if (chunking == 1)
            k = 1;
        else if (chunking > 1 && k > 1)
            k = 1 + xorshift(&rng) % (k < chunking ? k : chunking);
        if (lent) {
            st = lend(p, data + off, k, o, d);
            off += k;
            if (qvr_parser_poll_code(p) < 0 && qvr_parser_error(p) == QVR_PERR_NONE)
                abort();
            continue;
        }
        if (qvr_parser_feed(p, data + off, k) != 0)
            abort();
        off += k;
        /* the chunked run also polls the code line first, as an opening
         * stream does; that must not change what next() returns */
        if (chunking && qvr_parser_poll_code(p) < 0 && qvr_parser_error(p) == QVR_PERR_NONE)
            abort();
        st = drain(p, o, d);
    }
    qvr_parser_finish(p);
    st = drain(p, o, d);
    if (st != QVR_PARSE_END && st != QVR_PARSE_ERROR)
        abort();
    if (qvr_parser_next(p, &(struct qvr_frame){0}) != st)
        abort();
    if ((st == QVR_PARSE_ERROR) != (qvr_parser_error(p) != QVR_PERR_NONE))
        abort();
    if (st == QVR_PARSE_END && qvr_parser_buffered(p) != 0)
        abort();
    msg = qvr_parser_message(p);
    mix_u64(d, (uint64_t)(int64_t)st);
    mix_u64(d, qvr_parser_error(p));
    mix(d, msg, strlen(msg));
    mix_u64(d, qvr_parser_server_code(p));
    mix_u64(d, qvr_parser_audio_layout(p));
    mix_u64(d, (uint64_t)qvr_parser_result_code(p, &code));
    qvr_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t maxes[] = {0, 64, 4096, 65536};
    static const enum qvr_audio_layout layouts[] = {
        QVR_AUDIO_AUTO, QVR_AUDIO_EXT_THEN_SIZE, QVR_AUDIO_SIZE_INCLUDES_EXT, QVR_AUDIO_AUTO};
    struct qvr_parser_opts o;
    struct digest whole = {0xcbf29ce484222325ull, 0}, chunked = whole;
    unsigned chunking;
    if (size < 2)
        return 0;
    o.mode = data[0] & 1 ? QVR_MODE_JPEG : QVR_MODE_SOURCE;
    o.audio = layouts[(data[0] >> 1) & 3];
    o.max_size = maxes[(data[0] >> 3) & 3];
    chunking = data[1];
    run(data + 2, size - 2, &o, 0, 0, &whole);
    if (chunking == 0)
        return 0;
    run(data + 2, size - 2, &o, chunking, (data[0] >> 5) & 1, &chunked);
    if (whole.h != chunked.h || whole.frames != chunked.frames)
        abort();
    return 0;
}
