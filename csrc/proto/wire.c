/*
 * wire.c - decoding QVR Pro frames (plain C); see wire.h, the layout in
 * qvr_wire.h and docs/PROTOCOL.md, "Live stream frames".
 */
#include <string.h>

#include "codec.h"
#include "wire.h"

/* ---- source frames ------------------------------------------------------- */

/* The channel name: up to its first NUL.  The 24 bytes are copied whole
 * and terminated (the same C string, without a search for the NUL). */
static void read_osd(char *dst, const uint8_t *s)
{
    memcpy(dst, s, QVR_OSD_LEN);
    dst[QVR_OSD_LEN] = '\0';
}

/* The table entry of the fourcc at p: the hints first (the entries of the
 * frames before: a stream repeats its one or two fourccs), then the table;
 * the hint of the entry's media is set. */
static const struct qvr_fourcc_info *lookup_hinted(const uint8_t *p,
                                                    const struct qvr_fourcc_info **hints)
{
    const struct qvr_fourcc_info *fi;
    for (int i = 0; i < 2; i++)
        if (hints[i] && memcmp(p, hints[i]->fourcc, 4) == 0)
            return hints[i];
    fi = qvr_fourcc_lookup(p);
    if (fi)
        hints[fi->media == QVR_MEDIA_AUDIO] = fi;
    return fi;
}

int qvr_wire_decode_header_hinted(const uint8_t *p, size_t n,
                                  const struct qvr_fourcc_info **hints,
                                  struct qvr_frame_header *out)
{
    const struct qvr_fourcc_info *fi;
    if (n < QVR_HDR_SIZE)
        return QVR_WIRE_SHORT;
    fi = lookup_hinted(p + QVR_OFF_FOURCC, hints);
    if (!fi)
        return QVR_WIRE_FOURCC;
    memcpy(out->fourcc, fi->fourcc, sizeof out->fourcc);
    out->media = fi->media;
    out->codec = fi->codec;
    out->flags = qvr_le32(p + QVR_OFF_FLAGS);
    out->key = (out->flags & QVR_FLAG_KEY) != 0;
    out->width = qvr_le32(p + QVR_OFF_WIDTH);
    out->height = qvr_le32(p + QVR_OFF_HEIGHT);
    out->timestamp = qvr_le64(p + QVR_OFF_TIMESTAMP);
    read_osd(out->osd, p + QVR_OFF_OSD);
    out->reserved = qvr_le32(p + QVR_OFF_RESERVED);
    out->size = qvr_le32(p + QVR_OFF_SIZE);
    return QVR_WIRE_OK;
}

int qvr_wire_decode_header(const uint8_t *p, size_t n, struct qvr_frame_header *out)
{
    const struct qvr_fourcc_info *hints[2] = {NULL, NULL};
    return qvr_wire_decode_header_hinted(p, n, hints, out);
}

int qvr_wire_extent(const struct qvr_frame_header *h, enum qvr_audio_layout layout,
                    struct qvr_frame_extent *x)
{
    int ext;
    if (h->media != QVR_MEDIA_AUDIO) {
        x->header_len = QVR_HDR_SIZE;
        x->data_off = (uint64_t)QVR_HDR_SIZE + h->reserved;
        x->len = h->size;
        x->total = x->data_off + h->size;
        return QVR_WIRE_OK;
    }
    if (layout == QVR_AUDIO_EXT_THEN_SIZE) {
        x->header_len = QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE;
        x->data_off = x->header_len;
        x->len = h->size;
        x->total = (uint64_t)x->header_len + h->size;
        return QVR_WIRE_OK;
    }
    if (layout != QVR_AUDIO_SIZE_INCLUDES_EXT)
        return QVR_WIRE_LAYOUT;
    ext = h->reserved >= QVR_AUDIO_EXT_SIZE && h->size >= QVR_AUDIO_EXT_SIZE;
    x->header_len = QVR_HDR_SIZE + (ext ? QVR_AUDIO_EXT_SIZE : 0);
    x->data_off = x->header_len;
    x->len = ext ? h->size - QVR_AUDIO_EXT_SIZE : h->size;
    x->total = (uint64_t)QVR_HDR_SIZE + h->size;
    return QVR_WIRE_OK;
}

int qvr_wire_source_frame(const uint8_t *p, size_t n, const struct qvr_frame_header *h,
                          const struct qvr_frame_extent *x, struct qvr_frame *f)
{
    if (n < x->total || x->header_len < QVR_HDR_SIZE)
        return QVR_WIRE_SHORT;
    memcpy(f->fourcc, h->fourcc, sizeof f->fourcc);
    f->media = h->media;
    f->codec = h->codec;
    f->flags = h->flags;
    f->key = h->key;
    f->width = h->width;
    f->height = h->height;
    f->timestamp = h->timestamp;
    memcpy(f->osd, h->osd, sizeof f->osd);
    f->reserved = h->reserved;
    f->size = h->size;
    f->sample_rate = 0;
    f->bits = f->channels = 0;
    if (x->header_len >= QVR_HDR_SIZE + QVR_AUDIO_EXT_SIZE) {
        f->sample_rate = qvr_le32(p + QVR_HDR_SIZE);
        f->bits = qvr_le16(p + QVR_HDR_SIZE + 4);
        f->channels = qvr_le16(p + QVR_HDR_SIZE + 6);
    }
    f->header = p;
    f->header_len = x->header_len;
    f->data = p + x->data_off;
    f->len = x->len;
    return QVR_WIRE_OK;
}

