/*
 * dump.c - writing and reading `.qvr` dumps (plain C); see dump.h and the
 * format in qvr_dump.h.
 *
 * Owns: the bytes of a dump file.  The reader uses pread on a descriptor and
 * checks every length against what the file holds before it reads or
 * allocates, so a lying length costs nothing; the writer uses stdio with a
 * large buffer and keeps only the seek points in memory (a dump without any
 * gets its every-record index from a scan at finish, so memory stays bounded
 * either way).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"

#define RESERVED_MAX  (64u * 1024u)   /* the stream parser's bound on dwReserved */
#define WRITE_BUFFER  (256u * 1024u)
#define WALK_BACK_MAX 64              /* index entries searched for a seek point */

struct ientry {
    uint64_t ts, off;
};

struct ivec {
    struct ientry *v;
    size_t n, cap;
};

/* ---- errors and small helpers ---------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int seterr(struct qvr_dump_err *e, enum qvr_dump_error kind, const char *fmt, ...)
{
    va_list ap;
    e->kind = kind;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int ivec_push(struct ivec *iv, uint64_t ts, uint64_t off)
{
    if (iv->n == iv->cap) {
        size_t cap = iv->cap ? iv->cap * 2 : 256;
        struct ientry *nv = realloc(iv->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        iv->v = nv;
        iv->cap = cap;
    }
    iv->v[iv->n].ts = ts;
    iv->v[iv->n].off = off;
    iv->n++;
    return 0;
}

/* Reads exactly n bytes at off: 0, 1 when the file ends first, -1 on error. */
static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = pread(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            return 1;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off, struct qvr_dump_err *e)
{
    int r = pread_all(fd, buf, n, off);
    if (r < 0)
        return seterr(e, QVR_DERR_IO, "cannot read the dump at offset %" PRIu64 ": %s", off,
                      strerror(errno));
    if (r > 0)
        return seterr(e, QVR_DERR_TRUNCATED, "the dump got shorter while being read "
                      "(at offset %" PRIu64 ")", off);
    return 0;
}

int qvr_dump_is_seek_point(unsigned type, unsigned flags, const uint8_t *header, size_t hlen)
{
    const struct qvr_fourcc_info *fi;
    if (type == QVR_DUMP_JPEG)
        return 1;
    if (type != QVR_DUMP_SOURCE || !(flags & QVR_DUMP_FLAG_KEY) || hlen < 4)
        return 0;
    fi = qvr_fourcc_lookup(header);
    return fi && fi->media != QVR_MEDIA_AUDIO;
}

/* ---- the parts of a file --------------------------------------------- */

/* The head: magic and meta.  *meta is malloc'd and NUL-terminated. */
static int read_head(int fd, uint64_t size, char **meta, uint32_t *meta_len,
                     struct qvr_dump_err *e)
{
    uint8_t b[QVR_DUMP_HEAD_FIXED];
    size_t got = size < sizeof b ? (size_t)size : sizeof b;
    uint32_t n;
    if (size == 0)
        return seterr(e, QVR_DERR_TRUNCATED, "the dump is empty (no head)");
    if (read_at(fd, b, got, 0, e) != 0)
        return -1;
    if (memcmp(b, QVR_DUMP_MAGIC, got < QVR_DUMP_MAGIC_LEN ? got : QVR_DUMP_MAGIC_LEN) != 0)
        return seterr(e, QVR_DERR_FORMAT, "not a .qvr dump (bad magic)");
    if (got < sizeof b)
        return seterr(e, QVR_DERR_TRUNCATED, "the dump ends inside its head (%zu bytes)", got);
    n = qvr_le32(b + QVR_DUMP_MAGIC_LEN);
    if (n > QVR_DUMP_META_MAX)
        return seterr(e, QVR_DERR_FORMAT, "the dump's meta declares %" PRIu32 " bytes, "
                      "over the limit of %u", n, QVR_DUMP_META_MAX);
    if (n > size - sizeof b)
        return seterr(e, QVR_DERR_TRUNCATED, "the dump ends inside its meta (%" PRIu64
                      " of %" PRIu32 " bytes)", size - sizeof b, n);
    *meta = malloc((size_t)n + 1);
    if (!*meta)
        return seterr(e, QVR_DERR_NOMEM, "out of memory for the dump's meta");
    if (read_at(fd, *meta, n, sizeof b, e) != 0) {
        free(*meta);
        *meta = NULL;
        return -1;
    }
    (*meta)[n] = '\0';
    *meta_len = n;
    return 0;
}

/* The trailer and index head: 1 with *index_off and *count when the file
 * ends in a trailer that fits, 0 when it has none, -1 when it is corrupt. */
