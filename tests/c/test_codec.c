/*
 * test_codec.c - unit tests of the codec parameter readers (TAP): H.264
 * parameter sets from Annex B access units (synthetic and the simulator's
 * fixture), ADTS headers and the AudioSpecificConfig they imply, MPEG-4
 * Visual configuration, JPEG picture sizes, the date form of JPEG-mode
 * timestamps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "tap.h"

static const uint8_t SPS[] = {0x67, 0x42, 0xc0, 0x1f, 0xd9, 0x00, 0x50, 0x05, 0xbb, 0x01};
static const uint8_t PPS[] = {0x68, 0xcb, 0x8c, 0xb2};

static size_t put(uint8_t *b, size_t n, const void *p, size_t k)
{
    memcpy(b + n, p, k);
    return n + k;
}

static void test_h264(void)
{
    uint8_t au[256], out[256], want[64];
    size_t n = 0, w = 0, k;
    n = put(au, n, "\0\0\0\1\x09\x10", 6);                 /* AUD */
    n = put(au, n, "\0\0\0\1", 4);
    n = put(au, n, SPS, sizeof SPS);
    n = put(au, n, "\0\0\1", 3);                           /* 3-byte start code */
    n = put(au, n, PPS, sizeof PPS);
    n = put(au, n, "\0\0\0\1\x06\x05\x01\x80", 8);         /* SEI */
    n = put(au, n, "\0\0\0\1\x65\x88\x84\x00\x00\x03", 10); /* IDR slice */
    w = put(want, w, "\0\0\0\1", 4);
    w = put(want, w, SPS, sizeof SPS);
    w = put(want, w, "\0\0\0\1", 4);
    w = put(want, w, PPS, sizeof PPS);
    k = qvr_h264_parameter_sets(au, n, out, sizeof out);
    tap_ok(k == w && memcmp(out, want, w) == 0, "SPS and PPS of an access unit, 4-byte "
           "start codes (%zu bytes)", k);
    tap_ok(qvr_h264_parameter_sets(au, n, out, w - 1) == 0, "0 when the output is too small");
    tap_ok(qvr_h264_parameter_sets(au + 20, n - 20, out, sizeof out) == 0,
           "0 without an SPS");
    tap_ok(qvr_h264_parameter_sets(au, 0, out, sizeof out) == 0 &&
           qvr_h264_parameter_sets((const uint8_t *)"\0\0\1", 3, out, sizeof out) == 0,
           "0 for empty and start-code-only input");
}

static int has(const uint8_t *d, size_t n, const char *s, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(d + i, s, k) == 0)
            return 1;
    return 0;
}

static void test_h264_fixture(void)
{
    FILE *f = fopen("tools/media/h264_720p.h264", "rb");
    uint8_t buf[8192], out[512];
    size_t n, k;
    if (!f) {
        tap_ok(0, "fixture tools/media/h264_720p.h264 readable (run from the top folder)");
        return;
    }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    k = qvr_h264_parameter_sets(buf, n, out, sizeof out);
    tap_ok(k > 8 && memcmp(out, "\0\0\0\1\x67", 5) == 0 && has(out, k, "\0\0\0\1\x68", 5),
           "the fixture's first access unit has SPS and PPS (%zu bytes)", k);
}

