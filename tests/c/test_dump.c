/*
 * test_dump.c - unit tests of the .qvr writer and reader (TAP).
 *
 * Writes dumps of synthetic frames (H.264 video with and without a reserved
 * gap, audio in both layouts, JPEG records), reads them back through the
 * parser and compares every field and byte; seeks with and without the
 * index; cuts a dump at every byte offset and checks that the reader returns
 * exactly the complete records and then a clear end; resumes a cut dump with
 * the appending writer; and feeds hostile files (bad magic, lying lengths,
 * corrupt index) that must fail cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"
#include "tap.h"

#define NFRAMES 60
#define MAXP 3000

struct tframe {
    unsigned type;
    uint8_t header[200];
    size_t hlen;
    uint8_t payload[MAXP];
    size_t plen;
    uint64_t ts;
    int key, audio;
};

static char tmpdir[64];

static const char *tmp(const char *name)
{
    static char path[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* A source frame: 56-byte header (+8 audio extension), payload. */
static void source(struct tframe *f, const char *fourcc, int key, uint64_t ts, size_t plen,
                   int audio, int sizeinc, uint32_t reserved)
{
    uint8_t *h = f->header;
    memset(f, 0, sizeof *f);
    f->type = QVR_DUMP_SOURCE;
    memcpy(h, fourcc, 4);
    qvr_put_le32(h + QVR_OFF_FLAGS, key ? 1u : 0u);
    qvr_put_le32(h + QVR_OFF_WIDTH, audio ? 0 : 640);
    qvr_put_le32(h + QVR_OFF_HEIGHT, audio ? 0 : 360);
    qvr_put_le64(h + QVR_OFF_TIMESTAMP, ts);
    memcpy(h + QVR_OFF_OSD, "Cam", 3);
    qvr_put_le32(h + QVR_OFF_RESERVED, audio ? 8 : reserved);
    qvr_put_le32(h + QVR_OFF_SIZE, (uint32_t)(plen + (sizeinc ? 8 : 0)));
    f->hlen = QVR_HDR_SIZE;
    if (audio) {
        qvr_put_le32(h + 56, 16000);
        qvr_put_le16(h + 60, 16);
        qvr_put_le16(h + 62, 1);
        f->hlen += 8;
    }
    f->plen = plen;
    fill(f->payload, plen, (uint32_t)ts);
    f->ts = ts;
    f->key = key;
    f->audio = audio;
}

static void jpeg(struct tframe *f, uint64_t ts, size_t plen)
{
    memset(f, 0, sizeof *f);
    f->type = QVR_DUMP_JPEG;
    f->hlen = (size_t)snprintf((char *)f->header, sizeof f->header, "Garage\n%llu\n%zu\n",
                               (unsigned long long)ts, plen);
    fill(f->payload, plen, (uint32_t)ts);
    f->payload[0] = 0xff;
    f->payload[1] = 0xd8;
    f->plen = plen;
    f->ts = ts;
    f->key = 1;
}

/* video at 100 ms (key every 10), audio at 64 ms, merged by time */
static int make_stream(struct tframe *fs, int n, int sizeinc)
{
    uint64_t tv = 1700000000000ull, ta = tv;
    for (int i = 0; i < n; i++) {
        if (tv <= ta) {
            int k = (int)((tv - 1700000000000ull) / 100);
            source(&fs[i], "q264", k % 10 == 0, tv, 500 + (size_t)(k * 37) % 2000, 0, 0, 0);
            tv += 100;
        } else {
            source(&fs[i], "0AAC", 1, ta, 40 + (size_t)(ta % 200), 1, sizeinc, 0);
            ta += 64;
        }
    }
    return n;
}

static qvr_dump_writer *create(const char *path)
{
    struct qvr_dump_err e;
    const char *meta = "{\"camera\":\"Cam\"}";
    qvr_dump_writer *w = qvr_dump_create(path, meta, strlen(meta), &e);
    if (!w)
        printf("# create: %s\n", e.msg);
    return w;
}

static int write_frames(qvr_dump_writer *w, const struct tframe *fs, int from, int to)
{
    for (int i = from; i < to; i++)
        if (qvr_dump_write(w, fs[i].type, fs[i].key ? QVR_DUMP_FLAG_KEY : 0, fs[i].ts,
                           fs[i].header, fs[i].hlen, fs[i].payload, fs[i].plen) != 0)
            return -1;
    return 0;
}

