/*
 * mux.c - writing frames into a container with libavformat (plain C); see
 * mux.h.
 *
 * Owns: the AVFormatContext of one output file, its streams, and one held
 * packet per stream (a packet is written when the stream's next one tells
 * its duration).  Nothing here calls back into Lua, and libavformat gets no
 * callbacks of ours: it writes through its own avio file.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>

#include "aacenc.h"
#include "codec.h"
#include "mux.h"

#define MUX_MAX_STREAMS 8
#define GAP_FACTOR 4            /* a step over GAP_FACTOR usual durations is a gap */

struct mstream {
    AVStream *st;
    enum qvr_codec codec;
    int adts;
    unsigned sample_rate;
    AVPacket *held;             /* written once the next packet gives its duration */
    int64_t last_pts;
    int64_t usual;              /* the last duration that was not a gap */
    int has_last;
    qvr_aacenc *enc;            /* camera audio turned into AAC (aac = 1) */
    int index;
    int64_t held_tag[QVR_MUX_TAG];   /* the caller's tag of the held packet */
    AVBufferPool *pool;         /* packet buffers of pool_size bytes (resumable muxers) */
    size_t pool_size;
    AVPacket *spare;            /* a packet struct to reuse */
};

#define MUX_IOBUF (1 << 20)
#define MKV_CLUSTER_ID 0x1F43B675u
#define MKV_REL_MAX 30000       /* under a block's 16-bit relative time */

/* A resumable muxer's own file I/O (see qvr_mux_opts.resumable). */
struct mio {
    int fd;
    uint64_t pos;
    int capture;                /* writes go to head (a resumed muxer's header) */
    uint8_t *head;
    size_t head_len;
    int fresh;                  /* the file is cut to 0 with the header */
    int err;                    /* errno of a failed write */
};

struct qvr_mux {
    AVFormatContext *oc;
    char *path;
    struct mstream s[MUX_MAX_STREAMS];
    int n;
    int header, failed, finished;
    int fragmented;
    int64_t zero;
    int has_zero;
    struct qvr_mux_stats stats;
    char err[256];
    /* resumable (Matroska) */
    int resumable;
    struct mio io;
    struct qvr_mux_sync sync;
    struct qvr_mux_commit cur[MUX_MAX_STREAMS], prev[MUX_MAX_STREAMS];
    int last_stream;            /* the stream of the last packet written, -1 */
};

static const AVRational MS = {1, 1000};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(qvr_mux *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    m->failed = 1;
    return -1;
}

static int fail_av(qvr_mux *m, const char *what, int rc)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(rc, buf, sizeof buf);
    return fail(m, "%s: %s", what, buf);
}

static int set_metadata(qvr_mux *m, const char *const *kv)
{
    for (; kv && kv[0] && kv[1]; kv += 2)
        if (av_dict_set(&m->oc->metadata, kv[0], kv[1], 0) < 0)
            return fail(m, "out of memory for metadata");
    return 0;
}

/* ---- a resumable muxer's file I/O ------------------------------------- */

#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define IO_CONST const
#else
#define IO_CONST
#endif