static int read_trailer(int fd, uint64_t size, uint64_t rstart, uint64_t *index_off,
                        uint32_t *count, struct qvr_dump_err *e)
{
    uint8_t t[QVR_DUMP_TRAILER], ih[QVR_DUMP_INDEX_HEAD];
    uint64_t off, room;
    if (size < rstart + QVR_DUMP_INDEX_HEAD + QVR_DUMP_TRAILER)
        return 0;
    if (read_at(fd, t, sizeof t, size - sizeof t, e) != 0)
        return -1;
    if (memcmp(t + 8, QVR_DUMP_TAIL_MAGIC, QVR_DUMP_MAGIC_LEN) != 0)
        return 0;
    off = qvr_le64(t);
    if (off < rstart || off > size - QVR_DUMP_TRAILER - QVR_DUMP_INDEX_HEAD)
        return seterr(e, QVR_DERR_FORMAT, "corrupt trailer: index offset %" PRIu64
                      " outside the records (%" PRIu64 "..%" PRIu64 ")", off, rstart,
                      size - QVR_DUMP_TRAILER - QVR_DUMP_INDEX_HEAD);
    if (read_at(fd, ih, sizeof ih, off, e) != 0)
        return -1;
    if (memcmp(ih, QVR_DUMP_INDEX_MAGIC, QVR_DUMP_MAGIC_LEN) != 0)
        return seterr(e, QVR_DERR_FORMAT, "corrupt trailer: no index at offset %" PRIu64, off);
    *count = qvr_le32(ih + QVR_DUMP_MAGIC_LEN);
    room = size - QVR_DUMP_TRAILER - off - QVR_DUMP_INDEX_HEAD;
    if ((uint64_t)*count * QVR_DUMP_INDEX_ENTRY != room)
        return seterr(e, QVR_DERR_FORMAT, "corrupt index: %" PRIu32 " entries declared, "
                      "room for %" PRIu64 " bytes", *count, room);
    *index_off = off;
    return 1;
}

static int bad_rec(struct qvr_dump_err *e, uint64_t off, const char *what, uint64_t v)
{
    return seterr(e, QVR_DERR_FORMAT, "record at offset %" PRIu64 ": %s %" PRIu64
                  " (corrupt dump, or not a record boundary)", off, what, v);
}

static int check_rec(const struct qvr_dump_rec *r, struct qvr_dump_err *e)
{
    if (r->type != QVR_DUMP_SOURCE && r->type != QVR_DUMP_JPEG)
        return bad_rec(e, r->offset, "unknown type", r->type);
    if (r->header_len > QVR_DUMP_HEADER_MAX)
        return bad_rec(e, r->offset, "header length over the limit:", r->header_len);
    if (r->type == QVR_DUMP_SOURCE && r->header_len != QVR_HDR_SIZE &&
        r->header_len != QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE)
        return bad_rec(e, r->offset, "source frame header of 56 or 64 bytes expected, got",
                       r->header_len);
    if (r->type == QVR_DUMP_JPEG && r->header_len == 0)
        return bad_rec(e, r->offset, "JPEG record without its text lines, header length",
                       0);
    if (r->payload_len > QVR_DUMP_PAYLOAD_MAX)
        return bad_rec(e, r->offset, "payload length over the 32 MiB limit:", r->payload_len);
    return 0;
}

/* The record head at off, records ending at end (hard: an index follows, so
 * the records must end exactly there).  1 with *r, 0 at the end, -1. */
static int read_rec(int fd, uint64_t off, uint64_t end, int hard, struct qvr_dump_rec *r,
                    struct qvr_dump_err *e)
{
    uint8_t b[QVR_DUMP_RECORD_HEAD + 4];
    uint64_t avail, total;
    size_t n;
    if (off >= end)
        return 0;
    avail = end - off;
    n = avail < sizeof b ? (size_t)avail : sizeof b;
    if (read_at(fd, b, n, off, e) != 0)
        return -1;
    if (!hard && memcmp(b, QVR_DUMP_INDEX_MAGIC, n < 8 ? n : 8) == 0)
        return seterr(e, QVR_DERR_TRUNCATED, "the dump ends inside its index (at offset %"
                      PRIu64 "; every record before it is complete)", off);
    if (n < QVR_DUMP_RECORD_HEAD)
        return seterr(e, hard ? QVR_DERR_FORMAT : QVR_DERR_TRUNCATED, "the %s inside the "
                      "head of the record at offset %" PRIu64, hard ? "index starts" :
                      "dump ends", off);
    r->type = b[0];
    r->flags = b[1];
    r->header_len = qvr_le16(b + 2);
    r->payload_len = qvr_le32(b + 4);
    r->timestamp = qvr_le64(b + 8);
    r->offset = off;
    if (check_rec(r, e) != 0)
        return -1;
    total = QVR_DUMP_RECORD_HEAD + (uint64_t)r->header_len + r->payload_len;
    if (total > avail && hard)
        return seterr(e, QVR_DERR_FORMAT, "the record at offset %" PRIu64 " declares %"
                      PRIu64 " bytes, but the index starts after %" PRIu64, off, total, avail);
    if (total > avail)
        return seterr(e, QVR_DERR_TRUNCATED, "the dump ends inside the record at offset %"
                      PRIu64 " (%" PRIu64 " of its %" PRIu64 " bytes are there)", off, avail,
                      total);
    r->seek_point = qvr_dump_is_seek_point(r->type, r->flags, b + QVR_DUMP_RECORD_HEAD,
                                           n - QVR_DUMP_RECORD_HEAD);
    return 1;
}