static int write_dump(const char *path, const struct tframe *fs, int n)
{
    qvr_dump_writer *w = create(path);
    struct qvr_dump_err e;
    if (!w || write_frames(w, fs, 0, n) != 0)
        return -1;
    return qvr_dump_finish(w, &e);
}

static int same_frame(const struct qvr_frame *g, const struct tframe *f)
{
    return g->timestamp == f->ts && g->len == f->plen && g->header_len == f->hlen &&
           memcmp(g->header, f->header, f->hlen) == 0 &&
           memcmp(g->data, f->payload, f->plen) == 0 && g->key == f->key &&
           (f->type == QVR_DUMP_JPEG || (g->media == QVR_MEDIA_AUDIO) == f->audio);
}

/* Reads every frame; returns how many matched fs in order (stops at the
 * first mismatch), *last the final status (0 end, -1 error). */
static int read_all(qvr_dump_reader *r, const struct tframe *fs, int n, int *last)
{
    struct qvr_frame g;
    int i = 0, k;
    while ((k = qvr_dump_next(r, &g)) == 1) {
        if (i >= n || !same_frame(&g, &fs[i]))
            break;
        i++;
    }
    *last = k;
    return i;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b;
    long len;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(b, 1, n, f) != n))
        abort();
    fclose(f);
}

/* ---- tests -------------------------------------------------------------- */

static void test_roundtrip(const struct tframe *fs, int n, const char *what)
{
    const char *p = tmp("rt.qvr");
    struct qvr_dump_err e;
    struct qvr_dump_summary s;
    qvr_dump_reader *r;
    uint64_t entries;
    size_t mlen;
    int last, got;
    tap_ok(write_dump(p, fs, n) == 0, "%s: written", what);
    r = qvr_dump_open(p, &e);
    tap_ok(r != NULL, "%s: opened (%s)", what, r ? "" : e.msg);
    if (!r)
        return;
    tap_ok(strcmp(qvr_dump_meta(r, &mlen), "{\"camera\":\"Cam\"}") == 0 && mlen == 16,
           "%s: meta", what);
    entries = 0;
    qvr_dump_indexed(r, &entries);
    tap_ok(qvr_dump_indexed(r, NULL) && entries > 0, "%s: indexed (%llu entries)", what,
           (unsigned long long)entries);
    got = read_all(r, fs, n, &last);
    tap_ok(got == n && last == 0, "%s: every frame back, byte for byte (%d of %d)", what,
           got, n);
    tap_ok(qvr_dump_summarize(r, &s) == 0 && s.count == (uint64_t)n && s.complete &&
           s.first_ts == (int64_t)fs[0].ts && s.last_ts == (int64_t)fs[n - 1].ts,
           "%s: summary count and timestamps", what);
    qvr_dump_close(r);
}

/* the index of the last seek point at or before ts, or 0 */
static int expect_seek(const struct tframe *fs, int n, uint64_t ts)
{
    int best = 0;
    for (int i = 0; i < n && fs[i].ts <= ts; i++)
        if (fs[i].key && !fs[i].audio)
            best = i;
    return best;
}

static void check_seeks(const char *path, const struct tframe *fs, int n, const char *what)
{
    struct qvr_dump_err e;
    qvr_dump_reader *r = qvr_dump_open(path, &e);
    struct qvr_frame g;
    int bad = 0;
    if (!r) {
        tap_ok(0, "%s: open for seeking: %s", what, e.msg);
        return;
    }
    for (uint64_t ts = fs[0].ts - 50; ts <= fs[n - 1].ts + 50; ts += 37) {
        int want = expect_seek(fs, n, ts);
        if (qvr_dump_seek(r, ts) != 0 || qvr_dump_next(r, &g) != 1 || !same_frame(&g, &fs[want]))
            bad++;
    }
    tap_ok(bad == 0, "%s: seek lands on the last key frame at or before ts (%d wrong)", what,
           bad);
    qvr_dump_close(r);
}

