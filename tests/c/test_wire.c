/*
 * test_wire.c - unit tests of the frame decode (csrc/proto/wire.c), TAP:
 * frame headers (every fourcc, every field, short and unknown input, sizes
 * as declared), extents for video and each audio layout, source frames with
 * the audio extension, JPEG-mode lines and record headers (blank lines,
 * CRLF, long, short and bad lines), JPEG frames, and the agreement of the
 * decode with the stream parser over the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "tap.h"
#include "wire.h"

static void header(uint8_t *h, const char *fourcc, uint32_t flags, uint32_t w, uint32_t ht,
                   uint64_t ts, const char *osd, uint32_t reserved, uint32_t size)
{
    memset(h, 0, QVR_HDR_SIZE);
    memcpy(h + QVR_OFF_FOURCC, fourcc, 4);
    qvr_put_le32(h + QVR_OFF_FLAGS, flags);
    qvr_put_le32(h + QVR_OFF_WIDTH, w);
    qvr_put_le32(h + QVR_OFF_HEIGHT, ht);
    qvr_put_le64(h + QVR_OFF_TIMESTAMP, ts);
    memcpy(h + QVR_OFF_OSD, osd, strlen(osd) < QVR_OSD_LEN ? strlen(osd) : QVR_OSD_LEN);
    qvr_put_le32(h + QVR_OFF_RESERVED, reserved);
    qvr_put_le32(h + QVR_OFF_SIZE, size);
}

static void test_header(void)
{
    uint8_t h[QVR_HDR_SIZE + 8];
    struct qvr_frame_header f, untouched;
    header(h, "q264", 0x80000001u, 1920, 1080, 1700000000123ull, "Front Door", 7, 4096);
    tap_ok(qvr_wire_decode_header(h, QVR_HDR_SIZE, &f) == QVR_WIRE_OK &&
           strcmp(f.fourcc, "q264") == 0 && f.media == QVR_MEDIA_VIDEO &&
           f.codec == QVR_CODEC_H264 && f.flags == 0x80000001u && f.key == 1 &&
           f.width == 1920 && f.height == 1080 && f.timestamp == 1700000000123ull &&
           strcmp(f.osd, "Front Door") == 0 && f.reserved == 7 && f.size == 4096,
           "every field of a header, little-endian");
    qvr_put_le32(h + QVR_OFF_FLAGS, 2);
    tap_ok(qvr_wire_decode_header(h, sizeof h, &f) == QVR_WIRE_OK && f.key == 0 && f.flags == 2,
           "key is flags bit 0 only; bytes after the header are not read");
    header(h, "G711", 1, 0, 0, 5, "012345678901234567890123", 8, 320);
    tap_ok(qvr_wire_decode_header(h, QVR_HDR_SIZE, &f) == QVR_WIRE_OK &&
           f.media == QVR_MEDIA_AUDIO && f.codec == QVR_CODEC_G711 &&
           strcmp(f.osd, "012345678901234567890123") == 0,
           "an OSD of 24 bytes without a NUL is cut at 24");
    memcpy(h + QVR_OFF_OSD, "ab\0cd", 5);
    qvr_wire_decode_header(h, QVR_HDR_SIZE, &f);
    tap_ok(strcmp(f.osd, "ab") == 0, "the OSD ends at its first NUL");
    header(h, "q264", 1, 0, 0, 0, "", 0xffffffffu, 0xffffffffu);
    tap_ok(qvr_wire_decode_header(h, QVR_HDR_SIZE, &f) == QVR_WIRE_OK &&
           f.size == 0xffffffffu && f.reserved == 0xffffffffu,
           "sizes are decoded as declared (limits are the caller's)");

    memset(&untouched, 0x5a, sizeof untouched);
    f = untouched;
    tap_ok(qvr_wire_decode_header(h, QVR_HDR_SIZE - 1, &f) == QVR_WIRE_SHORT &&
           memcmp(&f, &untouched, sizeof f) == 0, "55 bytes: SHORT, *out untouched");
    tap_ok(qvr_wire_decode_header(h, 0, &f) == QVR_WIRE_SHORT, "0 bytes: SHORT");
    memcpy(h, "ABCD", 4);
    tap_ok(qvr_wire_decode_header(h, QVR_HDR_SIZE, &f) == QVR_WIRE_FOURCC &&
           memcmp(&f, &untouched, sizeof f) == 0, "unknown fourcc: FOURCC, *out untouched");
    memcpy(h, "q26", 4);
    tap_ok(qvr_wire_decode_header(h, QVR_HDR_SIZE, &f) == QVR_WIRE_FOURCC,
           "a fourcc with a NUL is unknown");

    for (size_t i = 0; i < QVR_N_FOURCCS; i++) {
        const struct qvr_fourcc_info *fi = &qvr_fourccs[i];
        header(h, fi->fourcc, 0, 0, 0, 0, "", 0, 0);
        tap_ok(qvr_wire_decode_header(h, QVR_HDR_SIZE, &f) == QVR_WIRE_OK &&
               strcmp(f.fourcc, fi->fourcc) == 0 && f.media == fi->media &&
               f.codec == fi->codec, "fourcc \"%s\": %s %s", fi->fourcc,
               qvr_media_name(f.media), qvr_codec_name(f.codec));
    }
}

/* The hinted decoder: the same fields as the plain one, whatever the hints
 * hold; the entry found becomes the hint of its media. */