static uint64_t rec_size(const struct qvr_dump_rec *r)
{
    return QVR_DUMP_RECORD_HEAD + (uint64_t)r->header_len + r->payload_len;
}

static uint64_t file_size(int fd)
{
    struct stat sb;
    return fstat(fd, &sb) == 0 && sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
}

/* ---- writer ----------------------------------------------------------- */

struct qvr_dump_writer {
    FILE *f;
    char *meta;
    uint32_t meta_len;
    uint64_t rstart;
    struct ivec keys;
    struct qvr_dump_wstats st;
    struct qvr_dump_err err;
    int failed;                 /* an I/O failure: the file is left as a killed one */
};

static qvr_dump_writer *writer_new(struct qvr_dump_err *e)
{
    qvr_dump_writer *w = calloc(1, sizeof *w);
    if (!w) {
        seterr(e, QVR_DERR_NOMEM, "out of memory");
        return NULL;
    }
    w->st.last_ts = w->st.first_ts = -1;
    return w;
}

static void writer_free(qvr_dump_writer *w)
{
    if (w->f)
        fclose(w->f);
    free(w->keys.v);
    free(w->meta);
    free(w);
}

static int wfail(qvr_dump_writer *w, const char *what)
{
    w->failed = 1;
    return seterr(&w->err, QVR_DERR_IO, "cannot %s the dump: %s", what,
                  errno ? strerror(errno) : "write error");
}

static int put(qvr_dump_writer *w, const void *p, size_t n)
{
    errno = 0;
    if (n && fwrite(p, 1, n, w->f) != n)
        return wfail(w, "write");
    return 0;
}

qvr_dump_writer *qvr_dump_create(const char *path, const char *meta, size_t meta_len,
                                 struct qvr_dump_err *e)
{
    qvr_dump_writer *w;
    uint8_t head[QVR_DUMP_HEAD_FIXED];
    if (meta_len > QVR_DUMP_META_MAX) {
        seterr(e, QVR_DERR_ARG, "meta of %zu bytes, over the limit of %u", meta_len,
               QVR_DUMP_META_MAX);
        return NULL;
    }
    if (!(w = writer_new(e)))
        return NULL;
    w->meta = malloc(meta_len + 1);
    w->f = w->meta ? fopen(path, "w+b") : NULL;   /* readable: a scan at finish */
    if (!w->f) {
        seterr(e, w->meta ? QVR_DERR_IO : QVR_DERR_NOMEM, "cannot create %s: %s", path,
               w->meta ? strerror(errno) : "out of memory");
        writer_free(w);
        return NULL;
    }
    setvbuf(w->f, NULL, _IOFBF, WRITE_BUFFER);
    memcpy(w->meta, meta, meta_len);
    w->meta[meta_len] = '\0';
    w->meta_len = (uint32_t)meta_len;
    memcpy(head, QVR_DUMP_MAGIC, QVR_DUMP_MAGIC_LEN);
    qvr_put_le32(head + QVR_DUMP_MAGIC_LEN, (uint32_t)meta_len);
    if (put(w, head, sizeof head) != 0 || put(w, meta, meta_len) != 0) {
        *e = w->err;
        writer_free(w);
        return NULL;
    }
    w->rstart = w->st.bytes = sizeof head + meta_len;
    return w;
}

static void count_record(qvr_dump_writer *w, uint64_t ts, uint64_t size)
{
    if (w->st.first_ts < 0)
        w->st.first_ts = (int64_t)ts;
    w->st.last_ts = (int64_t)ts;
    w->st.records++;
    w->st.bytes += size;
}

/* Walks the records of an existing file up to its last complete one,
 * rebuilding the counters and seek points; *end is where to cut. */
