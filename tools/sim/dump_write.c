/*
 * dump_write.c - qvrsim --write-dump: a camera's recording as a `.qvr` dump.
 *
 * The records are the frames playback (data_type=1, time control off)
 * sends for [from, to], exactly as on the wire (audio_layout ext8): the
 * 56-byte header (64 with the audio header) then the payload.  A dump
 * camera's records are copied as they are, JPEG records included.  With
 * --with-jpeg a JPEG record (the camera's snapshot, as data_type=0 sends
 * it) follows every video key frame.  The index lists the video key frames
 * and JPEG records (every record when there is none of those).
 */
#include "archive.h"
#include "dump.h"
#include "frame.h"
#include "qvr_dump.h"
#include "qvr_wire.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    int64_t ts;
    uint64_t off;
    bool indexed;
};

struct writer {
    FILE *f;
    uint64_t off;
    struct entry *v;
    size_t n, cap;
    size_t nvideo, naudio, njpeg;
    int64_t first, last;
    struct buf tmp;
    bool failed;
};

static void put(struct writer *w, const void *p, size_t n)
{
    if (!w->failed && n && fwrite(p, 1, n, w->f) != n)
        w->failed = true;
    w->off += n;
}

static void put_u32(struct writer *w, uint32_t v)
{
    uint8_t b[4];
    qvr_put_le32(b, v);
    put(w, b, 4);
}

static void put_u64(struct writer *w, uint64_t v)
{
    uint8_t b[8];
    qvr_put_le64(b, v);
    put(w, b, 8);
}

/* One record: type, flags, header, payload. */
static void record(struct writer *w, int type, bool key, int64_t ts, const uint8_t *hdr,
                   size_t hdr_len, const uint8_t *data, size_t len, bool indexed)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        struct entry *v = realloc(w->v, cap * sizeof *v);
        if (!v) {
            w->failed = true;
            return;
        }
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = (struct entry){ts, w->off, indexed};
    if (w->n == 1)
        w->first = ts;
    w->last = ts;
    uint8_t head[QVR_DUMP_RECORD_HEAD];
    head[0] = (uint8_t)type;
    head[1] = key ? QVR_DUMP_FLAG_KEY : 0;
    qvr_put_le16(head + 2, (uint16_t)hdr_len);
    qvr_put_le32(head + 4, (uint32_t)len);
    qvr_put_le64(head + 8, (uint64_t)ts);
    put(w, head, sizeof head);
    put(w, hdr, hdr_len);
    put(w, data, len);
}

static void jpeg_record(struct writer *w, const struct camera *c, int64_t ts,
                        const struct clip *snap)
{
    w->tmp.len = 0;
    if (frame_jpeg_record(&w->tmp, c, ts, snap) != 0) {
        w->failed = true;
        return;
    }
    size_t hl = w->tmp.len - snap->frames[0].len;
    record(w, QVR_DUMP_JPEG, true, ts, w->tmp.p, hl, w->tmp.p + hl, snap->frames[0].len, true);
    w->njpeg++;
}

static void source_record(struct writer *w, const struct arc_frame *f, const uint8_t *bytes,
                          size_t hdr_len, size_t total)
{
    record(w, QVR_DUMP_SOURCE, f->key, f->ts, bytes, hdr_len, bytes + hdr_len, total - hdr_len,
           f->key && !f->audio);
    if (f->audio)
        w->naudio++;
    else
        w->nvideo++;
}

/* A dump camera: its records in [from, to] as they are. */
static void copy_dump(struct writer *w, const struct sim *s, const struct camera *c,
                      int64_t lo, int64_t hi, bool with_jpeg)
{
    const struct dump *d = c->dump;
    for (size_t i = dump_seek(d, lo); i < d->n && !w->failed; i++) {
        const struct dump_rec *r = &d->rec[i];
        if (r->ts > hi)
            break;
        if (r->type == QVR_DUMP_JPEG) {
            record(w, r->type, r->key, r->ts, r->hdr, r->hdr_len, r->data, r->len, true);
            w->njpeg++;
            continue;
        }
        record(w, r->type, r->key, r->ts, r->hdr, r->hdr_len, r->data, r->len,
               r->key && !r->audio);
        if (r->audio)
            w->naudio++;
        else
            w->nvideo++;
        if (with_jpeg && !d->njpeg && r->key && !r->audio)
            jpeg_record(w, c, r->ts, &s->media.snap[c->snapshot]);
    }
}

