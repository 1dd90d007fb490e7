/*
 * parser_bench.c - the parser benchmark (tools/bench/parser).
 *
 * Loads a recorded stream body (a qplay `get` or getstream.cgi body: "0\n"
 * then frames) into memory and measures, over the same bytes cut into the
 * same chunks:
 *   parser: qvr_parser_feed() each chunk, then qvr_parser_next() until it
 *           needs more (what csrc/lua/stream.c does in libcurl's write callback
 *           and the reader), a new parser per pass;
 *   memcpy: memcpy() of each chunk into one chunk-sized buffer (the copy the
 *           parser's feed makes anyway: the floor).
 * Each is repeated for at least `seconds` (and 3 passes), alternating for
 * `rounds` rounds; prints the median of each as one line of key=value.
 *
 * usage: parser_bench FILE CHUNK [rounds [seconds]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parser.h"

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        *len = (size_t)n;
    fclose(f);
    return buf;
}

struct totals {
    uint64_t frames, payload;
};

/* One pass of the parser over the stream; -1 on a parse error. */
static int parse_pass(const uint8_t *s, size_t len, size_t chunk, struct totals *t)
{
    qvr_parser *p = qvr_parser_new(NULL);
    struct qvr_frame f;
    enum qvr_parse_status st = QVR_PARSE_NEED_MORE;
    if (!p)
        return -1;
    for (size_t off = 0; off < len; off += chunk) {
        size_t k = len - off < chunk ? len - off : chunk;
        if (qvr_parser_feed(p, s + off, k) != 0)
            break;
        while ((st = qvr_parser_next(p, &f)) == QVR_PARSE_FRAME) {
            t->frames++;
            t->payload += f.len;
        }
        if (st == QVR_PARSE_ERROR)
            break;
    }
    if (st != QVR_PARSE_ERROR) {
        qvr_parser_finish(p);
        while ((st = qvr_parser_next(p, &f)) == QVR_PARSE_FRAME) {
            t->frames++;
            t->payload += f.len;
        }
    }
    if (st != QVR_PARSE_END) {
        fprintf(stderr, "parser_bench: %s\n", qvr_parser_message(p));
        qvr_parser_free(p);
        return -1;
    }
    qvr_parser_free(p);
    return 0;
}

static void memcpy_pass(const uint8_t *s, size_t len, size_t chunk, uint8_t *dst)
{
    for (size_t off = 0; off < len; off += chunk) {
        size_t k = len - off < chunk ? len - off : chunk;
        memcpy(dst, s + off, k);
        __asm__ volatile("" : : "r"(dst) : "memory");   /* keep the copy */
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    size_t len, chunk;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    double secs = argc > 4 ? atof(argv[4]) : 1.0;
    uint8_t *s, *dst;
    double rate_p[64], rate_m[64];
    struct totals one = {0, 0};
    if (argc < 3 || (chunk = (size_t)strtoul(argv[2], NULL, 10)) == 0 || rounds < 1 ||
        rounds > 64) {
        fprintf(stderr, "usage: parser_bench FILE CHUNK [rounds [seconds]]\n");
        return 2;
    }
    s = load(argv[1], &len);
    dst = malloc(chunk);
    if (!s || !dst) {
        fprintf(stderr, "parser_bench: cannot load %s\n", argv[1]);
        return 1;
    }
    if (parse_pass(s, len, chunk, &one) != 0)   /* also the warm-up */
        return 1;
    for (int r = 0; r < rounds; r++) {
        struct totals t = {0, 0};
        double t0 = mono_s(), t1;
        int passes = 0;
        do {
            if (parse_pass(s, len, chunk, &t) != 0)
                return 1;
            passes++;
        } while ((t1 = mono_s()) - t0 < secs || passes < 3);
        if (t.frames != one.frames * (uint64_t)passes)
            return 1;
        rate_p[r] = (double)len * passes / (t1 - t0);
        t0 = mono_s();
        passes = 0;
        do {
            memcpy_pass(s, len, chunk, dst);
            passes++;
        } while ((t1 = mono_s()) - t0 < secs || passes < 3);
        rate_m[r] = (double)len * passes / (t1 - t0);
    }
    {
        double p = median(rate_p, rounds), m = median(rate_m, rounds);
        printf("bytes=%zu frames=%llu payload=%llu chunk=%zu parser_Bps=%.0f memcpy_Bps=%.0f "
               "ns_per_frame=%.1f\n", len, (unsigned long long)one.frames,
               (unsigned long long)one.payload, chunk, p, m, (double)len / p * 1e9 /
               (double)one.frames);
    }
    free(s);
    free(dst);
    return 0;
}