static int scan_existing(qvr_dump_writer *w, int fd, uint64_t end, int hard, uint64_t *cut,
                         struct qvr_dump_err *e)
{
    struct qvr_dump_rec r;
    uint64_t off = w->rstart;
    int k;
    while ((k = read_rec(fd, off, end, hard, &r, e)) > 0) {
        if (r.seek_point && ivec_push(&w->keys, r.timestamp, off) != 0)
            return seterr(e, QVR_DERR_NOMEM, "out of memory for the index");
        count_record(w, r.timestamp, rec_size(&r));
        off += rec_size(&r);
    }
    if (k < 0 && !(e->kind == QVR_DERR_TRUNCATED && !hard))
        return -1;
    e->kind = QVR_DERR_NONE;
    e->msg[0] = '\0';
    *cut = off;
    return 0;
}

static int open_existing(qvr_dump_writer *w, int fd, struct qvr_dump_err *e)
{
    uint64_t size = file_size(fd), end, iofs = 0, cut = 0;
    uint32_t count;
    int t;
    if (read_head(fd, size, &w->meta, &w->meta_len, e) != 0)
        return -1;
    w->rstart = w->st.bytes = QVR_DUMP_HEAD_FIXED + (uint64_t)w->meta_len;
    t = read_trailer(fd, size, w->rstart, &iofs, &count, e);
    if (t < 0)
        return -1;
    end = t ? iofs : size;
    if (scan_existing(w, fd, end, t, &cut, e) != 0)
        return -1;
    if (cut != size && ftruncate(fd, (off_t)cut) != 0)
        return seterr(e, QVR_DERR_IO, "cannot cut the dump at offset %" PRIu64 ": %s", cut,
                      strerror(errno));
    w->f = fdopen(fd, "r+b");
    if (!w->f)
        return seterr(e, QVR_DERR_IO, "cannot reopen the dump: %s", strerror(errno));
    setvbuf(w->f, NULL, _IOFBF, WRITE_BUFFER);
    if (fseeko(w->f, (off_t)cut, SEEK_SET) != 0)
        return seterr(e, QVR_DERR_IO, "cannot seek in the dump: %s", strerror(errno));
    return 0;
}