static void test_seek(const struct tframe *fs, int n)
{
    const char *p = tmp("seek.qvr"), *q = tmp("seek-noindex.qvr");
    size_t len;
    uint8_t *b;
    struct qvr_dump_err e;
    qvr_dump_reader *r;
    write_dump(p, fs, n);
    check_seeks(p, fs, n, "with index");
    b = slurp(p, &len);
    /* the same records without index and trailer: cut at the index */
    spit(q, b, (size_t)qvr_le64(b + len - 16));
    r = qvr_dump_open(q, &e);
    tap_ok(r && !qvr_dump_indexed(r, NULL), "a dump without trailer opens unindexed");
    qvr_dump_close(r);
    check_seeks(q, fs, n, "by scan");
    free(b);
}

/* record boundaries of a dump written from fs */
static void boundaries(const struct tframe *fs, int n, size_t start, size_t *ends)
{
    size_t off = start;
    for (int i = 0; i < n; i++) {
        off += QVR_DUMP_RECORD_HEAD + fs[i].hlen + fs[i].plen;
        ends[i] = off;
    }
}

static void test_cuts(const struct tframe *fs, int n)
{
    const char *p = tmp("cut-src.qvr"), *q = tmp("cut.qvr");
    size_t len, ends[NFRAMES], start = QVR_DUMP_HEAD_FIXED + 16;
    uint8_t *b;
    int bad = 0, checked = 0;
    write_dump(p, fs, n);
    b = slurp(p, &len);
    boundaries(fs, n, start, ends);
    for (size_t cut = 0; cut < len; cut += (cut < 200 ? 1 : 7)) {
        struct qvr_dump_err e;
        qvr_dump_reader *r;
        int complete = 0, last, got, boundary;
        spit(q, b, cut);
        r = qvr_dump_open(q, &e);
        checked++;
        if (cut < start) {
            bad += r != NULL || e.kind == QVR_DERR_NONE;
            qvr_dump_close(r);
            continue;
        }
        if (!r) {
            bad++;
            continue;
        }
        while (complete < n && ends[complete] <= cut)
            complete++;
        got = read_all(r, fs, n, &last);
        /* clean end only exactly on a record boundary; else TRUNCATED */
        boundary = cut == start || (complete > 0 && cut == ends[complete - 1]);
        if (got != complete || (last == 0) != boundary ||
            (last < 0 && qvr_dump_reader_error(r)->kind != QVR_DERR_TRUNCATED)) {
            if (bad < 3)
                printf("# cut %zu: %d of %d frames, status %d: %s\n", cut, got, complete, last,
                       qvr_dump_reader_error(r)->msg);
            bad++;
        }
        qvr_dump_close(r);
    }
    tap_ok(bad == 0, "a dump cut at %d offsets gives its complete records, then a clear end "
           "(%d wrong)", checked, bad);
    free(b);
}

static void test_append(const struct tframe *fs, int n)
{
    const char *p = tmp("ap-src.qvr"), *q = tmp("ap.qvr");
    size_t len, ends[NFRAMES], start = QVR_DUMP_HEAD_FIXED + 16;
    uint8_t *b;
    int bad = 0, rounds = 0;
    write_dump(p, fs, n);
    b = slurp(p, &len);
    boundaries(fs, n, start, ends);
    for (size_t cut = start; cut < len; cut += 997) {
        struct qvr_dump_err e;
        qvr_dump_writer *w;
        qvr_dump_reader *r;
        int done = 0, last;
        while (done < n && ends[done] <= cut)
            done++;
        spit(q, b, cut);
        rounds++;
        w = qvr_dump_append(q, "{}", 2, &e);
        if (!w || qvr_dump_writer_stats(w)->records != (uint64_t)done ||
            (done && qvr_dump_writer_stats(w)->last_ts != (int64_t)fs[done - 1].ts) ||
            write_frames(w, fs, done, n) != 0 || qvr_dump_finish(w, &e) != 0) {
            bad++;
            continue;
        }
        r = qvr_dump_open(q, &e);
        if (!r || read_all(r, fs, n, &last) != n || last != 0)
            bad++;
        qvr_dump_close(r);
        /* the resumed file is byte for byte the uninterrupted one */
        {
            size_t l2;
            uint8_t *b2 = slurp(q, &l2);
            bad += !b2 || l2 != len || memcmp(b, b2, len) != 0;
            free(b2);
        }
    }
    /* appending to a finished dump drops its index and continues */
    {
        struct qvr_dump_err e;
        qvr_dump_writer *w;
        size_t l2;
        uint8_t *b2;
        write_dump(q, fs, n / 2);
        w = qvr_dump_append(q, "{}", 2, &e);
        bad += !w || write_frames(w, fs, n / 2, n) != 0 || qvr_dump_finish(w, &e) != 0;
        b2 = slurp(q, &l2);
        bad += !b2 || l2 != len || memcmp(b, b2, len) != 0;
        free(b2);
        rounds++;
    }
    /* a file killed inside its head, or none at all, is started afresh */
    for (size_t cut = 0; cut < start; cut += 5) {
        struct qvr_dump_err e;
        qvr_dump_writer *w;
        size_t l2;
        uint8_t *b2;
        spit(q, b, cut);
        if (cut == 0)
            remove(q);
        w = qvr_dump_append(q, "{\"camera\":\"Cam\"}", 16, &e);
        bad += !w || write_frames(w, fs, 0, n) != 0 || qvr_dump_finish(w, &e) != 0;
        b2 = slurp(q, &l2);
        bad += !b2 || l2 != len || memcmp(b, b2, len) != 0;
        free(b2);
        rounds++;
    }
    tap_ok(bad == 0, "append resumes %d cut or finished dumps into the uninterrupted file "
           "(%d wrong)", rounds, bad);
    free(b);
}