/* A fixture camera: the frames playback sends, encoded for the wire. */
static void encode_archive(struct writer *w, const struct sim *s, const struct camera *c,
                           int64_t lo, int64_t hi, bool with_jpeg)
{
    struct arc_frame f;
    uint64_t rng = 1;
    for (int64_t key = arc_key_at(s, c, lo);
         !w->failed && arc_next(s, c, key, hi, ARC_AUDIO, &f); key = f.order + 1) {
        w->tmp.len = 0;
        if (frame_encode(&w->tmp, c, &f, LAYOUT_EXT8, DAMAGE_NONE, &rng) != 0) {
            w->failed = true;
            break;
        }
        size_t hl = QVR_HDR_SIZE + (f.audio ? QVR_AUDIO_EXT_SIZE : 0);
        source_record(w, &f, w->tmp.p, hl, w->tmp.len); /* written now: tmp is free again */
        if (with_jpeg && f.key && !f.audio)
            jpeg_record(w, c, f.ts, &s->media.snap[c->snapshot]);
    }
}

static char *meta_text(const struct camera *c, int64_t from, int64_t to)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "writer", "qvrsim --write-dump");
    cJSON_AddStringToObject(m, "camera", c->name);
    cJSON_AddStringToObject(m, "guid", c->guid);
    cJSON_AddNumberToObject(m, "from", (double)from);
    cJSON_AddNumberToObject(m, "to", (double)to);
    cJSON_AddNumberToObject(m, "created", (double)now_ms());
    char *text = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    return text;
}

static void write_index(struct writer *w)
{
    size_t count = 0;
    for (size_t i = 0; i < w->n; i++)
        count += w->v[i].indexed;
    bool all = count == 0;
    uint64_t at = w->off;
    put(w, QVR_DUMP_INDEX_MAGIC, QVR_DUMP_MAGIC_LEN);
    put_u32(w, (uint32_t)(all ? w->n : count));
    for (size_t i = 0; i < w->n; i++)
        if (all || w->v[i].indexed) {
            put_u64(w, (uint64_t)w->v[i].ts);
            put_u64(w, w->v[i].off);
        }
    put_u64(w, at);
    put(w, QVR_DUMP_TAIL_MAGIC, QVR_DUMP_MAGIC_LEN);
}

int dump_write(struct sim *s, const struct camera *c, const struct dump_write_opts *o,
               char *err, size_t errlen)
{
    int64_t now = now_ms();
    int64_t lo = o->from > arc_begin(s, c) ? o->from : arc_begin(s, c);
    int64_t hi = o->to < arc_end(s, c, now) ? o->to : arc_end(s, c, now);
    struct arc_frame probe;
    if (o->to < o->from || !arc_next(s, c, arc_key_at(s, c, lo), hi, ARC_AUDIO, &probe)) {
        snprintf(err, errlen, "--write-dump: camera %s has no recording in [%lld, %lld]",
                 c->name, (long long)o->from, (long long)o->to);
        return -1;
    }
    struct writer w = {0};
    char *meta = meta_text(c, o->from, o->to);
    if (!meta || !(w.f = fopen(o->path, "wb"))) {
        snprintf(err, errlen, "--write-dump: cannot create %s: %s", o->path,
                 meta ? strerror(errno) : "out of memory");
        free(meta);
        return -1;
    }
    put(&w, QVR_DUMP_MAGIC, QVR_DUMP_MAGIC_LEN);
    put_u32(&w, (uint32_t)strlen(meta));
    put(&w, meta, strlen(meta));
    free(meta);
    if (c->dump)
        copy_dump(&w, s, c, lo, hi, o->with_jpeg);
    else
        encode_archive(&w, s, c, lo, hi, o->with_jpeg);
    if (o->with_index)
        write_index(&w);
    if (fclose(w.f) != 0)
        w.failed = true;
    buf_free(&w.tmp);
    free(w.v);
    if (w.failed) {
        snprintf(err, errlen, "--write-dump: writing %s failed", o->path);
        remove(o->path);
        return -1;
    }
    printf("wrote %s: %zu records (%zu video, %zu audio, %zu jpeg) of %s, %lld..%lld, %llu "
           "bytes%s\n", o->path, w.n, w.nvideo, w.naudio, w.njpeg, c->name, (long long)w.first,
           (long long)w.last, (unsigned long long)w.off, o->with_index ? "" : ", no index");
    return 0;
}