static int io_write(void *opaque, IO_CONST uint8_t *buf, int n)
{
    struct mio *io = opaque;
    size_t done = 0;
    if (io->capture) {          /* a resumed muxer's header, kept aside */
        uint8_t *p = realloc(io->head, io->head_len + (size_t)n);
        if (!p)
            return AVERROR(ENOMEM);
        memcpy(p + io->head_len, buf, (size_t)n);
        io->head = p;
        io->head_len += (size_t)n;
        io->pos += (uint64_t)n;
        return n;
    }
    while (done < (size_t)n) {
        ssize_t r = pwrite(io->fd, buf + done, (size_t)n - done, (off_t)(io->pos + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            io->err = r < 0 ? errno : EIO;
            return AVERROR(io->err);
        }
        done += (size_t)r;
    }
    io->pos += (uint64_t)n;
    return n;
}

static int64_t io_seek(void *opaque, int64_t off, int whence)
{
    struct mio *io = opaque;
    struct stat sb;
    if (whence & AVSEEK_SIZE)
        return fstat(io->fd, &sb) == 0 ? (int64_t)sb.st_size : AVERROR(errno);
    whence &= ~AVSEEK_FORCE;
    if (whence == SEEK_CUR)
        off += (int64_t)io->pos;
    else if (whence == SEEK_END)
        off += fstat(io->fd, &sb) == 0 ? (int64_t)sb.st_size : 0;
    else if (whence != SEEK_SET)
        return AVERROR(EINVAL);
    if (off < 0)
        return AVERROR(EINVAL);
    io->pos = (uint64_t)off;
    return off;
}

/* The file opened (not cut: a resume reads it first), bit-exact output. */
static void open_own_io(qvr_mux *m)
{
    uint8_t *buf;
    m->io.fd = open(m->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m->io.fd < 0) {
        fail(m, "%s: %s", m->path, strerror(errno));
        return;
    }
    m->io.fresh = 1;
    buf = av_malloc(MUX_IOBUF);
    if (buf)
        m->oc->pb = avio_alloc_context(buf, MUX_IOBUF, 1, &m->io, NULL, io_write, io_seek);
    if (!m->oc->pb) {
        av_free(buf);
        fail(m, "out of memory for the file buffer");
        return;
    }
    m->oc->pb->seekable = AVIO_SEEKABLE_NORMAL;
    m->oc->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_BITEXACT;
    m->resumable = 1;
}

/* Closes the file: 0, or a negative AVERROR. */
static int close_io(qvr_mux *m)
{
    int rc = 0;
    if (!m->oc || !m->oc->pb)
        return 0;
    if (!m->resumable)
        return avio_closep(&m->oc->pb);
    avio_flush(m->oc->pb);
    if (m->oc->pb->error < 0)
        rc = m->oc->pb->error;
    av_freep(&m->oc->pb->buffer);
    avio_context_free(&m->oc->pb);
    if (m->io.fd >= 0 && close(m->io.fd) != 0 && rc == 0)
        rc = AVERROR(errno);
    m->io.fd = -1;
    return rc;
}

int qvr_mux_open(qvr_mux **out, const char *path, const struct qvr_mux_opts *o,
                 char *err, size_t errlen)
{
    qvr_mux *m = calloc(1, sizeof *m);
    int rc;
    *out = NULL;
    if (!m || !(m->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(m);
        return -1;
    }
    m->io.fd = -1;
    m->last_stream = -1;
    rc = avformat_alloc_output_context2(&m->oc, NULL, o->format, path);
    if (rc < 0 || !m->oc)
        fail(m, "no %s muxer for %s", o->format ? o->format : "(guessed)", path);
    else if (o->resumable && strcmp(m->oc->oformat->name, "matroska") != 0)
        fail(m, "only Matroska files are resumable");
    else if (o->resumable)
        open_own_io(m);
    else if ((rc = avio_open(&m->oc->pb, path, AVIO_FLAG_WRITE)) < 0)
        fail_av(m, path, rc);
    if (!m->failed)
        set_metadata(m, o->metadata);
    if (m->failed) {
        snprintf(err, errlen, "%s", m->err);
        qvr_mux_free(m);
        return -1;
    }
    m->fragmented = o->fragmented;
    m->zero = o->zero;
    m->has_zero = o->has_zero;
    *out = m;
    return 0;
}

static enum AVCodecID codec_id(const struct qvr_mux_stream *s)
{
    switch (s->codec) {
    case QVR_CODEC_H264: return AV_CODEC_ID_H264;
    case QVR_CODEC_MPEG4: return AV_CODEC_ID_MPEG4;
    case QVR_CODEC_MJPEG:
    case QVR_CODEC_JPEG: return AV_CODEC_ID_MJPEG;
    case QVR_CODEC_AAC: return AV_CODEC_ID_AAC;
    case QVR_CODEC_G711: return s->alaw ? AV_CODEC_ID_PCM_ALAW : AV_CODEC_ID_PCM_MULAW;
    case QVR_CODEC_G726: return AV_CODEC_ID_ADPCM_G726;
    case QVR_CODEC_PCM: return AV_CODEC_ID_PCM_S16LE;
    default: return AV_CODEC_ID_NONE;
    }
}

static int audio_params(AVCodecParameters *p, const struct qvr_mux_stream *s)
{
    unsigned ch = s->channels ? s->channels : 1;
    p->codec_type = AVMEDIA_TYPE_AUDIO;
    p->sample_rate = (int)(s->sample_rate ? s->sample_rate : 8000);
    av_channel_layout_default(&p->ch_layout, (int)ch);
    if (p->codec_id == AV_CODEC_ID_PCM_MULAW || p->codec_id == AV_CODEC_ID_PCM_ALAW) {
        p->bits_per_coded_sample = 8;
        p->block_align = (int)ch;
        p->bit_rate = 8LL * p->sample_rate * ch;
    } else if (p->codec_id == AV_CODEC_ID_PCM_S16LE) {
        p->bits_per_coded_sample = 16;
        p->block_align = (int)(2 * ch);
        p->bit_rate = 16LL * p->sample_rate * ch;
    } else if (p->codec_id == AV_CODEC_ID_ADPCM_G726) {
        p->bits_per_coded_sample = (int)(s->bits >= 2 && s->bits <= 5 ? s->bits : 4);
        p->block_align = 1;
        p->bit_rate = (int64_t)p->bits_per_coded_sample * p->sample_rate * ch;
    } else if (p->codec_id == AV_CODEC_ID_AAC) {
        p->frame_size = 1024;
    }
    return 0;
}

/* A stream whose G.711/G.726/PCM input is written as AAC. */
static int add_transcoded(qvr_mux *m, struct mstream *ms, AVCodecParameters *p,
                          const struct qvr_mux_stream *s)
{
    char err[200];
    const uint8_t *x;
    size_t xn;
    if (qvr_aacenc_open(&ms->enc, s->codec, s->alaw, (int)s->bits, s->sample_rate, s->channels, err,
                        sizeof err) != 0)
        return fail(m, "%s", err);
    p->codec_id = AV_CODEC_ID_AAC;
    p->codec_type = AVMEDIA_TYPE_AUDIO;
    p->sample_rate = (int)qvr_aacenc_rate(ms->enc);
    av_channel_layout_default(&p->ch_layout, (int)qvr_aacenc_channels(ms->enc));
    p->frame_size = 1024;
    x = qvr_aacenc_extradata(ms->enc, &xn);
    p->extradata = av_mallocz(xn + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!p->extradata)
        return fail(m, "out of memory for extradata");
    if (xn)
        memcpy(p->extradata, x, xn);
    p->extradata_size = (int)xn;
    ms->codec = QVR_CODEC_AAC;
    ms->sample_rate = qvr_aacenc_rate(ms->enc);
    return 0;
}

static int set_extradata(AVCodecParameters *p, const uint8_t *d, size_t n)
{
    if (!n)
        return 0;
    p->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!p->extradata)
        return -1;
    memcpy(p->extradata, d, n);
    p->extradata_size = (int)n;
    return 0;
}

int qvr_mux_add_stream(qvr_mux *m, const struct qvr_mux_stream *s)
{
    enum AVCodecID id = codec_id(s);
    AVStream *st;
    AVCodecParameters *p;
    if (m->failed)
        return -1;
    if (m->header || m->n >= MUX_MAX_STREAMS)
        return fail(m, m->header ? "streams must be added before the first frame" :
                    "too many streams");
    if (id == AV_CODEC_ID_NONE)
        return fail(m, "no container mapping for codec #%d", (int)s->codec);
    if (s->extradata_len > (1u << 20))
        return fail(m, "extradata of %zu bytes is too big", s->extradata_len);
    if (!(st = avformat_new_stream(m->oc, NULL)))
        return fail(m, "out of memory for a stream");
    st->time_base = MS;
    p = st->codecpar;
    p->codec_id = id;
    m->s[m->n].st = st;
    m->s[m->n].index = m->n;
    if (s->aac && s->codec != QVR_CODEC_AAC) {
        if (add_transcoded(m, &m->s[m->n], p, s) != 0)
            return -1;
        return m->n++;
    }
    if (s->codec == QVR_CODEC_AAC || s->codec == QVR_CODEC_G711 || s->codec == QVR_CODEC_G726 ||
        s->codec == QVR_CODEC_PCM) {
        audio_params(p, s);
    } else {
        p->codec_type = AVMEDIA_TYPE_VIDEO;
        p->width = (int)s->width;
        p->height = (int)s->height;
    }
    if (set_extradata(p, s->extradata, s->extradata_len) != 0)
        return fail(m, "out of memory for extradata");
    m->s[m->n].st = st;
    m->s[m->n].codec = s->codec;
    m->s[m->n].adts = s->adts;
    m->s[m->n].sample_rate = s->sample_rate;
    return m->n++;
}

static int write_header(qvr_mux *m)
{
    AVDictionary *opts = NULL;
    int rc;
    if (m->n == 0)
        return fail(m, "no streams to write");
    if (m->fragmented && strcmp(m->oc->oformat->name, "mp4") == 0) {
        av_dict_set(&opts, "movflags", "frag_keyframe+delay_moov+default_base_moof", 0);
        av_dict_set(&opts, "min_frag_duration", "1000000", 0);
    }
    /* a resumable Matroska file leaves out the optional CRC-32 elements:
     * computing them was the muxer's largest cost (docs/BENCHMARKS.md) */
    if (m->resumable)
        av_dict_set(&opts, "write_crc32", "0", 0);
    if (m->resumable && m->io.fresh && ftruncate(m->io.fd, 0) != 0) {
        av_dict_free(&opts);
        return fail(m, "cannot cut %s: %s", m->path, strerror(errno));
    }
    rc = avformat_write_header(m->oc, &opts);
    av_dict_free(&opts);
    if (rc < 0)
        return fail_av(m, "cannot write the container header", rc);
    m->header = 1;
    if (m->resumable)
        m->sync.header_len = (uint64_t)avio_tell(m->oc->pb);
    return 0;
}

/* Hands a packet (times in ms) to libavformat; it takes the reference. */
static int emit_resumable(qvr_mux *m, struct mstream *s, AVPacket *pkt);

static int emit(qvr_mux *m, struct mstream *s, AVPacket *pkt)
{
    int rc;
    if (m->resumable)
        return emit_resumable(m, s, pkt);
    av_packet_rescale_ts(pkt, MS, s->st->time_base);
    rc = av_interleaved_write_frame(m->oc, pkt);
    av_packet_free(&pkt);
    if (rc < 0)
        return fail_av(m, "cannot write a frame", rc);
    m->stats.packets++;
    return 0;
}

/* A cluster ended while packet `x` (pts in ms) went in: the file now holds
 * every packet written before it, except the one before it when that was
 * audio (libavformat's Matroska muxer keeps the last audio packet back for
 * the next cluster).  When x is far from that audio packet, the muxer may
 * have ended a second cluster holding it: no sync point then. */
static void note_sync(qvr_mux *m, int64_t x)
{
    int last = m->last_stream;
    int held_audio = last >= 0 && m->s[last].st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
    if (held_audio && llabs(x - m->cur[last].last_pts) > MKV_REL_MAX)
        return;
    m->sync.seq++;
    m->sync.offset = (uint64_t)avio_tell(m->oc->pb);
    m->sync.zero = m->zero;
    m->sync.n = m->n;
    for (int i = 0; i < m->n; i++)
        m->sync.s[i] = (held_audio && i == last) ? m->prev[i] : m->cur[i];
}

/* A packet straight to the Matroska muxer (no interleaving queue), noting a
 * sync point when a cluster went to the file. */
static int emit_resumable(qvr_mux *m, struct mstream *s, AVPacket *pkt)
{
    int i = s->index, rc;
    int64_t before = avio_tell(m->oc->pb), pts = pkt->pts;
    av_packet_rescale_ts(pkt, MS, s->st->time_base);
    rc = av_write_frame(m->oc, pkt);
    av_packet_unref(pkt);
    if (s->spare)
        av_packet_free(&pkt);
    else
        s->spare = pkt;
    if (rc < 0)
        return fail_av(m, "cannot write a frame", rc);
    if (avio_tell(m->oc->pb) != before)
        note_sync(m, pts);
    m->prev[i] = m->cur[i];
    m->cur[i].packets++;
    m->cur[i].last_pts = pts;
    m->cur[i].usual = s->usual;
    memcpy(m->cur[i].tag, s->held_tag, sizeof s->held_tag);
    m->last_stream = i;
    m->stats.packets++;
    return 0;
}

/* The held packet's duration now that the next starts at pts; a step much
 * longer than usual is a gap, over which nothing is stretched. */
static int64_t held_duration(struct mstream *s, int64_t pts)
{
    int64_t d = pts - s->held->pts;
    if (s->usual > 0 && d > GAP_FACTOR * s->usual)
        return s->usual;
    s->usual = d;
    return d;
}

/* The payload to store: an ADTS frame loses its header. */
static void payload(const struct mstream *s, const uint8_t **d, size_t *n)
{
    struct qvr_adts a;
    if (s->adts && qvr_adts_parse(*d, *n, &a) == 0 && a.blocks == 1 && a.header_len <= *n) {
        *d += a.header_len;
        *n -= a.header_len;
    }
}

static int put(qvr_mux *m, struct mstream *s, const uint8_t *d, size_t n, int64_t ts_ms, int key,
               const int64_t *tag);

struct sink_ctx {
    qvr_mux *m;
    struct mstream *s;
};

static int aac_sink(void *ctx, const uint8_t *d, size_t n, int64_t ts_ms)
{
    struct sink_ctx *c = ctx;
    return put(c->m, c->s, d, n, ts_ms, 1, NULL);
}

int qvr_mux_write(qvr_mux *m, int stream, const uint8_t *d, size_t n, int64_t ts_ms, int key)
{
    return qvr_mux_write_tagged(m, stream, d, n, ts_ms, key, NULL);
}

int qvr_mux_write_tagged(qvr_mux *m, int stream, const uint8_t *d, size_t n, int64_t ts_ms,
                         int key, const int64_t tag[QVR_MUX_TAG])
{
    struct mstream *s;
    if (m->failed)
        return -1;
    if (stream < 0 || stream >= m->n)
        return fail(m, "no stream %d", stream);
    if (!m->header && write_header(m) != 0)
        return -1;
    if (!m->has_zero) {
        m->zero = ts_ms;
        m->has_zero = 1;
    }
    s = &m->s[stream];
    if (s->enc) {
        struct sink_ctx c = {m, s};
        if (qvr_aacenc_feed(s->enc, d, n, ts_ms, aac_sink, &c) != 0)
            return m->failed ? -1 : fail(m, "%s", qvr_aacenc_error(s->enc));
        return 0;
    }
    return put(m, s, d, n, ts_ms, key, tag);
}

/* A packet of n bytes.  A resumable muxer (one packet at a time, straight to
 * the Matroska writer) takes its buffers from a pool of the stream, grown
 * to the largest frame so far in powers of two, and reuses packet structs:
 * no large allocation per frame. */
static AVPacket *new_packet(qvr_mux *m, struct mstream *s, size_t n)
{
    AVPacket *pkt;
    size_t need = n + AV_INPUT_BUFFER_PADDING_SIZE;
    if (!m->resumable || n > (1u << 26)) {
        pkt = av_packet_alloc();
        if (pkt && av_new_packet(pkt, (int)n) < 0)
            av_packet_free(&pkt);
        return pkt;
    }
    if (need > s->pool_size) {
        size_t size = 4096;
        while (size < need)
            size *= 2;
        av_buffer_pool_uninit(&s->pool);     /* freed once its buffers come back */
        s->pool = av_buffer_pool_init(size, NULL);
        s->pool_size = s->pool ? size : 0;
        if (!s->pool)
            return NULL;
    }
    pkt = s->spare ? s->spare : av_packet_alloc();
    s->spare = NULL;
    if (!pkt)
        return NULL;
    pkt->buf = av_buffer_pool_get(s->pool);
    if (!pkt->buf) {
        av_packet_free(&pkt);
        return NULL;
    }
    pkt->data = pkt->buf->data;
    pkt->size = (int)n;
    memset(pkt->data + n, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    return pkt;
}

/* One packet of a stream, held until the next gives its duration. */
static int put(qvr_mux *m, struct mstream *s, const uint8_t *d, size_t n, int64_t ts_ms, int key,
               const int64_t *tag)
{
    AVPacket *pkt;
    int64_t pts;
    int stream = s->index;
    payload(s, &d, &n);
    pts = ts_ms - m->zero;
    if (s->has_last && pts <= s->last_pts) {
        pts = s->last_pts + 1;
        m->stats.adjusted++;
    }
    pkt = new_packet(m, s, n);
    if (!pkt)
        return fail(m, "out of memory for a packet of %zu bytes", n);
    if (n)
        memcpy(pkt->data, d, n);
    pkt->pts = pkt->dts = pts;
    pkt->stream_index = stream;
    if (key || s->st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
        pkt->flags |= AV_PKT_FLAG_KEY;
    if (s->held) {
        s->held->duration = held_duration(s, pts);
        if (emit(m, s, s->held) != 0) {
            s->held = pkt;
            return -1;
        }
    }
    s->held = pkt;
    if (tag)
        memcpy(s->held_tag, tag, sizeof s->held_tag);
    else
        memset(s->held_tag, 0, sizeof s->held_tag);
    s->last_pts = pts;
    s->has_last = 1;
    return 0;
}

/* The last packet of a stream has no successor: the usual duration, or
 * what its samples last. */
static int64_t last_duration(const struct mstream *s)
{
    if (s->usual > 0)
        return s->usual;
    if (s->codec == QVR_CODEC_AAC && s->sample_rate)
        return 1024 * 1000 / s->sample_rate;
    return 0;
}

/* The samples the AAC encoders still hold. */
static void flush_encoders(qvr_mux *m)
{
    for (int i = 0; i < m->n && !m->failed; i++) {
        struct mstream *s = &m->s[i];
        struct sink_ctx c = {m, s};
        if (s->enc && m->header && qvr_aacenc_flush(s->enc, aac_sink, &c) != 0 && !m->failed)
            fail(m, "%s", qvr_aacenc_error(s->enc));
    }
}

static int flush_held(qvr_mux *m)
{
    flush_encoders(m);
    for (int i = 0; i < m->n; i++) {
        struct mstream *s = &m->s[i];
        AVPacket *pkt = s->held;
        if (!pkt)
            continue;
        s->held = NULL;
        pkt->duration = last_duration(s);
        if (m->failed)
            av_packet_free(&pkt);
        else if (emit(m, s, pkt) != 0)
            return -1;
    }
    return m->failed ? -1 : 0;
}

static int sync_file(qvr_mux *m)
{
    int fd = open(m->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail(m, "cannot sync %s: %s", m->path, strerror(e));
    }
    close(fd);
    return 0;
}

int qvr_mux_finish(qvr_mux *m)
{
    int rc;
    if (m->finished)
        return m->failed ? -1 : 0;
    m->finished = 1;
    if (!m->failed && !m->header)
        write_header(m);
    flush_held(m);
    if (!m->failed && (rc = av_write_trailer(m->oc)) < 0)
        fail_av(m, "cannot write the container trailer", rc);
    if (m->oc && m->oc->pb) {
        m->stats.bytes = (uint64_t)avio_tell(m->oc->pb);
        if ((rc = close_io(m)) < 0 && !m->failed)
            fail_av(m, "cannot close the file", rc);
    }
    if (!m->failed)
        sync_file(m);
    return m->failed ? -1 : 0;
}

void qvr_mux_free(qvr_mux *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n; i++) {
        av_packet_free(&m->s[i].held);
        av_packet_free(&m->s[i].spare);
        av_buffer_pool_uninit(&m->s[i].pool);   /* freed once its buffers come back */
        qvr_aacenc_free(m->s[i].enc);
    }
    if (m->oc) {
        close_io(m);
        avformat_free_context(m->oc);
    }
    if (m->io.fd >= 0)
        close(m->io.fd);
    free(m->io.head);
    free(m->path);
    free(m);
}

const char *qvr_mux_error(const qvr_mux *m)
{
    return m->err;
}

const struct qvr_mux_stats *qvr_mux_stats(qvr_mux *m)
{
    if (m->oc && m->oc->pb)
        m->stats.bytes = (uint64_t)avio_tell(m->oc->pb);
    return &m->stats;
}

int qvr_mux_streams(const qvr_mux *m)
{
    return m->n;
}

/* ---- sync points and resume (resumable muxers) ------------------------- */

int qvr_mux_sync(qvr_mux *m, struct qvr_mux_sync *out)
{
    if (!m->resumable || m->failed)
        return -1;
    if (m->oc->pb) {
        avio_flush(m->oc->pb);
        if (m->oc->pb->error < 0)
            return fail_av(m, "cannot write the file", m->oc->pb->error);
    }
    *out = m->sync;
    return 0;
}

/* Whether `offset` is the file's end or the start of a cluster. */
static int at_cluster(qvr_mux *m, uint64_t offset, uint64_t size)
{
    uint8_t id[4];
    if (offset == size)
        return 1;
    if (pread(m->io.fd, id, 4, (off_t)offset) != 4)
        return 0;
    return ((uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3]) ==
           MKV_CLUSTER_ID;
}

int qvr_mux_resume(qvr_mux *m, uint64_t offset, uint64_t header_len,
                   const struct qvr_mux_commit *c, int n)
{
    static const uint8_t ebml[4] = {0x1A, 0x45, 0xDF, 0xA3};
    uint8_t magic[4];
    struct stat sb;
    if (m->failed)
        return -1;
    if (!m->resumable || m->header || n != m->n || n == 0)
        return fail(m, "resume needs a resumable muxer with its %d streams and no frame yet", n);
    if (!m->has_zero)
        return fail(m, "resume needs the zero point of the first run");
    if (fstat(m->io.fd, &sb) != 0)
        return fail(m, "%s: %s", m->path, strerror(errno));
    if (pread(m->io.fd, magic, 4, 0) != 4 || memcmp(magic, ebml, 4) != 0)
        return fail(m, "%s is not a Matroska file", m->path);
    if ((uint64_t)sb.st_size < offset)
        return fail(m, "%s holds %lld bytes, fewer than the %llu its journal counts", m->path,
                    (long long)sb.st_size, (unsigned long long)offset);
    if (offset < header_len || !at_cluster(m, offset, (uint64_t)sb.st_size))
        return fail(m, "%s has no cluster at byte %llu, where its journal says one starts",
                    m->path, (unsigned long long)offset);
    m->io.fresh = 0;
    m->io.capture = 1;
    if (write_header(m) != 0)
        return -1;
    avio_flush(m->oc->pb);
    m->io.capture = 0;
    if (m->io.head_len != header_len || m->sync.header_len != header_len)
        return fail(m, "the header this export writes (%zu bytes) is not the one of %s (%llu "
                    "bytes): the file belongs to another export", m->io.head_len, m->path,
                    (unsigned long long)header_len);
    /* the header as it was before a trailer filled in sizes, then the cut */
    if (pwrite(m->io.fd, m->io.head, m->io.head_len, 0) != (ssize_t)m->io.head_len ||
        ftruncate(m->io.fd, (off_t)offset) != 0)
        return fail(m, "cannot rewrite %s: %s", m->path, strerror(errno));
    free(m->io.head);
    m->io.head = NULL;
    if (avio_seek(m->oc->pb, (int64_t)offset, SEEK_SET) < 0)
        return fail(m, "cannot seek in %s", m->path);
    for (int i = 0; i < n; i++) {
        struct mstream *s = &m->s[i];
        m->cur[i] = m->prev[i] = c[i];
        s->has_last = c[i].packets > 0;
        s->last_pts = c[i].last_pts;
        s->usual = c[i].usual;
        m->stats.packets += c[i].packets;
    }
    m->sync.seq = 0;
    m->sync.offset = offset;
    m->sync.zero = m->zero;
    m->sync.n = n;
    memcpy(m->sync.s, c, (size_t)n * sizeof *c);
    return 0;
}
