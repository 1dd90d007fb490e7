/*
 * frame.c - writes frames in the QVR Pro wire format.
 */
#include "frame.h"
#include "qvr_dump.h"
#include "qvr_wire.h"

#include <string.h>

/* Bytes no frame header starts with (same length as the frame). */
static void garbage(uint8_t *p, size_t n, uint64_t *rng)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(splitmix64(rng) | 0x80);
}

static void put_header(uint8_t *h, const struct camera *c, const struct arc_frame *f,
                       uint32_t reserved, uint32_t size)
{
    const struct video_info *vi = &video_kinds[c->video];
    memset(h, 0, QVR_HDR_SIZE);
    memcpy(h + QVR_OFF_FOURCC, f->audio ? c->audio_fourcc : c->video_fourcc, 4);
    qvr_put_le32(h + QVR_OFF_FLAGS, f->key ? QVR_FLAG_KEY : 0);
    qvr_put_le32(h + QVR_OFF_WIDTH, f->audio ? 0 : vi->width);
    qvr_put_le32(h + QVR_OFF_HEIGHT, f->audio ? 0 : vi->height);
    qvr_put_le64(h + QVR_OFF_TIMESTAMP, (uint64_t)f->ts);
    size_t n = strlen(c->name);
    memcpy(h + QVR_OFF_OSD, c->name, n < QVR_OSD_LEN - 1 ? n : QVR_OSD_LEN - 1);
    qvr_put_le32(h + QVR_OFF_RESERVED, reserved);
    qvr_put_le32(h + QVR_OFF_SIZE, size);
}

static void put_audio_ext(uint8_t *p, const struct camera *c)
{
    const struct audio_info *ai = &audio_kinds[c->audio];
    qvr_put_le32(p, ai->sample_rate);
    qvr_put_le16(p + 4, ai->bits);
    qvr_put_le16(p + 6, ai->channels);
}

int frame_encode(struct buf *out, const struct camera *c, const struct arc_frame *f,
                 enum audio_layout layout, enum frame_damage damage, uint64_t *rng)
{
    uint32_t len = f->cf->len;
    size_t total = QVR_HDR_SIZE + (f->audio ? QVR_AUDIO_EXT_SIZE : 0) + len;
    if (buf_reserve(out, total + 1) != 0)
        return -1;
    uint8_t *p = out->p + out->len;
    if (damage == DAMAGE_GARBAGE) { /* same length, no valid header */
        garbage(p, total, rng);
        out->len += total;
        return 0;
    }
    uint32_t reserved = 0, size = len;
    if (f->audio) {
        reserved = layout == LAYOUT_EXT0 ? 0 : QVR_AUDIO_EXT_SIZE;
        if (layout == LAYOUT_SIZEINC)
            size += QVR_AUDIO_EXT_SIZE;
    }
    if (damage == DAMAGE_BIGSIZE)
        size = 0xFFFFFFFFu;
    put_header(p, c, f, reserved, size);
    p += QVR_HDR_SIZE;
    if (f->audio) {
        put_audio_ext(p, c);
        p += QVR_AUDIO_EXT_SIZE;
    }
    memcpy(p, f->cf->data, len);
    out->len += total;
    return 0;
}

int frame_record(struct buf *out, const struct dump_rec *r, int64_t restamp,
                 enum frame_damage damage, uint64_t *rng)
{
    size_t total = (size_t)r->hdr_len + r->len;
    if (buf_reserve(out, total + 1) != 0)
        return -1;
    uint8_t *p = out->p + out->len;
    bool source = r->type == QVR_DUMP_SOURCE;
    if (source && damage == DAMAGE_GARBAGE) {
        garbage(p, total, rng);
    } else {
        memcpy(p, r->hdr, r->hdr_len);
        memcpy(p + r->hdr_len, r->data, r->len);
        if (source && restamp >= 0)
            qvr_put_le64(p + QVR_OFF_TIMESTAMP, (uint64_t)restamp);
        if (source && damage == DAMAGE_BIGSIZE)
            qvr_put_le32(p + QVR_OFF_SIZE, 0xFFFFFFFFu);
    }
    out->len += total;
    return 0;
}

int frame_jpeg_record(struct buf *out, const struct camera *c, int64_t ts,
                      const struct clip *jpeg)
{
    const struct clip_frame *j = &jpeg->frames[0];
    if (buf_printf(out, "%s\n%lld\n%u\n", c->name, (long long)ts, j->len) != 0)
        return -1;
    return buf_add(out, j->data, j->len);
}
