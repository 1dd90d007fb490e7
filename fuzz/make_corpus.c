/*
 * make_corpus.c - writes the seed corpus of fuzz_parser into a directory.
 *
 *   cc -std=c11 -Icsrc/proto -o build/make_corpus fuzz/make_corpus.c
 *   build/make_corpus fuzz/corpus_parser
 *
 * Each seed starts with fuzz_parser's two control bytes (mode, audio layout,
 * max size; chunking) and stays under 4 KiB.  The bytes are fixed, so the
 * corpus is the same on every run.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "qvr_wire.h"

struct seed {
    uint8_t d[4096];
    size_t n;
};

static void put(struct seed *s, const void *p, size_t n)
{
    if (s->n + n > sizeof s->d) {
        fprintf(stderr, "seed over 4 KiB\n");
        return;
    }
    memcpy(s->d + s->n, p, n);
    s->n += n;
}

static void put_str(struct seed *s, const char *t)
{
    put(s, t, strlen(t));
}

static void put_fill(struct seed *s, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)(first + i * 37);
        put(s, &b, 1);
    }
}

static void header(struct seed *s, const char *fourcc, uint32_t flags, uint32_t w, uint32_t h,
                   uint64_t ts, uint32_t reserved, uint32_t size)
{
    uint8_t hd[QVR_HDR_SIZE] = {0};
    memcpy(hd, fourcc, 4);
    qvr_put_le32(hd + QVR_OFF_FLAGS, flags);
    qvr_put_le32(hd + QVR_OFF_WIDTH, w);
    qvr_put_le32(hd + QVR_OFF_HEIGHT, h);
    qvr_put_le64(hd + QVR_OFF_TIMESTAMP, ts);
    memcpy(hd + QVR_OFF_OSD, "Front Door", 10);
    qvr_put_le32(hd + QVR_OFF_RESERVED, reserved);
    qvr_put_le32(hd + QVR_OFF_SIZE, size);
    put(s, hd, sizeof hd);
}

static void video(struct seed *s, const char *fourcc, int key, uint64_t ts, uint32_t reserved,
                  uint32_t len)
{
    static const uint8_t nal[] = {0, 0, 0, 1, 0x65};
    header(s, fourcc, key ? 1 : 0, 1280, 720, ts, reserved, len);
    put_fill(s, reserved, 0xee);
    put(s, nal, sizeof nal);
    put_fill(s, len - sizeof nal, (uint8_t)ts);
}

/* layout 'a', 'b', 'c' or 'd' as in docs/PROTOCOL.md / parser.c */
static void audio(struct seed *s, int layout, uint64_t ts, uint32_t len)
{
    uint8_t ext[8];
    qvr_put_le32(ext, 8000);
    qvr_put_le16(ext + 4, 16);
    qvr_put_le16(ext + 6, 1);
    header(s, "G711", 1, 0, 0, ts, layout == 'a' || layout == 'c' ? 8 : 0,
           len + (layout == 'c' ? 8 : 0));
    if (layout != 'd')
        put(s, ext, sizeof ext);
    put_fill(s, len, 0x55);
}

static void jpeg(struct seed *s, const char *name, const char *ts, uint16_t w, uint16_t h)
{
    uint8_t img[64] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0,
                       0xff, 0xc0, 0x00, 0x11, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1,
                       3, 0x11, 1, 0xff, 0xda, 0x00, 0x02};
    char line[32];
    img[13] = (uint8_t)(h >> 8);
    img[14] = (uint8_t)h;
    img[15] = (uint8_t)(w >> 8);
    img[16] = (uint8_t)w;
    img[62] = 0xff;
    img[63] = 0xd9;
    put_str(s, name);
    put_str(s, "\n");
    put_str(s, ts);
    put_str(s, "\n");
    snprintf(line, sizeof line, "%zu\n", sizeof img);
    put_str(s, line);
    put(s, img, sizeof img);
}

static int save(const char *dir, const char *name, const struct seed *s)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(s->d, 1, s->n, f) != s->n || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* control bytes: mode | layout << 1 | max << 3, then chunking */
static void ctrl(struct seed *s, int jpeg_mode, int layout, int max, uint8_t chunking)
{
    uint8_t c[2] = {(uint8_t)(jpeg_mode | layout << 1 | max << 3), chunking};
    s->n = 0;
    put(s, c, 2);
}

int main(int argc, char **argv)
{
    static struct seed s;
    const char *dir = argc > 1 ? argv[1] : "fuzz/corpus_parser";
    uint64_t t = 1700000000000ull;
    int rc = 0;

    ctrl(&s, 0, 0, 2, 7);   /* source, auto layout, 4 KiB max, chunks up to 7 */
    put_str(&s, "0\n");
    video(&s, "q264", 1, t, 0, 600);
    audio(&s, 'a', t + 5, 160);
    video(&s, "q264", 0, t + 40, 16, 300);
    audio(&s, 'a', t + 45, 160);
    video(&s, "QMP4", 0, t + 80, 0, 200);
    rc |= save(dir, "source_av_layout_a", &s);

    ctrl(&s, 0, 0, 0, 1);   /* byte by byte, leading version line */
    put_str(&s, "v1\r\n0\r\n");
    audio(&s, 'c', t, 100);
    video(&s, "Q264", 1, t + 10, 0, 400);
    audio(&s, 'c', t + 20, 100);
    rc |= save(dir, "source_layout_c", &s);

    ctrl(&s, 0, 2, 3, 200); /* layout forced: size includes ext; 64 KiB max */
    put_str(&s, "\n0\n");
    video(&s, "qXPG", 1, t, 8, 250);
    audio(&s, 'd', t + 5, 120);
    audio(&s, 'd', t + 10, 120);
    rc |= save(dir, "source_layout_d_forced", &s);

    ctrl(&s, 0, 0, 0, 64);
    put_str(&s, "0\n");
    audio(&s, 'b', t, 200);
    video(&s, "QIVG", 1, t + 10, 0, 300);
    rc |= save(dir, "source_layout_b", &s);

    ctrl(&s, 1, 0, 2, 13);  /* JPEG mode */
    put_str(&s, "0\n");
    jpeg(&s, "Front Door", "1700000000000", 1920, 1080);
    jpeg(&s, "Front Door", "2023-11-14 22:13:21.250", 640, 480);
    rc |= save(dir, "jpeg_records", &s);

    ctrl(&s, 0, 0, 0, 3);   /* server error body */
    put_str(&s, "v1\n-1828716539\n");
    rc |= save(dir, "error_code", &s);

    ctrl(&s, 0, 0, 1, 0);   /* frame cut short, 64-byte max */
    put_str(&s, "0\n");
    video(&s, "q264", 1, t, 0, 60);
    header(&s, "q264", 0, 1280, 720, t + 40, 0, 50);
    put_fill(&s, 20, 1);
    rc |= save(dir, "truncated_frame", &s);
    return rc;
}