qvr_dump_writer *qvr_dump_append(const char *path, const char *meta, size_t meta_len,
                                 struct qvr_dump_err *e)
{
    qvr_dump_writer *w;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return qvr_dump_create(path, meta, meta_len, e);
    if (fd < 0) {
        seterr(e, QVR_DERR_IO, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!(w = writer_new(e))) {
        close(fd);
        return NULL;
    }
    e->kind = QVR_DERR_NONE;
    if (open_existing(w, fd, e) != 0) {
        int headless = e->kind == QVR_DERR_TRUNCATED && w->rstart == 0;
        if (!w->f)
            close(fd);
        writer_free(w);
        return headless ? qvr_dump_create(path, meta, meta_len, e) : NULL;
    }
    return w;
}

static int refuse(qvr_dump_writer *w, const char *fmt, size_t v)
{
    return seterr(&w->err, QVR_DERR_ARG, fmt, v);
}

int qvr_dump_set_meta(qvr_dump_writer *w, const char *meta, size_t len)
{
    char *buf;
    ssize_t n;
    if (w->failed)
        return -1;
    if (len > w->meta_len)
        return seterr(&w->err, QVR_DERR_ARG, "new meta of %zu bytes does not fit the room "
                      "the file has (%zu bytes)", len, (size_t)w->meta_len);
    buf = malloc(w->meta_len + 1);
    if (!buf)
        return seterr(&w->err, QVR_DERR_NOMEM, "out of memory%s", "");
    memcpy(buf, meta, len);
    memset(buf + len, ' ', w->meta_len - len);    /* JSON allows white space after */
    buf[w->meta_len] = '\0';
    errno = 0;
    if (fflush(w->f) != 0) {
        free(buf);
        return wfail(w, "write");
    }
    n = pwrite(fileno(w->f), buf, w->meta_len, QVR_DUMP_HEAD_FIXED);
    if (n != (ssize_t)w->meta_len) {
        free(buf);
        return wfail(w, "rewrite the meta of");
    }
    free(w->meta);
    w->meta = buf;
    return 0;
}

int qvr_dump_write(qvr_dump_writer *w, unsigned type, unsigned flags, uint64_t ts,
                   const uint8_t *header, size_t header_len,
                   const uint8_t *payload, size_t payload_len)
{
    uint8_t head[QVR_DUMP_RECORD_HEAD];
    uint64_t off = w->st.bytes;
    if (w->failed)
        return -1;
    if (type != QVR_DUMP_SOURCE && type != QVR_DUMP_JPEG)
        return refuse(w, "unknown record type %zu", type);
    if (header_len > QVR_DUMP_HEADER_MAX || header_len == 0)
        return refuse(w, "a frame header of %zu bytes cannot be dumped", header_len);
    if (payload_len > QVR_DUMP_PAYLOAD_MAX)
        return refuse(w, "a payload of %zu bytes is over the 32 MiB limit", payload_len);
    head[0] = (uint8_t)type;
    head[1] = (uint8_t)(flags & 0xffu);
    qvr_put_le16(head + 2, (uint16_t)header_len);
    qvr_put_le32(head + 4, (uint32_t)payload_len);
    qvr_put_le64(head + 8, ts);
    if (put(w, head, sizeof head) != 0 || put(w, header, header_len) != 0 ||
        put(w, payload, payload_len) != 0)
        return -1;
    if (qvr_dump_is_seek_point(type, flags, header, header_len) &&
        ivec_push(&w->keys, ts, off) != 0) {
        w->failed = 1;
        return seterr(&w->err, QVR_DERR_NOMEM, "out of memory for the index");
    }
    count_record(w, ts, sizeof head + header_len + payload_len);
    return 0;
}

int qvr_dump_flush(qvr_dump_writer *w, int sync)
{
    if (w->failed)
        return -1;
    errno = 0;
    if (fflush(w->f) != 0)
        return wfail(w, "flush");
    if (sync && fsync(fileno(w->f)) != 0)
        return wfail(w, "sync");
    return 0;
}

static int put_entry(qvr_dump_writer *w, uint64_t ts, uint64_t off)
{
    uint8_t b[QVR_DUMP_INDEX_ENTRY];
    qvr_put_le64(b, ts);
    qvr_put_le64(b + 8, off);
    return put(w, b, sizeof b);
}

/* The index of a dump without seek points: every record, from a scan. */
static int put_every_record(qvr_dump_writer *w, uint64_t end)
{
    struct qvr_dump_rec r;
    struct qvr_dump_err e = {QVR_DERR_NONE, ""};
    uint64_t off = w->rstart, n = 0;
    int k;
    while ((k = read_rec(fileno(w->f), off, end, 1, &r, &e)) > 0) {
        if (put_entry(w, r.timestamp, off) != 0)
            return -1;
        off += rec_size(&r);
        n++;
    }
    if (k < 0 || n != w->st.records) {
        w->failed = 1;
        w->err = e;
        if (k == 0)
            seterr(&w->err, QVR_DERR_IO, "the dump changed under its writer");
        return -1;
    }
    return 0;
}

static int put_index(qvr_dump_writer *w)
{
    uint8_t b[QVR_DUMP_INDEX_HEAD > QVR_DUMP_TRAILER ? QVR_DUMP_INDEX_HEAD : QVR_DUMP_TRAILER];
    uint64_t index_off = w->st.bytes;
    int every = w->keys.n == 0;
    uint64_t count = every ? w->st.records : w->keys.n;
    if (count > UINT32_MAX)
        return seterr(&w->err, QVR_DERR_ARG, "too many index entries: %" PRIu64, count);
    if (every && qvr_dump_flush(w, 0) != 0)
        return -1;
    memcpy(b, QVR_DUMP_INDEX_MAGIC, QVR_DUMP_MAGIC_LEN);
    qvr_put_le32(b + QVR_DUMP_MAGIC_LEN, (uint32_t)count);
    if (put(w, b, QVR_DUMP_INDEX_HEAD) != 0)
        return -1;
    if (every && put_every_record(w, index_off) != 0)
        return -1;
    for (size_t i = 0; !every && i < w->keys.n; i++)
        if (put_entry(w, w->keys.v[i].ts, w->keys.v[i].off) != 0)
            return -1;
    qvr_put_le64(b, index_off);
    memcpy(b + 8, QVR_DUMP_TAIL_MAGIC, QVR_DUMP_MAGIC_LEN);
    return put(w, b, QVR_DUMP_TRAILER);
}

int qvr_dump_finish(qvr_dump_writer *w, struct qvr_dump_err *e)
{
    int rc = -1;
    if (!w->failed && put_index(w) == 0 && qvr_dump_flush(w, 1) == 0)
        rc = 0;
    if (rc != 0 && w->err.kind == QVR_DERR_NONE)
        seterr(&w->err, QVR_DERR_IO, "cannot finish the dump");
    errno = 0;
    if (fclose(w->f) != 0 && rc == 0)
        rc = wfail(w, "close");
    w->f = NULL;
    if (rc != 0 && e)
        *e = w->err;
    writer_free(w);
    return rc;
}

const struct qvr_dump_wstats *qvr_dump_writer_stats(const qvr_dump_writer *w)
{
    return &w->st;
}

const struct qvr_dump_err *qvr_dump_writer_error(const qvr_dump_writer *w)
{
    return &w->err;
}

const char *qvr_dump_writer_meta(const qvr_dump_writer *w, size_t *len)
{
    if (len)
        *len = w->meta_len;
    return w->meta;
}

/* ---- reader ----------------------------------------------------------- */

struct qvr_dump_reader {
    int fd;
    uint64_t rstart, rend;
    int hard;                     /* an index follows the records */
    char *meta;
    uint32_t meta_len;
    struct ientry *index;
    uint32_t nindex;
    uint64_t pos;
    uint8_t *buf;
    size_t cap;
    struct qvr_dump_summary sum;
    int have_sum;
    struct qvr_dump_err err;
    int failed;
};

void qvr_dump_close(qvr_dump_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->index);
    free(r->meta);
    free(r->buf);
    free(r);
}