static void test_no_seek_points(void)
{
    static struct tframe fs[20];
    const char *p = tmp("audio.qvr");
    struct qvr_dump_err e;
    qvr_dump_reader *r;
    uint64_t entries = 0;
    int last;
    for (int i = 0; i < 20; i++)
        source(&fs[i], "G711", 1, 1000 + (uint64_t)i * 20, 160, 1, 0, 0);
    tap_ok(write_dump(p, fs, 20) == 0, "audio only: written");
    r = qvr_dump_open(p, &e);
    if (r)
        qvr_dump_indexed(r, &entries);
    tap_ok(r && qvr_dump_indexed(r, NULL) && entries == 20,
           "audio only: the index lists every record (%llu)", (unsigned long long)entries);
    tap_ok(r && read_all(r, fs, 20, &last) == 20 && last == 0, "audio only: frames back");
    qvr_dump_close(r);
}

/* A one-record dump with the record head and bytes given. */
static int open_crafted(const uint8_t *rec, size_t n, struct qvr_dump_err *e, int *next)
{
    static uint8_t b[4096];
    const char *p = tmp("bad.qvr");
    struct qvr_frame g;
    qvr_dump_reader *r;
    memcpy(b, "QVRDUMP1\x02\0\0\0{}", 14);
    memcpy(b + 14, rec, n);
    spit(p, b, 14 + n);
    r = qvr_dump_open(p, e);
    if (!r)
        return -1;
    *next = qvr_dump_next(r, &g);
    *e = *qvr_dump_reader_error(r);
    qvr_dump_close(r);
    return 0;
}

