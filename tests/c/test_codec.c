/*
 * test_codec.c - unit tests of the codec parameter readers (TAP): H.264
 * parameter sets from Annex B access units (synthetic and the simulator's
 * fixture), ADTS headers and the AudioSpecificConfig they imply, MPEG-4
 * Visual configuration.
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

int main(void)
{
    test_h264();
    test_h264_fixture();
    test_adts();
    test_mpeg4();
    return tap_done();
}