static void test_header_hinted(void)
{
    uint8_t h[QVR_HDR_SIZE];
    struct qvr_frame_header a, b;
    const struct qvr_fourcc_info *hints[2] = {NULL, NULL};
    int same = 1;
    for (size_t i = 0; i < 3 * QVR_N_FOURCCS; i++) {
        const struct qvr_fourcc_info *fi = &qvr_fourccs[(i * 7) % QVR_N_FOURCCS];
        header(h, fi->fourcc, (uint32_t)i, 640, 360, 1000 + i, "cam", 0, (uint32_t)i);
        same &= qvr_wire_decode_header(h, sizeof h, &a) == QVR_WIRE_OK &&
                qvr_wire_decode_header_hinted(h, sizeof h, hints, &b) == QVR_WIRE_OK &&
                strcmp(a.fourcc, b.fourcc) == 0 && a.media == b.media && a.codec == b.codec &&
                a.flags == b.flags && a.timestamp == b.timestamp && a.size == b.size &&
                strcmp(a.osd, b.osd) == 0 &&
                strcmp(hints[fi->media == QVR_MEDIA_AUDIO]->fourcc, fi->fourcc) == 0;
    }
    tap_ok(same, "hinted decode: the fields of the plain decode; the entry becomes its "
           "media's hint");
    header(h, "q264", 0, 0, 0, 0, "", 0, 0);
    qvr_wire_decode_header_hinted(h, sizeof h, hints, &a);
    header(h, "G711", 0, 0, 0, 0, "", 0, 0);
    qvr_wire_decode_header_hinted(h, sizeof h, hints, &a);
    memcpy(h, "q265", 4);
    tap_ok(qvr_wire_decode_header_hinted(h, sizeof h, hints, &a) == QVR_WIRE_FOURCC &&
           strcmp(hints[0]->fourcc, "q264") == 0 && strcmp(hints[1]->fourcc, "G711") == 0,
           "hinted decode: an unknown fourcc is FOURCC and leaves the hints");
    tap_ok(qvr_wire_decode_header_hinted(h, QVR_HDR_SIZE - 1, hints, &a) == QVR_WIRE_SHORT,
           "hinted decode: 55 bytes are SHORT");
}

static int extent_is(const struct qvr_frame_extent *x, size_t hl, uint64_t off, uint64_t total,
                     size_t len)
{
    return x->header_len == hl && x->data_off == off && x->total == total && x->len == len;
}