static void test_hostile(const struct tframe *fs)
{
    struct qvr_dump_err e;
    uint8_t rec[512];
    const char *p = tmp("hostile.qvr");
    int next = 0;
    size_t len;
    uint8_t *b;
    qvr_dump_reader *r;

    spit(p, (const uint8_t *)"QVRDUMP2\0\0\0\0", 12);
    tap_ok(!qvr_dump_open(p, &e) && e.kind == QVR_DERR_FORMAT, "bad magic: %s", e.msg);
    spit(p, (const uint8_t *)"QVRDUMP1\xff\xff\xff\x7f{}", 14);
    tap_ok(!qvr_dump_open(p, &e) && e.kind == QVR_DERR_FORMAT, "huge meta: %s", e.msg);
    spit(p, (const uint8_t *)"QVRDUMP1\x00\x10\x00\x00{}", 14);
    tap_ok(!qvr_dump_open(p, &e) && e.kind == QVR_DERR_TRUNCATED, "meta past the end: %s",
           e.msg);

    /* payload length of 30 MiB in a small file: no allocation, TRUNCATED */
    memset(rec, 0, sizeof rec);
    rec[0] = 1;
    qvr_put_le16(rec + 2, 56);
    qvr_put_le32(rec + 4, 30u << 20);
    memcpy(rec + 16, fs[0].header, 56);
    tap_ok(open_crafted(rec, 16 + 56 + 10, &e, &next) == 0 && next == -1 &&
           e.kind == QVR_DERR_TRUNCATED, "lying payload length: %s", e.msg);
    qvr_put_le32(rec + 4, 0xffffffffu);
    tap_ok(open_crafted(rec, 16 + 56 + 10, &e, &next) == 0 && next == -1 &&
           e.kind == QVR_DERR_FORMAT, "payload over 32 MiB: %s", e.msg);
    qvr_put_le32(rec + 4, 10);
    qvr_put_le16(rec + 2, 60000);
    tap_ok(open_crafted(rec, 16 + 56 + 10, &e, &next) == 0 && next == -1 &&
           e.kind == QVR_DERR_FORMAT, "header length over the limit: %s", e.msg);
    qvr_put_le16(rec + 2, 56);
    rec[0] = 9;
    tap_ok(open_crafted(rec, 16 + 56 + 10, &e, &next) == 0 && next == -1 &&
           e.kind == QVR_DERR_FORMAT, "unknown record type: %s", e.msg);
    rec[0] = 1;   /* header says fs[0].plen bytes, record 10 */
    tap_ok(open_crafted(rec, 16 + 56 + 10, &e, &next) == 0 && next == -1 &&
           e.kind == QVR_DERR_FRAME, "header size disagrees with the record: %s", e.msg);
    memcpy(rec + 16, "ABCD", 4);
    qvr_put_le32(rec + 16 + QVR_OFF_SIZE, 10);
    tap_ok(open_crafted(rec, 16 + 56 + 10, &e, &next) == 0 && next == -1 &&
           e.kind == QVR_DERR_FRAME, "unknown fourcc: %s", e.msg);
    memcpy(rec + 16, "q264", 4);
    qvr_put_le64(rec + 8, 5);   /* the record's timestamp lies */
    tap_ok(open_crafted(rec, 16 + 56 + 10, &e, &next) == 0 && next == -1 &&
           e.kind == QVR_DERR_FRAME, "record timestamp differs from the frame's: %s", e.msg);
    qvr_put_le64(rec + 8, qvr_le64(rec + 16 + QVR_OFF_TIMESTAMP));
    tap_ok(open_crafted(rec, 16 + 56 + 10, &e, &next) == 0 && next == 1,
           "the same record made consistent reads");

    /* corrupt trailers and index */
    write_dump(p, fs, 10);
    b = slurp(p, &len);
    qvr_put_le64(b + len - 16, len * 4);
    spit(p, b, len);
    tap_ok(!qvr_dump_open(p, &e) && e.kind == QVR_DERR_FORMAT, "trailer pointing outside: %s",
           e.msg);
    free(b);
    write_dump(p, fs, 10);
    b = slurp(p, &len);
    qvr_put_le32(b + qvr_le64(b + len - 16) + 8, 1000000);
    spit(p, b, len);
    tap_ok(!qvr_dump_open(p, &e) && e.kind == QVR_DERR_FORMAT, "index count lies: %s", e.msg);
    free(b);
    write_dump(p, fs, 10);
    b = slurp(p, &len);
    qvr_put_le64(b + qvr_le64(b + len - 16) + 12 + 8, len);
    spit(p, b, len);
    tap_ok(!qvr_dump_open(p, &e) && e.kind == QVR_DERR_FORMAT, "index entry outside: %s",
           e.msg);
    free(b);
    r = qvr_dump_open(tmp("missing.qvr"), &e);
    tap_ok(!r && e.kind == QVR_DERR_IO, "missing file: %s", e.msg);
    write_dump(p, fs, 10);
    b = slurp(p, &len);
    b[QVR_DUMP_HEAD_FIXED + 16] = 9;   /* the first record's type */
    spit(p, b, len);
    free(b);
    tap_ok(!qvr_dump_append(p, "{}", 2, &e) && e.kind == QVR_DERR_FORMAT,
           "append refuses a corrupt dump: %s", e.msg);
}

/* A JPEG record: type 2, the text lines `lines` as its header, `jpeg` as
 * its payload, timestamp ts. */
static size_t jpeg_rec(uint8_t *rec, const char *lines, const char *jpeg, uint64_t ts)
{
    size_t hl = strlen(lines), pl = strlen(jpeg);
    memset(rec, 0, 16);
    rec[0] = QVR_DUMP_JPEG;
    rec[1] = 1;
    qvr_put_le16(rec + 2, (uint16_t)hl);
    qvr_put_le32(rec + 4, (uint32_t)pl);
    qvr_put_le64(rec + 8, ts);
    memcpy(rec + 16, lines, hl);
    memcpy(rec + 16 + hl, jpeg, pl);
    return 16 + hl + pl;
}