static int load_index(qvr_dump_reader *r, uint64_t off, uint32_t count, struct qvr_dump_err *e)
{
    uint8_t b[QVR_DUMP_INDEX_ENTRY * 256];
    uint64_t at = off + QVR_DUMP_INDEX_HEAD;
    if (count && !(r->index = malloc((size_t)count * sizeof *r->index)))
        return seterr(e, QVR_DERR_NOMEM, "out of memory for an index of %" PRIu32
                      " entries", count);
    for (uint32_t i = 0; i < count;) {
        uint32_t k = count - i < 256 ? count - i : 256;
        if (read_at(r->fd, b, (size_t)k * QVR_DUMP_INDEX_ENTRY, at, e) != 0)
            return -1;
        for (uint32_t j = 0; j < k; j++, i++) {
            struct ientry *x = &r->index[i];
            x->ts = qvr_le64(b + j * QVR_DUMP_INDEX_ENTRY);
            x->off = qvr_le64(b + j * QVR_DUMP_INDEX_ENTRY + 8);
            if (x->off < r->rstart || x->off >= off || (i && x->off <= x[-1].off))
                return seterr(e, QVR_DERR_FORMAT, "corrupt index: entry %" PRIu32
                              " points at offset %" PRIu64, i, x->off);
        }
        at += (uint64_t)k * QVR_DUMP_INDEX_ENTRY;
    }
    r->nindex = count;
    return 0;
}

static int reader_init(qvr_dump_reader *r, struct qvr_dump_err *e)
{
    uint64_t size = file_size(r->fd), iofs = 0;
    uint32_t count = 0;
    int t;
    if (read_head(r->fd, size, &r->meta, &r->meta_len, e) != 0)
        return -1;
    r->rstart = r->pos = QVR_DUMP_HEAD_FIXED + (uint64_t)r->meta_len;
    t = read_trailer(r->fd, size, r->rstart, &iofs, &count, e);
    if (t < 0)
        return -1;
    r->hard = t;
    r->rend = t ? iofs : size;
    return t ? load_index(r, iofs, count, e) : 0;
}

qvr_dump_reader *qvr_dump_open(const char *path, struct qvr_dump_err *e)
{
    qvr_dump_reader *r = calloc(1, sizeof *r);
    if (!r) {
        seterr(e, QVR_DERR_NOMEM, "out of memory");
        return NULL;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        seterr(e, QVR_DERR_IO, "cannot open %s: %s", path, strerror(errno));
        qvr_dump_close(r);
        return NULL;
    }
    if (reader_init(r, e) != 0) {
        qvr_dump_close(r);
        return NULL;
    }
    return r;
}

const char *qvr_dump_meta(const qvr_dump_reader *r, size_t *len)
{
    if (len)
        *len = r->meta_len;
    return r->meta;
}

int qvr_dump_indexed(const qvr_dump_reader *r, uint64_t *entries)
{
    if (entries)
        *entries = r->nindex;
    return r->hard;
}

const struct qvr_dump_err *qvr_dump_reader_error(const qvr_dump_reader *r)
{
    return &r->err;
}

static int rfail(qvr_dump_reader *r)
{
    r->failed = 1;
    return -1;
}