static void test_extent(void)
{
    struct qvr_frame_header v = {.media = QVR_MEDIA_VIDEO, .reserved = 16, .size = 100};
    struct qvr_frame_header a = {.media = QVR_MEDIA_AUDIO, .reserved = 8, .size = 100};
    struct qvr_frame_extent x;
    tap_ok(qvr_wire_extent(&v, QVR_AUDIO_AUTO, &x) == QVR_WIRE_OK &&
           extent_is(&x, 56, 72, 172, 100), "video: reserved bytes between header and data");
    tap_ok(qvr_wire_extent(&v, QVR_AUDIO_EXT_THEN_SIZE, &x) == QVR_WIRE_OK &&
           extent_is(&x, 56, 72, 172, 100), "video: the audio layout does not matter");
    v.reserved = 0xffffffffu;
    v.size = 0xffffffffu;
    tap_ok(qvr_wire_extent(&v, QVR_AUDIO_AUTO, &x) == QVR_WIRE_OK &&
           x.total == 56 + 2 * 0xffffffffull, "video: the largest sizes do not overflow");
    tap_ok(qvr_wire_extent(&a, QVR_AUDIO_AUTO, &x) == QVR_WIRE_LAYOUT,
           "audio without a layout: LAYOUT");
    tap_ok(qvr_wire_extent(&a, (enum qvr_audio_layout)9, &x) == QVR_WIRE_LAYOUT,
           "audio with an unknown layout: LAYOUT");
    tap_ok(qvr_wire_extent(&a, QVR_AUDIO_EXT_THEN_SIZE, &x) == QVR_WIRE_OK &&
           extent_is(&x, 64, 64, 164, 100), "audio (a): extension, then size bytes");
    a.reserved = 0;
    tap_ok(qvr_wire_extent(&a, QVR_AUDIO_EXT_THEN_SIZE, &x) == QVR_WIRE_OK &&
           extent_is(&x, 64, 64, 164, 100), "audio (b): reserved 0, extension, size bytes");
    a.reserved = 8;
    tap_ok(qvr_wire_extent(&a, QVR_AUDIO_SIZE_INCLUDES_EXT, &x) == QVR_WIRE_OK &&
           extent_is(&x, 64, 64, 156, 92), "audio (c): size counts the extension");
    a.reserved = 0;
    tap_ok(qvr_wire_extent(&a, QVR_AUDIO_SIZE_INCLUDES_EXT, &x) == QVR_WIRE_OK &&
           extent_is(&x, 56, 56, 156, 100), "audio (d): no extension when reserved is 0");
    a.reserved = 8;
    a.size = 7;
    tap_ok(qvr_wire_extent(&a, QVR_AUDIO_SIZE_INCLUDES_EXT, &x) == QVR_WIRE_OK &&
           extent_is(&x, 56, 56, 63, 7), "audio: a size under 8 holds no extension (no "
           "underflow)");
}

static void test_source_frame(void)
{
    uint8_t b[64 + 10];
    struct qvr_frame_header h;
    struct qvr_frame_extent x;
    struct qvr_frame f;
    header(b, "FAAC", 1, 0, 0, 1234, "Mic", 8, 10);
    qvr_put_le32(b + 56, 16000);
    qvr_put_le16(b + 60, 16);
    qvr_put_le16(b + 62, 1);
    memcpy(b + 64, "0123456789", 10);
    qvr_wire_decode_header(b, sizeof b, &h);
    qvr_wire_extent(&h, QVR_AUDIO_EXT_THEN_SIZE, &x);
    tap_ok(qvr_wire_source_frame(b, sizeof b, &h, &x, &f) == QVR_WIRE_OK &&
           strcmp(f.fourcc, "FAAC") == 0 && f.codec == QVR_CODEC_AAC && f.timestamp == 1234 &&
           f.sample_rate == 16000 && f.bits == 16 && f.channels == 1 && f.header == b &&
           f.header_len == 64 && f.data == b + 64 && f.len == 10 && f.size == 10 &&
           f.reserved == 8 && strcmp(f.osd, "Mic") == 0,
           "audio frame: the extension's fields, data after it");
    tap_ok(qvr_wire_source_frame(b, sizeof b - 1, &h, &x, &f) == QVR_WIRE_SHORT,
           "one byte short of the extent: SHORT");
    header(b, "q264", 0, 320, 240, 99, "Cam", 4, 6);
    qvr_wire_decode_header(b, sizeof b, &h);
    qvr_wire_extent(&h, QVR_AUDIO_AUTO, &x);
    tap_ok(qvr_wire_source_frame(b, 66, &h, &x, &f) == QVR_WIRE_OK && f.data == b + 60 &&
           f.len == 6 && f.header_len == 56 && f.sample_rate == 0 && f.bits == 0 &&
           f.channels == 0 && f.width == 320 && f.key == 0,
           "video frame: the reserved gap skipped, no audio fields");
}

static int jline(enum qvr_jpeg_line w, const char *s, struct qvr_jpeg_header *jh)
{
    return qvr_wire_jpeg_line(w, (const uint8_t *)s, strlen(s), jh);
}