/* ---- JPEG-mode records --------------------------------------------------- */

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* Digits only (after trimming spaces and tabs) into *v; 0 on junk or overflow. */
static int parse_u64(const uint8_t *s, size_t n, uint64_t *v)
{
    uint64_t acc = 0;
    while (n && is_blank(*s)) {
        s++;
        n--;
    }
    while (n && is_blank(s[n - 1]))
        n--;
    if (n == 0 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)s[i] - '0';
        if (d > 9 || acc > (UINT64_MAX - d) / 10)
            return 0;
        acc = acc * 10 + d;
    }
    *v = acc;
    return 1;
}

static int parse_timestamp(const uint8_t *s, size_t n, uint64_t *ms)
{
    while (n && is_blank(*s)) {
        s++;
        n--;
    }
    while (n && is_blank(s[n - 1]))
        n--;
    return parse_u64(s, n, ms) || qvr_parse_datetime(s, n, ms);
}

int qvr_wire_jpeg_line(enum qvr_jpeg_line which, const uint8_t *s, size_t n,
                       struct qvr_jpeg_header *out)
{
    size_t k;
    if (n > QVR_JPEG_LINE_MAX)
        return QVR_WIRE_LINE_LONG;
    if (n && s[n - 1] == '\r')
        n--;
    switch (which) {
    case QVR_JLINE_NAME:
        k = n < QVR_OSD_LEN ? n : QVR_OSD_LEN;
        memcpy(out->name, s, k);
        out->name[k] = '\0';
        return QVR_WIRE_OK;
    case QVR_JLINE_TIMESTAMP:
        return parse_timestamp(s, n, &out->timestamp) ? QVR_WIRE_OK : QVR_WIRE_TIMESTAMP;
    case QVR_JLINE_LENGTH:
        return parse_u64(s, n, &out->length) ? QVR_WIRE_OK : QVR_WIRE_LENGTH;
    }
    return QVR_WIRE_ARG;
}

/* The length of the line at s (n bytes), without '\n': 0 with *len, or
 * QVR_WIRE_LINE_LONG / QVR_WIRE_SHORT. */
static int line_at(const uint8_t *s, size_t n, size_t *len)
{
    size_t lim = n < QVR_JPEG_LINE_MAX + 1 ? n : QVR_JPEG_LINE_MAX + 1;
    const uint8_t *nl = memchr(s, '\n', lim);
    if (nl) {
        *len = (size_t)(nl - s);
        return QVR_WIRE_OK;
    }
    return lim > QVR_JPEG_LINE_MAX ? QVR_WIRE_LINE_LONG : QVR_WIRE_SHORT;
}

int qvr_wire_decode_jpeg_header(const uint8_t *p, size_t n, struct qvr_jpeg_header *out,
                                size_t *skip, size_t *used)
{
    size_t off = 0, len, start;
    int which = QVR_JLINE_NAME, r;
    for (;;) {                              /* blank lines between records */
        if ((r = line_at(p + off, n - off, &len)) != QVR_WIRE_OK)
            return r;
        if (len > 1 || (len == 1 && p[off] != '\r'))
            break;
        off += len + 1;
    }
    start = off;
    for (; which <= QVR_JLINE_LENGTH; which++) {
        if (which > QVR_JLINE_NAME && (r = line_at(p + off, n - off, &len)) != QVR_WIRE_OK)
            return r;
        if ((r = qvr_wire_jpeg_line((enum qvr_jpeg_line)which, p + off, len, out)) != QVR_WIRE_OK)
            return r;
        off += len + 1;
    }
    *skip = start;
    *used = off;
    return QVR_WIRE_OK;
}

void qvr_wire_jpeg_frame(const struct qvr_jpeg_header *jh, const uint8_t *header, size_t hlen,
                         const uint8_t *data, struct qvr_frame *f)
{
    memcpy(f->fourcc, "JPEG", 5);
    f->media = QVR_MEDIA_VIDEO;
    f->codec = QVR_CODEC_JPEG;
    f->flags = QVR_FLAG_KEY;
    f->key = 1;
    memcpy(f->osd, jh->name, sizeof f->osd);
    f->timestamp = jh->timestamp;
    f->reserved = 0;
    f->size = (uint32_t)jh->length;
    f->sample_rate = 0;
    f->bits = f->channels = 0;
    f->header = header;
    f->header_len = hlen;
    f->data = data;
    f->len = (size_t)jh->length;
    qvr_jpeg_dims(data, f->len, &f->width, &f->height);
}

/* ---- names ---------------------------------------------------------------- */

const char *qvr_codec_name(enum qvr_codec c)
{
    static const char *const names[] = {
        "unknown", "h264", "mpeg4", "mjpeg", "jpeg", "g711", "g726", "aac", "pcm", "g729"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

const char *qvr_media_name(enum qvr_media m)
{
    static const char *const names[] = {"unknown", "video", "audio"};
    return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "unknown";
}

const char *qvr_wire_status_text(int status)
{
    static const char *const texts[] = {
        "ok", "input ends before the part is complete", "unknown fourcc",
        "no audio layout", "text line too long", "bad timestamp", "bad length",
        "bad argument"};
    return status >= 0 && (unsigned)status < sizeof texts / sizeof texts[0] ? texts[status]
                                                                            : "unknown status";
}