static int grow(qvr_dump_reader *r, size_t need)
{
    uint8_t *nb;
    size_t cap = r->cap ? r->cap : 64 * 1024;
    if (need <= r->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    nb = realloc(r->buf, cap);
    if (!nb)
        return seterr(&r->err, QVR_DERR_NOMEM, "out of memory for a record of %zu bytes", need);
    r->buf = nb;
    r->cap = cap;
    return 0;
}

int qvr_dump_next_record(qvr_dump_reader *r, struct qvr_dump_rec *rec, const uint8_t **bytes)
{
    size_t need;
    int k;
    if (r->failed)
        return -1;
    k = read_rec(r->fd, r->pos, r->rend, r->hard, rec, &r->err);
    if (k <= 0)
        return k < 0 ? rfail(r) : 0;
    need = (size_t)rec->header_len + rec->payload_len;
    if (grow(r, need) != 0 ||
        read_at(r->fd, r->buf, need, r->pos + QVR_DUMP_RECORD_HEAD, &r->err) != 0)
        return rfail(r);
    r->pos += rec_size(rec);
    *bytes = r->buf;
    return 1;
}

/* ---- frames, decoded as the stream parser decodes them (wire.h) ------ */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int disagree(qvr_dump_reader *r, const struct qvr_dump_rec *rec, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return seterr(&r->err, QVR_DERR_FRAME, "record at offset %" PRIu64 ": %s", rec->offset,
                  why);
}

static int bad_fourcc(qvr_dump_reader *r, const struct qvr_dump_rec *rec, const uint8_t *h)
{
    char shown[24];
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        if (h[i] >= 0x20 && h[i] < 0x7f && h[i] != '"' && h[i] != '\\')
            shown[o++] = (char)h[i];
        else
            o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02x", h[i]);
    }
    shown[o] = '\0';
    return disagree(r, rec, "unknown fourcc \"%s\"", shown);
}

/* For a source record: the audio layout its lengths imply.  A video
 * header's reserved gap is dropped from the payload on the wire, so its
 * size must be the payload's. */
static int plan_source(qvr_dump_reader *r, const struct qvr_dump_rec *rec,
                       const struct qvr_frame_header *h, enum qvr_audio_layout *layout)
{
    uint32_t hl = rec->header_len, pl = rec->payload_len;
    int ext_ok = h->reserved >= QVR_AUDIO_EXT_SIZE && h->size >= QVR_AUDIO_EXT_SIZE;
    if (h->media != QVR_MEDIA_AUDIO) {
        if (hl != QVR_HDR_SIZE || h->size != pl)
            return disagree(r, rec, "the frame header's size disagrees with the record");
        if (h->reserved > RESERVED_MAX)
            return disagree(r, rec, "the frame header's reserved field is over 64 KiB");
        *layout = QVR_AUDIO_AUTO;     /* a video frame's extent needs none */
        return 0;
    }
    if (hl == QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE && pl == h->size)
        *layout = QVR_AUDIO_EXT_THEN_SIZE;
    else if (hl == QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE && ext_ok && pl == h->size - QVR_AUDIO_EXT_SIZE)
        *layout = QVR_AUDIO_SIZE_INCLUDES_EXT;
    else if (hl == QVR_HDR_SIZE && pl == h->size && !ext_ok)
        *layout = QVR_AUDIO_SIZE_INCLUDES_EXT;
    else
        return disagree(r, rec, "the audio header's sizes disagree with the record");
    if (h->size > QVR_DUMP_PAYLOAD_MAX || h->reserved > RESERVED_MAX)
        return disagree(r, rec, "the audio header declares %s %" PRIu32 ", over the limit of %u",
                        h->size > QVR_DUMP_PAYLOAD_MAX ? "data size" : "reserved",
                        h->size > QVR_DUMP_PAYLOAD_MAX ? h->size : h->reserved,
                        h->size > QVR_DUMP_PAYLOAD_MAX ? QVR_DUMP_PAYLOAD_MAX : RESERVED_MAX);
    return 0;
}

/* A source record: its header and payload are the frame's wire bytes with
 * a video frame's reserved gap left out. */
static int source_frame(qvr_dump_reader *r, const struct qvr_dump_rec *rec, const uint8_t *b,
                        struct qvr_frame *out)
{
    struct qvr_frame_header h;
    struct qvr_frame_extent x;
    enum qvr_audio_layout layout = QVR_AUDIO_AUTO;
    size_t n = (size_t)rec->header_len + rec->payload_len;
    int st = qvr_wire_decode_header(b, rec->header_len, &h);
    if (st == QVR_WIRE_FOURCC)
        return bad_fourcc(r, rec, b);
    if (st != QVR_WIRE_OK)
        return disagree(r, rec, "frame header: %s", qvr_wire_status_text(st));
    if (plan_source(r, rec, &h, &layout) != 0)
        return -1;
    qvr_wire_extent(&h, layout, &x);
    x.total -= x.data_off - x.header_len;   /* the gap is not in the record */
    x.data_off = x.header_len;
    if (x.header_len != rec->header_len || x.total != n)
        return disagree(r, rec, "its frame does not span exactly the record's bytes");
    return qvr_wire_source_frame(b, n, &h, &x, out) == QVR_WIRE_OK
               ? 0 : disagree(r, rec, "its frame does not span exactly the record's bytes");
}