static void test_hostile_jpeg(void)
{
    struct qvr_dump_err e;
    uint8_t rec[512];
    int next = 0;
    size_t n = jpeg_rec(rec, "Cam\r\n7\r\n3\r\n", "abc", 7);
    tap_ok(open_crafted(rec, n, &e, &next) == 0 && next == 1,
           "a JPEG record with CRLF lines reads");
    n = jpeg_rec(rec, "\r\n\nCam\n2023-11-14 22:13:20.5\n3\n", "abc", 1700000000500ull);
    tap_ok(open_crafted(rec, n, &e, &next) == 0 && next == 1,
           "blank lines before the name, a date timestamp");
    n = jpeg_rec(rec, "Cam\n7\n", "3\nabc", 7);
    tap_ok(open_crafted(rec, n, &e, &next) == 0 && next == -1 && e.kind == QVR_DERR_FRAME,
           "the length line in the payload, not the header: %s", e.msg);
    n = jpeg_rec(rec, "Cam\n7\n3\nab", "c", 7);
    tap_ok(open_crafted(rec, n, &e, &next) == 0 && next == -1 && e.kind == QVR_DERR_FRAME,
           "JPEG bytes in the header: %s", e.msg);
    n = jpeg_rec(rec, "Cam\n7\n4\n", "abc", 7);
    tap_ok(open_crafted(rec, n, &e, &next) == 0 && next == -1 && e.kind == QVR_DERR_FRAME,
           "the length line disagrees with the payload: %s", e.msg);
    n = jpeg_rec(rec, "Cam\nnoon\n3\n", "abc", 7);
    tap_ok(open_crafted(rec, n, &e, &next) == 0 && next == -1 && e.kind == QVR_DERR_FRAME &&
           strstr(e.msg, "bad timestamp") != NULL, "a bad timestamp line: %s", e.msg);
    n = jpeg_rec(rec, "Cam\n8\n3\n", "abc", 7);
    tap_ok(open_crafted(rec, n, &e, &next) == 0 && next == -1 && e.kind == QVR_DERR_FRAME,
           "the record's timestamp differs from its lines': %s", e.msg);
}

static void test_writer_refuses(void)
{
    qvr_dump_writer *w = create(tmp("refuse.qvr"));
    struct qvr_dump_err e;
    uint8_t h[56] = {0};
    if (!w) {
        tap_ok(0, "writer created");
        return;
    }
    tap_ok(qvr_dump_write(w, 3, 0, 0, h, 56, h, 1) != 0 &&
           qvr_dump_writer_error(w)->kind == QVR_DERR_ARG, "writer refuses an unknown type");
    tap_ok(qvr_dump_write(w, 1, 0, 0, h, 56, h, QVR_DUMP_PAYLOAD_MAX + 1u) != 0,
           "writer refuses a payload over 32 MiB");
    tap_ok(qvr_dump_finish(w, &e) == 0, "a writer that refused records still finishes");
}

int main(void)
{
    static struct tframe fs[NFRAMES], js[12], ext[NFRAMES], gap[8];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/qvrdumpXXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    make_stream(fs, NFRAMES, 0);
    make_stream(ext, NFRAMES, 1);
    for (int i = 0; i < 12; i++)
        jpeg(&js[i], 1700000000000ull + (uint64_t)i * 1000, 300 + (size_t)i * 11);
    for (int i = 0; i < 8; i++)
        source(&gap[i], "q264", i % 4 == 0, 5000 + (uint64_t)i * 100, 200, 0, 0, 16);
    test_roundtrip(fs, NFRAMES, "H.264 + AAC (ext then size)");
    test_roundtrip(ext, NFRAMES, "H.264 + AAC (size includes ext)");
    test_roundtrip(js, 12, "JPEG records");
    test_roundtrip(gap, 8, "video with a reserved gap");
    test_seek(fs, NFRAMES);
    test_cuts(fs, NFRAMES);
    test_append(fs, NFRAMES);
    test_no_seek_points();
    test_hostile(fs);
    test_hostile_jpeg();
    test_writer_refuses();
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", tmpdir);
    }
    return tap_done();
}