static void test_adts(void)
{
    /* the simulator's AAC fixture: LC, 16 kHz, mono */
    static const uint8_t h[] = {0xff, 0xf1, 0x60, 0x40, 0x25, 0x9f, 0xfc, 0x01, 0x28};
    static const uint8_t crc[] = {0xff, 0xf0, 0x4c, 0x80, 0x2e, 0x7f, 0xfc, 0, 0};
    struct qvr_adts a;
    uint8_t asc[2];
    int rc = qvr_adts_parse(h, sizeof h, &a);
    tap_ok(rc == 0 && a.header_len == 7 && a.object_type == 2 &&
           a.sample_rate == 16000 && a.channels == 1 && a.blocks == 1 &&
           a.frame_len == ((0x40 & 3) << 11 | 0x25 << 3 | 0x9f >> 5),
           "ADTS header: LC 16 kHz mono, frame length %u", a.frame_len);
    qvr_aac_config(&a, asc);
    tap_ok(asc[0] == 0x14 && asc[1] == 0x08, "AudioSpecificConfig 14 08 (got %02x %02x)",
           asc[0], asc[1]);
    tap_ok(qvr_adts_parse(crc, sizeof crc, &a) == 0 && a.header_len == 9 &&
           a.sample_rate == 48000 && a.channels == 2, "ADTS with CRC: 9-byte header, 48 kHz "
           "stereo");
    qvr_aac_config(&a, asc);
    tap_ok(asc[0] == 0x11 && asc[1] == 0x90, "AudioSpecificConfig 11 90 (got %02x %02x)",
           asc[0], asc[1]);
    tap_ok(qvr_adts_parse(h, 6, &a) == -1, "a header cut short is not ADTS");
    tap_ok(qvr_adts_parse((const uint8_t *)"\xff\xf3\x60\x40\x25\x9f\xfc", 7, &a) == -1,
           "layer bits set: not ADTS");
    tap_ok(qvr_adts_parse((const uint8_t *)"\x00\x00\x01\x67\x00\x00\x00", 7, &a) == -1,
           "H.264 bytes are not ADTS");
}

static void test_mpeg4(void)
{
    static const uint8_t d[] = {0, 0, 1, 0xb0, 1, 0, 0, 1, 0xb5, 9, 0, 0, 1, 0, 0, 0, 1,
                                0x20, 8, 0xc8, 0, 0, 1, 0xb6, 0x10, 0x60};
    tap_ok(qvr_mpeg4_config(d, sizeof d) == 20, "MPEG-4 configuration ends at the first VOP");
    tap_ok(qvr_mpeg4_config(d + 20, sizeof d - 20) == 0, "a VOP alone has no configuration");
    tap_ok(qvr_mpeg4_config(d, 20) == 0, "no VOP: no configuration");
}

/* A JPEG start: SOI, APPn segments of `app` bytes in all (0: none; at most
 * 60000 each), then SOF0 (or `sof`) with the size h x w. */
static size_t jpeg(uint8_t *b, size_t app, uint8_t sof, unsigned w, unsigned h)
{
    size_t n = 0;
    b[n++] = 0xff;
    b[n++] = 0xd8;
    while (app) {
        size_t k = app < 60000 ? app : 60000;
        b[n++] = 0xff;
        b[n++] = 0xe0;
        b[n++] = (uint8_t)((k + 2) >> 8);
        b[n++] = (uint8_t)(k + 2);
        memset(b + n, 0x11, k);
        n += k;
        app -= k;
    }
    b[n++] = 0xff;
    b[n++] = sof;
    b[n++] = 0;
    b[n++] = 17;
    b[n++] = 8;
    b[n++] = (uint8_t)(h >> 8);
    b[n++] = (uint8_t)h;
    b[n++] = (uint8_t)(w >> 8);
    b[n++] = (uint8_t)w;
    memset(b + n, 0, 10);
    return n + 10;
}