static void test_jpeg_lines(void)
{
    struct qvr_jpeg_header jh;
    char longl[QVR_JPEG_LINE_MAX + 2];
    tap_ok(jline(QVR_JLINE_NAME, "Front Door\r", &jh) == QVR_WIRE_OK &&
           strcmp(jh.name, "Front Door") == 0, "name line, '\\r' dropped");
    tap_ok(jline(QVR_JLINE_NAME, "a name longer than twenty-four bytes", &jh) == QVR_WIRE_OK &&
           strcmp(jh.name, "a name longer than twent") == 0, "a long name is cut to 24 bytes");
    tap_ok(jline(QVR_JLINE_TIMESTAMP, " 1700000000123\t", &jh) == QVR_WIRE_OK &&
           jh.timestamp == 1700000000123ull, "timestamp in ms, spaces around it");
    tap_ok(jline(QVR_JLINE_TIMESTAMP, "2023-11-14 22:13:20.5\r", &jh) == QVR_WIRE_OK &&
           jh.timestamp == 1700000000500ull, "timestamp as a UTC date");
    tap_ok(jline(QVR_JLINE_TIMESTAMP, "yesterday", &jh) == QVR_WIRE_TIMESTAMP &&
           jline(QVR_JLINE_TIMESTAMP, "", &jh) == QVR_WIRE_TIMESTAMP &&
           jline(QVR_JLINE_TIMESTAMP, "2023-02-30 10:00:00", &jh) == QVR_WIRE_TIMESTAMP,
           "bad timestamps: TIMESTAMP");
    tap_ok(jline(QVR_JLINE_LENGTH, "18446744073709551615", &jh) == QVR_WIRE_OK &&
           jh.length == UINT64_MAX, "the largest length is read (limits are the caller's)");
    tap_ok(jline(QVR_JLINE_LENGTH, "18446744073709551616", &jh) == QVR_WIRE_LENGTH &&
           jline(QVR_JLINE_LENGTH, "000000000000000000001", &jh) == QVR_WIRE_LENGTH &&
           jline(QVR_JLINE_LENGTH, "-1", &jh) == QVR_WIRE_LENGTH &&
           jline(QVR_JLINE_LENGTH, "1 2", &jh) == QVR_WIRE_LENGTH &&
           jline(QVR_JLINE_LENGTH, "", &jh) == QVR_WIRE_LENGTH,
           "overflowing, over 20 digits, signed, split and empty lengths: LENGTH");
    memset(longl, 'x', sizeof longl);
    longl[sizeof longl - 1] = '\0';
    tap_ok(jline(QVR_JLINE_NAME, longl, &jh) == QVR_WIRE_LINE_LONG,
           "a line over %u bytes: LINE_LONG", QVR_JPEG_LINE_MAX);
    tap_ok(qvr_wire_jpeg_line((enum qvr_jpeg_line)3, (const uint8_t *)"1", 1, &jh) ==
           QVR_WIRE_ARG, "a line kind that does not exist: ARG");
}

static int jhead(const char *s, struct qvr_jpeg_header *jh, size_t *skip, size_t *used)
{
    return qvr_wire_decode_jpeg_header((const uint8_t *)s, strlen(s), jh, skip, used);
}

static void test_jpeg_header(void)
{
    struct qvr_jpeg_header jh;
    size_t skip = 99, used = 99;
    char buf[600];
    tap_ok(jhead("Cam\n1700000000000\n12\n", &jh, &skip, &used) == QVR_WIRE_OK && skip == 0 &&
           used == 21 && strcmp(jh.name, "Cam") == 0 && jh.timestamp == 1700000000000ull &&
           jh.length == 12, "three lines: name, timestamp, length");
    tap_ok(jhead("\n\r\nCam\r\n5\r\n3\r\nJPEG...", &jh, &skip, &used) == QVR_WIRE_OK &&
           skip == 3 && used == 14 && strcmp(jh.name, "Cam") == 0 && jh.length == 3,
           "blank lines skipped, CRLF lines, bytes after the length line not read");
    tap_ok(jhead("Cam\n5\n3", &jh, &skip, &used) == QVR_WIRE_SHORT &&
           jhead("", &jh, &skip, &used) == QVR_WIRE_SHORT &&
           jhead("\n\n", &jh, &skip, &used) == QVR_WIRE_SHORT,
           "lines that do not all end: SHORT");
    tap_ok(jhead("Cam\nnoon\n3\n", &jh, &skip, &used) == QVR_WIRE_TIMESTAMP &&
           jhead("Cam\n5\nthree\n", &jh, &skip, &used) == QVR_WIRE_LENGTH,
           "a bad timestamp or length line");
    memset(buf, 'n', 300);
    memcpy(buf + 300, "\n5\n3\n", 6);
    tap_ok(jhead(buf, &jh, &skip, &used) == QVR_WIRE_LINE_LONG,
           "a name line over %u bytes: LINE_LONG", QVR_JPEG_LINE_MAX);
    buf[QVR_JPEG_LINE_MAX + 1] = '\0';
    tap_ok(jhead(buf, &jh, &skip, &used) == QVR_WIRE_LINE_LONG,
           "%u bytes without a newline: LINE_LONG, not SHORT", QVR_JPEG_LINE_MAX + 1);
    buf[QVR_JPEG_LINE_MAX] = '\0';
    tap_ok(jhead(buf, &jh, &skip, &used) == QVR_WIRE_SHORT,
           "%u bytes without a newline: SHORT (the newline may come next)", QVR_JPEG_LINE_MAX);
}

