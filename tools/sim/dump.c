/*
 * dump.c - loads and validates `.qvr` dumps; seeks in them.
 */
#include "dump.h"
#include "qvr_dump.h"
#include "qvr_wire.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TS_LIMIT ((int64_t)1 << 52) /* beyond any sane ms timestamp */

static void warn(const struct dump *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(const struct dump *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "qvrsim: warning: dump %s: ", d->path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int fail(const struct dump *d, char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "dump %s: %s", d->path, msg);
    return -1;
}

static int map_file(struct dump *d, char *err, size_t errlen)
{
    int fd = open(d->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        char msg[160];
        snprintf(msg, sizeof msg, "cannot read it (%s)",
                 fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return fail(d, err, errlen, msg);
    }
    d->size = (size_t)st.st_size;
    if (d->size > 0) {
        void *p = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return fail(d, err, errlen, "cannot map it into memory");
        }
        d->map = p;
    }
    close(fd);
    return 0;
}

/* Checks the head; *records gets the offset of the first record. */
static int check_head(struct dump *d, size_t *records, char *err, size_t errlen)
{
    if (d->size < QVR_DUMP_MAGIC_LEN + 4 ||
        memcmp(d->map, QVR_DUMP_MAGIC, QVR_DUMP_MAGIC_LEN) != 0)
        return fail(d, err, errlen, "bad magic: not a .qvr dump (it starts with \"QVRDUMP1\")");
    uint32_t meta_len = qvr_le32(d->map + QVR_DUMP_MAGIC_LEN);
    size_t start = QVR_DUMP_MAGIC_LEN + 4 + (size_t)meta_len;
    if (meta_len > QVR_DUMP_META_MAX || start > d->size)
        return fail(d, err, errlen, "truncated head: the meta data is cut off");
    cJSON *meta = cJSON_ParseWithLength((const char *)d->map + QVR_DUMP_MAGIC_LEN + 4, meta_len);
    if (!cJSON_IsObject(meta))
        warn(d, "its meta data is not a JSON object (ignored)");
    cJSON_Delete(meta);
    *records = start;
    return 0;
}

/* The end of the records when a sound trailer and index follow them, else
 * the file size; *index_at gets the index offset (0: none). */
static size_t find_index(struct dump *d, size_t records, size_t *index_at, uint32_t *count)
{
    *index_at = 0;
    if (d->size < records + QVR_DUMP_TRAILER ||
        memcmp(d->map + d->size - 8, QVR_DUMP_TAIL_MAGIC, 8) != 0)
        return d->size;
    uint64_t at = qvr_le64(d->map + d->size - QVR_DUMP_TRAILER);
    size_t tail = d->size - QVR_DUMP_TRAILER;
    if (at < records || at > tail || tail - at < QVR_DUMP_MAGIC_LEN + 4 ||
        memcmp(d->map + at, QVR_DUMP_INDEX_MAGIC, QVR_DUMP_MAGIC_LEN) != 0) {
        warn(d, "its trailer does not point at an index: index ignored, scanning the records");
        return d->size;
    }
    uint32_t n = qvr_le32(d->map + at + QVR_DUMP_MAGIC_LEN);
    if ((uint64_t)n * 16 != tail - at - QVR_DUMP_MAGIC_LEN - 4) {
        warn(d, "its index size does not match the file: index ignored, scanning the records");
        return (size_t)at;
    }
    *index_at = (size_t)at;
    *count = n;
    return (size_t)at;
}

static int add_record(struct dump *d, size_t *cap, const struct dump_rec *r)
{
    if (d->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        struct dump_rec *v = realloc(d->rec, ncap * sizeof *v);
        if (!v)
            return -1;
        d->rec = v;
        *cap = ncap;
    }
    d->rec[d->n++] = *r;
    return 0;
}

/* Fills r from the record at off; 1 ok, 0 truncated, -1 corrupt (why set). */
static int read_record(const struct dump *d, size_t off, size_t end, struct dump_rec *r,
                       const char **why)
{
    const uint8_t *p = d->map + off;
    if (end - off < QVR_DUMP_RECORD_HEAD)
        return 0;
    memset(r, 0, sizeof *r);
    r->type = p[0];
    r->key = p[1] & QVR_DUMP_FLAG_KEY;
    r->hdr_len = qvr_le16(p + 2);
    r->len = qvr_le32(p + 4);
    uint64_t ts = qvr_le64(p + 8);
    r->off = off;
    if (r->type != QVR_DUMP_SOURCE && r->type != QVR_DUMP_JPEG)
        *why = "unknown record type";
    else if (r->hdr_len > QVR_DUMP_HEADER_MAX)
        *why = "header longer than 1024 bytes";
    else if (r->type == QVR_DUMP_SOURCE && r->hdr_len < QVR_HDR_SIZE)
        *why = "source record with a header shorter than 56 bytes";
    else if (ts >= (uint64_t)TS_LIMIT)
        *why = "timestamp out of range";
    else
        *why = NULL;
    if (*why)
        return -1;
    if ((uint64_t)(end - off - QVR_DUMP_RECORD_HEAD) < (uint64_t)r->hdr_len + r->len)
        return 0;
    r->ts = (int64_t)ts;
    r->hdr = p + QVR_DUMP_RECORD_HEAD;
    r->data = r->hdr + r->hdr_len;
    if (r->type == QVR_DUMP_SOURCE) {
        memcpy(r->fourcc, r->hdr + QVR_OFF_FOURCC, 4);
        const struct qvr_fourcc_info *fi = qvr_fourcc_lookup(r->hdr + QVR_OFF_FOURCC);
        r->audio = fi ? fi->media == QVR_MEDIA_AUDIO
                      : r->hdr_len == QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE;
    }
    return 1;
}

static int scan_records(struct dump *d, size_t off, size_t end, char *err, size_t errlen)
{
    size_t cap = 0;
    while (off < end) {
        struct dump_rec r;
        const char *why = NULL;
        if (end - off >= QVR_DUMP_MAGIC_LEN &&
            memcmp(d->map + off, QVR_DUMP_INDEX_MAGIC, QVR_DUMP_MAGIC_LEN) == 0) {
            warn(d, "an index without its trailer at offset %zu (ignored): serving the %zu "
                 "records before it", off, d->n);
            break;
        }
        int rc = read_record(d, off, end, &r, &why);
        if (rc == 0) {
            warn(d, "truncated record at offset %zu (%zu bytes left): serving the %zu "
                 "complete records before it", off, end - off, d->n);
            break;
        }
        if (rc < 0) {
            warn(d, "corrupt record at offset %zu (%s): serving the %zu records before it",
                 off, why, d->n);
            break;
        }
        if (add_record(d, &cap, &r) != 0)
            return fail(d, err, errlen, "out of memory");
        off += QVR_DUMP_RECORD_HEAD + r.hdr_len + r.len;
    }
    if (d->n == 0)
        return fail(d, err, errlen, "no complete record");
    return 0;
}

/* Position of the record starting at off, or d->n. */
static size_t record_at(const struct dump *d, uint64_t off)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->rec[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n && d->rec[lo].off == off ? lo : d->n;
}

/* Keeps the index only when every entry names a record with its timestamp,
 * in file order and in time order. */
static void load_index(struct dump *d, size_t at, uint32_t count)
{
    if (!at)
        return;
    if (count == 0) {
        warn(d, "its index is empty: seeking by scanning the records");
        return;
    }
    d->index = calloc(count, sizeof *d->index);
    if (!d->index)
        return;
    const uint8_t *p = d->map + at + QVR_DUMP_MAGIC_LEN + 4;
    const char *why = NULL;
    for (uint32_t i = 0; i < count && !why; i++, p += 16) {
        int64_t ts = (int64_t)qvr_le64(p);
        size_t rec = record_at(d, qvr_le64(p + 8));
        if (rec == d->n || d->rec[rec].ts != ts)
            why = "an entry names no record or another timestamp";
        else if (i > 0 && (rec <= d->index[i - 1].rec || ts < d->index[i - 1].ts))
            why = "its entries are not in file and time order";
        d->index[i].ts = ts;
        d->index[i].rec = rec;
    }
    if (why) {
        warn(d, "index ignored (%s): seeking by scanning the records", why);
        free(d->index);
        d->index = NULL;
        return;
    }
    d->nindex = count;
}

static void summarize(struct dump *d)
{
    int64_t vmin = 0, vmax = 0;
    uint64_t bytes = 0;
    d->t_min = d->t_max = d->rec[0].ts;
    for (size_t i = 0; i < d->n; i++) {
        const struct dump_rec *r = &d->rec[i];
        d->t_min = r->ts < d->t_min ? r->ts : d->t_min;
        d->t_max = r->ts > d->t_max ? r->ts : d->t_max;
        if (r->type == QVR_DUMP_JPEG) {
            d->njpeg++;
            continue;
        }
        d->nsource++;
        bytes += r->len;
        if (r->audio) {
            d->naudio++;
            continue;
        }
        if (d->nvideo++ == 0) {
            memcpy(d->video_fourcc, r->fourcc, 5);
            d->width = qvr_le32(r->hdr + QVR_OFF_WIDTH);
            d->height = qvr_le32(r->hdr + QVR_OFF_HEIGHT);
            vmin = vmax = r->ts;
        }
        vmin = r->ts < vmin ? r->ts : vmin;
        vmax = r->ts > vmax ? r->ts : vmax;
    }
    int64_t spacing = 1000;
    if (d->nvideo >= 2 && vmax > vmin)
        spacing = ((vmax - vmin) + (int64_t)(d->nvideo - 1) / 2) / (int64_t)(d->nvideo - 1);
    else if (d->n >= 2 && d->t_max > d->t_min)
        spacing = (d->t_max - d->t_min) / (int64_t)(d->n - 1);
    if (spacing < 1)
        spacing = 1;
    d->period = d->t_max - d->t_min + spacing;
    d->fps = d->nvideo >= 2 ? (int)((1000 + spacing / 2) / spacing) : 1;
    if (d->fps < 1)
        d->fps = 1;
    d->bit_rate = (double)bytes * 8.0 * 1000.0 / (double)d->period;
}

int dump_load(struct dump *d, const char *path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->path = strdup(path);
    if (!d->path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t records, index_at;
    uint32_t count = 0;
    if (map_file(d, err, errlen) != 0 || check_head(d, &records, err, errlen) != 0)
        return -1;
    size_t end = find_index(d, records, &index_at, &count);
    if (scan_records(d, records, end, err, errlen) != 0)
        return -1;
    load_index(d, index_at, count);
    summarize(d);
    if (d->nsource == 0)
        warn(d, "no source records (type 1): live streams and data_type=1 playback have "
             "nothing to send");
    return 0;
}

void dump_free(struct dump *d)
{
    if (d->map)
        munmap(d->map, d->size);
    free(d->rec);
    free(d->index);
    free(d->path);
    memset(d, 0, sizeof *d);
}

size_t dump_seek(const struct dump *d, int64_t t)
{
    size_t i = 0;
    if (d->index) { /* from the last indexed record before t */
        size_t lo = 0, hi = d->nindex;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (d->index[mid].ts < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0)
            i = d->index[lo - 1].rec;
    }
    while (i < d->n && d->rec[i].ts < t)
        i++;
    return i;
}

size_t dump_loop_seek(const struct dump *d, int64_t rel)
{
    return dump_seek(d, d->t_min + rel);
}

const struct dump_rec *dump_jpeg_at(const struct dump *d, int64_t rel)
{
    const struct dump_rec *found = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const struct dump_rec *r = &d->rec[i];
        if (r->type != QVR_DUMP_JPEG)
            continue;
        if (found && r->ts - d->t_min > rel)
            break;
        found = r;
    }
    return found;
}

const char *dump_codec_setting(const struct dump *d)
{
    static const char *const names[] = {
        [QVR_CODEC_H264] = "H.264", [QVR_CODEC_MPEG4] = "MPEG4", [QVR_CODEC_MJPEG] = "MJPEG",
    };
    const struct qvr_fourcc_info *fi =
        d->nvideo ? qvr_fourcc_lookup((const uint8_t *)d->video_fourcc) : NULL;
    if (fi && (size_t)fi->codec < sizeof names / sizeof names[0] && names[fi->codec])
        return names[fi->codec];
    return d->nvideo ? d->video_fourcc : "";
}