static void test_jpeg_dims(void)
{
    static uint8_t b[70000];
    uint32_t w, h;
    size_t n = jpeg(b, 0, 0xc0, 1920, 1080);
    qvr_jpeg_dims(b, n, &w, &h);
    tap_ok(w == 1920 && h == 1080, "JPEG size from SOF0 (%ux%u)", w, h);
    n = jpeg(b, 300, 0xc2, 640, 360);
    qvr_jpeg_dims(b, n, &w, &h);
    tap_ok(w == 640 && h == 360, "JPEG size from SOF2 after an APP0 segment (%ux%u)", w, h);
    memmove(b + 4, b + 2, n - 2);           /* fill bytes before the first marker */
    b[2] = 0xff;
    b[3] = 0xff;
    qvr_jpeg_dims(b, n + 2, &w, &h);
    tap_ok(w == 640 && h == 360, "fill bytes are skipped (%ux%u)", w, h);
    n = jpeg(b, 0, 0xc0, 1920, 1080);
    qvr_jpeg_dims(b, 8, &w, &h);
    tap_ok(w == 0 && h == 0, "a SOF segment cut off: 0x0, nothing read past the end");
    n = jpeg(b, 0, 0xda, 1920, 1080);
    qvr_jpeg_dims(b, n, &w, &h);
    tap_ok(w == 0 && h == 0, "scan data before any SOF: 0x0");
    n = jpeg(b, 0, 0xc0, 1920, 1080);
    b[0] = 0x89;
    qvr_jpeg_dims(b, n, &w, &h);
    tap_ok(w == 0 && h == 0, "not a JPEG (no SOI): 0x0");
    n = jpeg(b, 0, 0xe1, 0, 0);
    b[4] = b[5] = 0;                         /* a segment length under 2 */
    qvr_jpeg_dims(b, n, &w, &h);
    tap_ok(w == 0 && h == 0, "a segment length under 2 stops the walk: 0x0");
    n = jpeg(b, 65520, 0xc0, 800, 600);      /* SOF starts within the scan, ends past it */
    qvr_jpeg_dims(b, n, &w, &h);
    tap_ok(w == 0 && h == 0 && n > QVR_JPEG_SCAN_MAX,
           "SOF ending past the first %u bytes is not read: 0x0", QVR_JPEG_SCAN_MAX);
    n = jpeg(b, 66000, 0xc0, 800, 600);
    qvr_jpeg_dims(b, n, &w, &h);
    tap_ok(w == 0 && h == 0, "SOF after the first %u bytes is not searched for: 0x0",
           QVR_JPEG_SCAN_MAX);
    n = jpeg(b, 60000, 0xc0, 800, 600);
    qvr_jpeg_dims(b, n, &w, &h);
    tap_ok(w == 800 && h == 600, "SOF within the first %u bytes is found", QVR_JPEG_SCAN_MAX);
}

static int date(const char *s, uint64_t *ms)
{
    *ms = 42;
    return qvr_parse_datetime((const uint8_t *)s, strlen(s), ms);
}

static void test_datetime(void)
{
    static const char *const bad[] = {
        "", "2023-01-01", "2023-01-01 10:00", "1969-12-31 23:59:59", "2023-13-01 00:00:00",
        "2023-00-10 00:00:00", "2023-02-29 00:00:00", "2023-04-31 00:00:00",
        "2023-01-01 24:00:00", "2023-01-01 10:60:00", "2023-01-01 10:00:60",
        "2023-01-01 10:00:00.", "2023-01-01 10:00:00.1234", "2023-01-01 10:00:00,5",
        "2023-1a-01 10:00:00", "2023/01/01 10:00:00", "2023-01-01x10:00:00",
        "2023-01-01 10:00:00ZZ", "+023-01-01 10:00:00", "2023-01-01 10:00:0a"};
    uint64_t ms;
    tap_ok(date("1970-01-01 00:00:00", &ms) && ms == 0, "the epoch is 0");
    tap_ok(date("2023-11-14 22:13:20", &ms) && ms == 1700000000000ull,
           "2023-11-14 22:13:20 is 1700000000000 ms");
    tap_ok(date("2023-11-14T22:13:20Z", &ms) && ms == 1700000000000ull,
           "'T' between date and time, 'Z' at the end");
    tap_ok(date("2023-11-14 22:13:20.1", &ms) && ms == 1700000000100ull &&
           date("2023-11-14 22:13:20.12", &ms) && ms == 1700000000120ull &&
           date("2023-11-14 22:13:20.123Z", &ms) && ms == 1700000000123ull,
           "one to three fraction digits are milliseconds");
    tap_ok(date("2024-02-29 00:00:00", &ms) && ms == 1709164800000ull &&
           date("2000-02-29 12:00:00", &ms) && ms == 951825600000ull,
           "29 February of leap years (2024, 2000)");
    tap_ok(!date("2100-02-29 00:00:00", &ms) && ms == 42, "2100 is no leap year");
    tap_ok(date("9999-12-31 23:59:59.999", &ms) && ms == 253402300799999ull,
           "the last millisecond of 9999");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        tap_ok(!date(bad[i], &ms) && ms == 42, "not a date, *ms untouched: \"%s\"", bad[i]);
}

int main(void)
{
    test_h264();
    test_h264_fixture();
    test_adts();
    test_mpeg4();
    test_jpeg_dims();
    test_datetime();
    return tap_done();
}