static void test_jpeg_frame(void)
{
    static const uint8_t rec[] = "Cam\n7\n21\n"
                                 "\xff\xd8\xff\xc0\x00\x11\x08\x01\xe0\x02\x80\0\0\0\0\0\0\0\0\0\0";
    struct qvr_jpeg_header jh;
    struct qvr_frame f;
    size_t skip, used;
    qvr_wire_decode_jpeg_header(rec, sizeof rec - 1, &jh, &skip, &used);
    qvr_wire_jpeg_frame(&jh, rec + skip, used - skip, rec + used, &f);
    tap_ok(strcmp(f.fourcc, "JPEG") == 0 && f.codec == QVR_CODEC_JPEG &&
           f.media == QVR_MEDIA_VIDEO && f.key == 1 && f.flags == QVR_FLAG_KEY &&
           f.timestamp == 7 && f.len == 21 && f.size == 21 && f.data == rec + 9 &&
           f.header == rec && f.header_len == 9 && f.width == 640 && f.height == 480 &&
           strcmp(f.osd, "Cam") == 0 && f.reserved == 0 && f.sample_rate == 0,
           "JPEG frame: its lines, the picture's size from SOF0 (%ux%u)", f.width, f.height);
}

/* The same bytes through the stream parser (after a code line) and through
 * the decode: the same frame. */
static int same_frame(const struct qvr_frame *a, const struct qvr_frame *b)
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

static void test_agrees_with_parser(void)
{
    uint8_t b[2 + 64 + 10];
    struct qvr_parser_opts o = {QVR_MODE_SOURCE, 0, QVR_AUDIO_SIZE_INCLUDES_EXT};
    struct qvr_frame_header h;
    struct qvr_frame_extent x;
    struct qvr_frame fp, fw;
    qvr_parser *p = qvr_parser_new(&o);
    memcpy(b, "0\n", 2);
    header(b + 2, "QAAC", 1, 0, 0, 42, "Yard", 8, 18);
    qvr_put_le32(b + 58, 8000);
    qvr_put_le16(b + 62, 16);
    qvr_put_le16(b + 64, 2);
    memset(b + 66, 0xab, 10);
    qvr_parser_feed(p, b, sizeof b);
    qvr_parser_finish(p);
    tap_ok(qvr_parser_next(p, &fp) == QVR_PARSE_FRAME &&
           qvr_wire_decode_header(b + 2, sizeof b - 2, &h) == QVR_WIRE_OK &&
           qvr_wire_extent(&h, o.audio, &x) == QVR_WIRE_OK &&
           qvr_wire_source_frame(b + 2, sizeof b - 2, &h, &x, &fw) == QVR_WIRE_OK &&
           same_frame(&fp, &fw), "the parser's frame is the decode's frame");
    qvr_parser_free(p);
}

static void test_names(void)
{
    int ok = 1;
    for (int s = QVR_WIRE_OK; s <= QVR_WIRE_ARG; s++)
        ok &= strcmp(qvr_wire_status_text(s), "unknown status") != 0;
    tap_ok(ok && strcmp(qvr_wire_status_text(-1), "unknown status") == 0 &&
           strcmp(qvr_wire_status_text(QVR_WIRE_ARG + 1), "unknown status") == 0,
           "every status has a text; others are \"unknown status\"");
    tap_ok(strcmp(qvr_codec_name((enum qvr_codec)99), "unknown") == 0 &&
           strcmp(qvr_media_name((enum qvr_media)99), "unknown") == 0 &&
           strcmp(qvr_codec_name(QVR_CODEC_G729), "g729") == 0,
           "codec and media names, \"unknown\" out of range");
}

int main(void)
{
    test_header();
    test_header_hinted();
    test_extent();
    test_source_frame();
    test_jpeg_lines();
    test_jpeg_header();
    test_jpeg_frame();
    test_agrees_with_parser();
    test_names();
    return tap_done();
}
