/*
 * util.h - small helpers shared by every part of the simulator.
 *
 * Owns: clocks, the CSPRNG and a seeded PRNG, CRC-32, a growable byte
 * buffer, strict integer parsing and whole-file reading.  No simulator state.
 */
#ifndef SIM_UTIL_H
#define SIM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wall clock (CLOCK_REALTIME) in milliseconds since 1970. */
int64_t now_ms(void);

/* Fills buf with n bytes from the kernel CSPRNG; 0 on success. */
int random_bytes(void *buf, size_t n);

/* n characters drawn uniformly from alphabet (CSPRNG), NUL-terminated. */
int random_string(char *out, size_t n, const char *alphabet);

/* splitmix64: a deterministic PRNG step / integer hash. */
uint64_t splitmix64(uint64_t *state);
uint64_t hash64(uint64_t x);

/* CRC-32 (IEEE, as zlib's crc32()). */
uint32_t crc32_calc(const uint8_t *p, size_t n);

struct buf {
    uint8_t *p;
    size_t len, cap;
};

int buf_reserve(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

/* Strict decimal integer: optional '-', digits only, no overflow. */
bool parse_i64(const char *s, int64_t *out);

/* Reads a whole file; *out is malloc'd (NUL-terminated). 0 on success. */
int read_file(const char *path, uint8_t **out, size_t *len);

/* Copies src into dst of size n, always NUL-terminating. */
void copy_str(char *dst, size_t n, const char *src);

/* ASCII case-insensitive substring search. */
bool contains_nocase(const char *hay, const char *needle);

#endif