/* A JPEG record: its header is the record's text lines, its payload the
 * JPEG. */
static int jpeg_frame(qvr_dump_reader *r, const struct qvr_dump_rec *rec, const uint8_t *b,
                      struct qvr_frame *out)
{
    struct qvr_jpeg_header jh;
    size_t skip, used;
    int st = qvr_wire_decode_jpeg_header(b, rec->header_len, &jh, &skip, &used);
    if (st == QVR_WIRE_SHORT || (st == QVR_WIRE_OK && (used != rec->header_len ||
                                                       jh.length != rec->payload_len)))
        return disagree(r, rec, "its frame does not span exactly the record's bytes");
    if (st != QVR_WIRE_OK)
        return disagree(r, rec, "JPEG record lines: %s", qvr_wire_status_text(st));
    qvr_wire_jpeg_frame(&jh, b + skip, used - skip, b + used, out);
    return 0;
}

static int rebuild(qvr_dump_reader *r, const struct qvr_dump_rec *rec, const uint8_t *b,
                   struct qvr_frame *out)
{
    int k = rec->type == QVR_DUMP_JPEG ? jpeg_frame(r, rec, b, out)
                                       : source_frame(r, rec, b, out);
    if (k != 0)
        return -1;
    if (out->timestamp != rec->timestamp)
        return disagree(r, rec, "the record's timestamp differs from its frame's");
    return 0;
}

int qvr_dump_next(qvr_dump_reader *r, struct qvr_frame *out)
{
    struct qvr_dump_rec rec;
    const uint8_t *b;
    int k = qvr_dump_next_record(r, &rec, &b);
    if (k <= 0)
        return k;
    return rebuild(r, &rec, b, out) == 0 ? 1 : rfail(r);
}

/* ---- seeking and counting --------------------------------------------- */

static int seek_index(qvr_dump_reader *r, uint64_t ts)
{
    struct qvr_dump_rec rec;
    uint32_t lo = 0, hi = r->nindex, i;
    while (lo < hi) {                 /* first entry with ts > target */
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->index[mid].ts <= ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    r->pos = r->rstart;
    if (lo == 0)
        return 0;
    r->pos = r->index[lo - 1].off;
    for (i = lo; i > 0 && lo - i < WALK_BACK_MAX; i--) {
        if (read_rec(r->fd, r->index[i - 1].off, r->rend, 1, &rec, &r->err) < 0)
            return rfail(r);
        if (rec.seek_point) {
            r->pos = rec.offset;
            break;
        }
    }
    return 0;
}

static int seek_scan(qvr_dump_reader *r, uint64_t ts)
{
    struct qvr_dump_rec rec;
    uint64_t off = r->rstart, best = r->rstart;
    int k;
    while ((k = read_rec(r->fd, off, r->rend, r->hard, &rec, &r->err)) > 0 &&
           rec.timestamp <= ts) {
        if (rec.seek_point)
            best = off;
        off += rec_size(&rec);
    }
    if (k < 0 && r->err.kind != QVR_DERR_TRUNCATED)
        return rfail(r);
    r->err.kind = QVR_DERR_NONE;
    r->pos = best;
    return 0;
}

int qvr_dump_seek(qvr_dump_reader *r, uint64_t ts)
{
    r->failed = 0;
    r->err.kind = QVR_DERR_NONE;
    r->err.msg[0] = '\0';
    return r->hard ? seek_index(r, ts) : seek_scan(r, ts);
}

int qvr_dump_summarize(qvr_dump_reader *r, struct qvr_dump_summary *s)
{
    struct qvr_dump_rec rec;
    struct qvr_dump_err e = {QVR_DERR_NONE, ""};
    uint64_t off = r->rstart;
    int k;
    if (!r->have_sum) {
        memset(&r->sum, 0, sizeof r->sum);
        r->sum.first_ts = r->sum.last_ts = -1;
        while ((k = read_rec(r->fd, off, r->rend, r->hard, &rec, &e)) > 0) {
            if (r->sum.first_ts < 0)
                r->sum.first_ts = (int64_t)rec.timestamp;
            r->sum.last_ts = (int64_t)rec.timestamp;
            r->sum.count++;
            off += rec_size(&rec);
        }
        if (k < 0 && e.kind == QVR_DERR_IO) {
            r->err = e;
            return -1;
        }
        r->sum.end = off;
        r->sum.complete = r->hard;
        r->sum.stop = k < 0 ? e.kind : QVR_DERR_NONE;
        r->have_sum = 1;
    }
    *s = r->sum;
    return 0;
}
