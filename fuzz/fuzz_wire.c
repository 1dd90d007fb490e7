/*
 * fuzz_wire.c - libFuzzer target for the frame decode (csrc/proto/wire.c).
 *
 * Input: one control byte, then the bytes of one frame.
 *   byte 0: bit 0 what the bytes are (0: a source frame, 1: a JPEG-mode
 *           record: lines then JPEG); bits 1-2 the audio layout (auto, ext
 *           then size, size includes ext, auto)
 * The decode runs on the bytes (header, extent, frame; or the record's
 * lines and frame), every byte of a frame it hands out is read so the
 * sanitizers see a pointer outside the input, and its verdict is checked
 * against the stream parser's over the same bytes after a "0\n" code line:
 * a frame the decode accepts is the frame the parser returns, field by field
 * and byte by byte; an input the decode rejects, the parser rejects for the
 * same reason.  A disagreement aborts.
 *
 * Build: make build/fuzz_wire; seeds: fuzz/corpus_wire (one small file per case:
 * video with a reserved gap, audio layouts a, c and d, an unknown fourcc, a
 * cut header, JPEG records with CRLF and blank lines, a date, a bad length).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "wire.h"

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= p[i];
    sink = x;
}

static int same(const struct qvr_frame *a, const struct qvr_frame *b)
{
    return strcmp(a->fourcc, b->fourcc) == 0 && a->media == b->media && a->codec == b->codec &&
           a->flags == b->flags && a->key == b->key && a->width == b->width &&
           a->height == b->height && a->timestamp == b->timestamp &&
           strcmp(a->osd, b->osd) == 0 && a->reserved == b->reserved && a->size == b->size &&
           a->sample_rate == b->sample_rate && a->bits == b->bits &&
           a->channels == b->channels && a->header_len == b->header_len && a->len == b->len &&
           memcmp(a->header, b->header, a->header_len) == 0 &&
           memcmp(a->data, b->data, a->len) == 0;
}

/* The parser over "0\n" + d[0..n): its first result, frame in *f. */
static qvr_parser *parse(const uint8_t *d, size_t n, enum qvr_parse_mode mode,
                         enum qvr_audio_layout l, struct qvr_frame *f, int *st)
{
    struct qvr_parser_opts o = {mode, 0, l};
    qvr_parser *p = qvr_parser_new(&o);
    if (!p)
        abort();
    qvr_parser_feed(p, (const uint8_t *)"0\n", 2);
    qvr_parser_feed(p, d, n);
    qvr_parser_finish(p);
    *st = qvr_parser_next(p, f);
    return p;
}

static void source(const uint8_t *d, size_t n, enum qvr_audio_layout l)
{
    struct qvr_frame_header h;
    struct qvr_frame_extent x;
    struct qvr_frame fw, fp;
    int st, r = qvr_wire_decode_header(d, n, &h);
    qvr_parser *p = NULL;
    if (r == QVR_WIRE_OK && (h.size > QVR_PARSER_DEFAULT_MAX_SIZE || h.reserved > 65536))
        return;                               /* the parser's limits: not the decode's */
    if (r == QVR_WIRE_OK && (r = qvr_wire_extent(&h, l, &x)) == QVR_WIRE_LAYOUT)
        return;                               /* AUTO audio: the parser detects, the decode is told */
    if (r == QVR_WIRE_OK && (x.header_len < QVR_HDR_SIZE || x.len > x.total ||
                             x.data_off + x.len != x.total))
        abort();
    if (r == QVR_WIRE_OK && (r = qvr_wire_source_frame(d, n, &h, &x, &fw)) == QVR_WIRE_OK) {
        touch(fw.header, fw.header_len);
        touch(fw.data, fw.len);
    }
    p = parse(d, n, QVR_MODE_SOURCE, l, &fp, &st);
    if (r == QVR_WIRE_OK && (st != QVR_PARSE_FRAME || !same(&fw, &fp)))
        abort();
    if (r == QVR_WIRE_FOURCC && (st != QVR_PARSE_ERROR || qvr_parser_error(p) != QVR_PERR_FOURCC))
        abort();
    if (r == QVR_WIRE_SHORT && st == QVR_PARSE_FRAME)
        abort();
    qvr_parser_free(p);
}

static void jpeg(const uint8_t *d, size_t n)
{
    struct qvr_jpeg_header jh;
    struct qvr_frame fw, fp;
    size_t skip = 0, used = 0;
    int st, r = qvr_wire_decode_jpeg_header(d, n, &jh, &skip, &used);
    qvr_parser *p;
    if (r == QVR_WIRE_OK && (skip > used || used > n))
        abort();
    if (r == QVR_WIRE_OK && jh.length > QVR_PARSER_DEFAULT_MAX_SIZE)
        return;                               /* the parser's limit: not the decode's */
    if (r == QVR_WIRE_OK && jh.length > n - used)
        r = QVR_WIRE_SHORT;
    if (r == QVR_WIRE_OK) {
        qvr_wire_jpeg_frame(&jh, d + skip, used - skip, d + used, &fw);
        touch(fw.header, fw.header_len);
        touch(fw.data, fw.len);
    }
    p = parse(d, n, QVR_MODE_JPEG, QVR_AUDIO_AUTO, &fp, &st);
    if (r == QVR_WIRE_OK && (st != QVR_PARSE_FRAME || !same(&fw, &fp)))
        abort();
    if ((r == QVR_WIRE_TIMESTAMP || r == QVR_WIRE_LENGTH || r == QVR_WIRE_LINE_LONG) &&
        (st != QVR_PARSE_ERROR || qvr_parser_error(p) != QVR_PERR_RECORD))
        abort();
    if (r == QVR_WIRE_SHORT && st == QVR_PARSE_FRAME)
        abort();
    qvr_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum qvr_audio_layout layouts[4] = {
        QVR_AUDIO_AUTO, QVR_AUDIO_EXT_THEN_SIZE, QVR_AUDIO_SIZE_INCLUDES_EXT, QVR_AUDIO_AUTO};
    const uint8_t *d;
    uint8_t *copy;
    size_t n;
    if (size < 1)
        return 0;
    n = size - 1;
    copy = malloc(n ? n : 1);        /* exactly n bytes: reads past them are caught */
    if (!copy)
        return 0;
    memcpy(copy, data + 1, n);
    d = copy;
    if (data[0] & 1)
        jpeg(d, n);
    else
        source(d, n, layouts[(data[0] >> 1) & 3]);
    free(copy);
    return 0;
}
