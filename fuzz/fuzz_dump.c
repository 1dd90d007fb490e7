/*
 * fuzz_dump.c - libFuzzer target for the .qvr reader and the appending
 * writer (csrc/proto/dump.c).
 *
 * Input: the bytes of a dump file.  They are put in a memory file and read
 * through its /proc/self/fd path: open, every frame (each byte of it touched
 * so the sanitizers see a pointer outside the buffers), the summary, seeks
 * to the first, a middle and a late timestamp with a read after each; then
 * the appending writer reopens the same bytes, adds one record and finishes.
 * Nothing may crash, leak, read out of bounds or allocate more than the file
 * holds (run with -rss_limit_mb; a lying 32 MiB payload length in a small
 * file must cost nothing).
 *
 * Build: make build/fuzz_dump; seeds: fuzz/corpus_dump (see make_dump_corpus.c).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dump.h"

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= p[i];
    sink = x;
}

static int read_some(qvr_dump_reader *r, int max)
{
    struct qvr_frame f;
    int n = 0;
    while (n < max && qvr_dump_next(r, &f) == 1) {
        touch(f.header, f.header_len);
        touch(f.data, f.len);
        n++;
    }
    return n;
}

static void read_file(const char *path)
{
    struct qvr_dump_err e;
    struct qvr_dump_summary s;
    qvr_dump_reader *r = qvr_dump_open(path, &e);
    size_t mlen;
    if (!r)
        return;
    touch((const uint8_t *)qvr_dump_meta(r, &mlen), mlen);
    read_some(r, 1 << 20);
    if (qvr_dump_summarize(r, &s) == 0 && s.count) {
        uint64_t ts[3] = {(uint64_t)s.first_ts, (uint64_t)s.first_ts / 2 + (uint64_t)s.last_ts / 2,
                          (uint64_t)s.last_ts};
        for (int i = 0; i < 3; i++)
            if (qvr_dump_seek(r, ts[i]) == 0)
                read_some(r, 4);
    }
    qvr_dump_close(r);
}

static void append_file(const char *path)
{
    static const uint8_t header[56] = {'q', '2', '6', '4', 1};
    static const uint8_t payload[4] = {0, 0, 1, 0x65};
    struct qvr_dump_err e;
    qvr_dump_writer *w = qvr_dump_append(path, "{}", 2, &e);
    uint8_t h[56];
    if (!w)
        return;
    memcpy(h, header, sizeof h);
    h[52] = sizeof payload;
    qvr_dump_write(w, QVR_DUMP_SOURCE, QVR_DUMP_FLAG_KEY, 0, h, sizeof h, payload,
                   sizeof payload);
    qvr_dump_finish(w, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = memfd_create("qvrdump", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    read_file(path);
    append_file(path);
    read_file(path);
    close(fd);
    return 0;
}
