/*
 * make_dump_corpus.c - writes the seed corpus of fuzz_dump into a directory.
 *
 *   cc -std=c11 -D_DEFAULT_SOURCE -Icsrc/proto -o build/make_dump_corpus \
 *      fuzz/make_dump_corpus.c csrc/proto/dump.c csrc/proto/wire.c csrc/proto/codec.c
 *   build/make_dump_corpus fuzz/corpus_dump
 *
 * Small dumps written by the real writer: H.264 with AAC in both audio
 * layouts (indexed), the same cut inside its last record (no index), and
 * JPEG records.  The bytes are fixed, so the corpus is the same on every run.
 */
#include <stdio.h>
#include <string.h>

#include "dump.h"

static void source(uint8_t *h, const char *fourcc, int key, uint64_t ts, uint32_t size,
                   int audio, int sizeinc)
{
    memset(h, 0, 64);
    memcpy(h, fourcc, 4);
    qvr_put_le32(h + QVR_OFF_FLAGS, key ? 1u : 0u);
    qvr_put_le32(h + QVR_OFF_WIDTH, audio ? 0 : 64);
    qvr_put_le32(h + QVR_OFF_HEIGHT, audio ? 0 : 48);
    qvr_put_le64(h + QVR_OFF_TIMESTAMP, ts);
    memcpy(h + QVR_OFF_OSD, "Cam", 3);
    qvr_put_le32(h + QVR_OFF_RESERVED, audio ? 8 : 0);
    qvr_put_le32(h + QVR_OFF_SIZE, size + (sizeinc ? 8 : 0));
    if (audio) {
        qvr_put_le32(h + 56, 16000);
        qvr_put_le16(h + 60, 16);
        qvr_put_le16(h + 62, 1);
    }
}

static int av(const char *path, int sizeinc, int n)
{
    struct qvr_dump_err e;
    uint8_t h[64], p[96];
    qvr_dump_writer *w = qvr_dump_create(path, "{\"camera\":\"Cam\"}", 16, &e);
    if (!w)
        return -1;
    for (int i = 0; i < n; i++) {
        uint64_t ts = 1000 + (uint64_t)i * 50;
        int audio = i % 3 == 2, key = i % 6 == 0;
        uint32_t size = audio ? 20 : 40 + (uint32_t)i;
        memset(p, i, sizeof p);
        source(h, audio ? "0AAC" : "q264", key || audio, ts, size, audio, sizeinc);
        qvr_dump_write(w, QVR_DUMP_SOURCE, key || audio ? QVR_DUMP_FLAG_KEY : 0, ts, h,
                       audio ? 64 : 56, p, size);
    }
    return qvr_dump_finish(w, &e);
}

static int jpeg(const char *path)
{
    struct qvr_dump_err e;
    qvr_dump_writer *w = qvr_dump_create(path, "{}", 2, &e);
    uint8_t p[64] = {0xff, 0xd8, 0xff, 0xe0};
    char h[64];
    if (!w)
        return -1;
    for (int i = 0; i < 4; i++) {
        int n = snprintf(h, sizeof h, "Garage\n%d\n%zu\n", 2000 + i * 1000, sizeof p);
        qvr_dump_write(w, QVR_DUMP_JPEG, QVR_DUMP_FLAG_KEY, 2000 + (uint64_t)i * 1000,
                       (const uint8_t *)h, (size_t)n, p, sizeof p);
    }
    return qvr_dump_finish(w, &e);
}

/* the first `keep` bytes of src into dst */
static int cut(const char *src, const char *dst, long keep)
{
    char buf[8192];
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    size_t n = 0;
    if (in && out)
        n = fread(buf, 1, sizeof buf, in);
    if (out && (long)n > keep)
        fwrite(buf, 1, (size_t)keep, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    return (long)n > keep ? 0 : -1;
}

int main(int argc, char **argv)
{
    char a[512], b[512], c[512], d[512];
    if (argc != 2) {
        fprintf(stderr, "usage: make_dump_corpus DIR\n");
        return 2;
    }
    snprintf(a, sizeof a, "%s/av_ext.qvr", argv[1]);
    snprintf(b, sizeof b, "%s/av_sizeinc.qvr", argv[1]);
    snprintf(c, sizeof c, "%s/av_cut.qvr", argv[1]);
    snprintf(d, sizeof d, "%s/jpeg.qvr", argv[1]);
    if (av(a, 0, 12) || av(b, 1, 9) || cut(a, c, 700) || jpeg(d)) {
        fprintf(stderr, "make_dump_corpus: cannot write the seeds\n");
        return 1;
    }
    return 0;
}
