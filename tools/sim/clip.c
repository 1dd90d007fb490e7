/*
 * clip.c - recordingfile MP4s and image_ts JPEGs from the archive, with
 * libavformat/libavcodec (docs/REST.md "camera/recordingfile",
 * "camera/snapshot").
 *
 * A recording file spans one UTC minute (QNAP's export deck cuts exports
 * into such minutes); a gap in the recording ends the file early.  The MP4
 * holds the camera's video remuxed (not re-encoded): H.264 Annex B access
 * units (the muxer writes avcC from the SPS/PPS of the first key frame) or
 * MJPEG frames, timestamps relative to the first frame; and the camera's
 * audio over the same span (clip_audio.c: AAC copied, G.711/G.726 as AAC),
 * the frames from the first video frame's time whose end is not after the
 * video's end.
 */
#include "clip.h"
#include "archive.h"
#include "avmux.h"
#include "clip_audio.h"
#include "sim.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <stdio.h>
#include <string.h>

void clip_init(void)
{
    av_log_set_level(AV_LOG_ERROR);
}

/* ---- an in-memory, seekable output for the MP4 muxer ---- */

struct memout {
    struct buf *b;
    size_t pos;
};

#if LIBAVFORMAT_VERSION_MAJOR >= 61
static int mem_write(void *opaque, const uint8_t *data, int n)
#else
static int mem_write(void *opaque, uint8_t *data, int n)
#endif
{
    struct memout *m = opaque;
    size_t end = m->pos + (size_t)n;
    if (end > m->b->len) {
        if (buf_reserve(m->b, end - m->b->len) != 0)
            return AVERROR(ENOMEM);
        memset(m->b->p + m->b->len, 0, end - m->b->len);
        m->b->len = end;
    }
    memcpy(m->b->p + m->pos, data, (size_t)n);
    m->pos = end;
    return n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    struct memout *m = opaque;
    int64_t base = 0;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return (int64_t)m->b->len;
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)m->pos; break;
    case SEEK_END: base = (int64_t)m->b->len; break;
    default: return -1;
    }
    if (base + off < 0)
        return -1;
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

/* ---- which frames ---- */

static int64_t floor_to(int64_t t, int64_t step)
{
    int64_t q = t / step;
    return (q * step > t ? q - 1 : q) * step;
}

/* The SPS and PPS NAL units (with start codes) of an Annex B access unit. */
static int h264_extradata(const uint8_t *p, size_t n, struct buf *out)
{
    size_t i = 0;
    while (i + 3 < n) {
        if (!(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1)) {
            i++;
            continue;
        }
        size_t start = i + 3, j = start;
        while (j + 2 < n && !(p[j] == 0 && p[j + 1] == 0 && (p[j + 2] == 1 || p[j + 2] == 0)))
            j++;
        if (j + 2 >= n)
            j = n;
        int type = p[start] & 0x1F;
        if (type == 7 || type == 8) {
            buf_add(out, "\0\0\0\1", 4);
            buf_add(out, p + start, j - start);
        }
        i = j;
    }
    return out->len ? 0 : -1;
}

struct muxer {
    struct avmux m;             /* the format context, video stream and audio */
    struct memout mo;
};

static int mux_open(struct muxer *mx, const struct sim *s, const struct camera *c,
                    const struct clip_frame *first, struct buf *out)
{
    const struct video_info *vi = &video_kinds[c->video];
    mx->mo = (struct memout){out, 0};
    if (avformat_alloc_output_context2(&mx->m.oc, NULL, "mp4", NULL) < 0 || !mx->m.oc)
        return -1;
    mx->m.oc->flags |= AVFMT_FLAG_BITEXACT;
    if (!(mx->m.st = avformat_new_stream(mx->m.oc, NULL)))
        return -1;
    AVCodecParameters *par = mx->m.st->codecpar;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = c->video == VIDEO_MJPEG ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_H264;
    par->width = (int)vi->width;
    par->height = (int)vi->height;
    if (par->codec_id == AV_CODEC_ID_H264) {
        struct buf x = {0};
        if (h264_extradata(first->data, first->len, &x) != 0) {
            buf_free(&x);
            return -1;
        }
        par->extradata = av_mallocz(x.len + AV_INPUT_BUFFER_PADDING_SIZE);
        if (par->extradata) {
            memcpy(par->extradata, x.p, x.len);
            par->extradata_size = (int)x.len;
        }
        buf_free(&x);
        if (!par->extradata)
            return -1;
    }
    mx->m.st->time_base = (AVRational){1, 1000};
    mx->m.st->avg_frame_rate = (AVRational){c->fps, 1};
    if (clip_audio_open(&mx->m.audio, mx->m.oc, c, &s->media.audio[c->audio]) != 0)
        return -1;
    uint8_t *iobuf = av_malloc(65536);
    if (!iobuf)
        return -1;
    mx->m.oc->pb = avio_alloc_context(iobuf, 65536, 1, &mx->mo, NULL, mem_write, mem_seek);
    if (!mx->m.oc->pb) {
        av_free(iobuf);
        return -1;
    }
    if (avformat_write_header(mx->m.oc, NULL) < 0)
        return -1;
    mx->m.header = true;
    return 0;
}

/* The first frame to serve for a range starting at `from` inside the file
 * [file_start, ...): the key frame at or before `from`, else the first key
 * frame after it. */
static bool first_key(const struct sim *s, const struct camera *c, int64_t from,
                      int64_t file_start, int64_t hi, struct arc_frame *f)
{
    if (arc_prev_video(s, c, arc_key(from, false) + 1, file_start, ARC_KEYONLY, f))
        return true;
    return arc_next(s, c, arc_key_at(s, c, from), hi, ARC_KEYONLY, f);
}

/* The last video frame of the recording file from f on (a gap ends it). */
static struct arc_frame last_video(const struct sim *s, const struct camera *c,
                                   struct arc_frame f, int64_t hi)
{
    struct arc_frame next;
    while (arc_next(s, c, f.order + 1, hi, 0, &next) && next.ts <= f.ts + c->video_ms)
        f = next;
    return f;
}

/* Muxes the frames from the key frame f to the video's end (end_ts,
 * exclusive): video frames, and audio frames from f's time that end by
 * end_ts. */
static bool mux_frames(struct muxer *mx, const struct sim *s, const struct camera *c,
                       struct arc_frame f, int64_t end_ts)
{
    int64_t t0 = f.ts;
    bool more = true;
    while (more) {
        bool ok = true;
        if (!f.audio)
            ok = avmux_video(&mx->m, f.cf->data, f.cf->len, f.key, f.ts - t0, c->video_ms) == 0;
        else if (mx->m.audio && f.ts + c->audio_ms <= end_ts)
            ok = clip_audio_frame(mx->m.audio, f.cf, f.ts - t0) == 0;
        if (!ok)
            return false;
        more = arc_next(s, c, f.order + 1, end_ts - 1, ARC_AUDIO, &f);
    }
    return true;
}

enum clip_result clip_mp4(const struct sim *s, const struct camera *c, int64_t from, int64_t to,
                          struct buf *out, int64_t *first_ts, int64_t *end_ts)
{
    if (c->dump)
        return CLIP_NO_DATA;
    int64_t gap_end, begin = arc_begin(s, c);
    if (from < begin)
        from = begin;
    if (arc_in_gap(s, c, from, &gap_end))
        from = gap_end;
    int64_t file_start = floor_to(from, REC_FILE_MS);
    int64_t hi = to < file_start + REC_FILE_MS ? to : file_start + REC_FILE_MS;
    int64_t end = arc_end(s, c, now_ms());
    if (hi > end)
        hi = end;
    hi--; /* [from, to): the last frame is before to */
    struct arc_frame f;
    if (from > hi || !first_key(s, c, from, file_start < begin ? begin : file_start, hi, &f))
        return CLIP_NO_DATA;
    int64_t stop = last_video(s, c, f, hi).ts + c->video_ms;
    struct muxer mx = {0};
    bool ok = mux_open(&mx, s, c, f.cf, out) == 0 && mux_frames(&mx, s, c, f, stop);
    if (avmux_close(&mx.m, ok) != 0)
        return CLIP_FAILED;
    *first_ts = f.ts;
    *end_ts = stop;
    return CLIP_OK;
}

/* ---- a JPEG of the frame at a time ---- */

static AVCodecContext *open_codec(const AVCodec *codec, const struct camera *c, bool enc)
{
    AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;
    if (!ctx)
        return NULL;
    ctx->thread_count = 1;
    ctx->flags |= AV_CODEC_FLAG_BITEXACT;
    if (enc) {
        const struct video_info *vi = &video_kinds[c->video];
        ctx->width = (int)vi->width;
        ctx->height = (int)vi->height;
        ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
        ctx->time_base = (AVRational){1, c->fps};
        ctx->flags |= AV_CODEC_FLAG_QSCALE;
        ctx->global_quality = FF_QP2LAMBDA * 3;
    }
    if (avcodec_open2(ctx, codec, NULL) < 0)
        avcodec_free_context(&ctx);
    return ctx;
}

/* Decodes the key frame `key` up to the frame at `ts`; the last picture. */
static AVFrame *decode_to(const struct sim *s, const struct camera *c, struct arc_frame key,
                          int64_t ts)
{
    AVCodecContext *dec = open_codec(avcodec_find_decoder(AV_CODEC_ID_H264), c, false);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *pic = av_frame_alloc(), *last = av_frame_alloc();
    bool ok = dec && pkt && pic && last, got = false;
    struct arc_frame f = key;
    for (bool more = ok; more;) {
        pkt->data = (uint8_t *)f.cf->data;
        pkt->size = (int)f.cf->len;
        pkt->pts = f.ts;
        bool final = f.ts >= ts || !arc_next(s, c, f.order + 1, ts, 0, &f);
        if (avcodec_send_packet(dec, pkt) < 0 || (final && avcodec_send_packet(dec, NULL) < 0))
            break;
        while (avcodec_receive_frame(dec, pic) == 0) {
            av_frame_unref(last);
            av_frame_move_ref(last, pic);
            got = true;
        }
        more = !final;
    }
    av_frame_free(&pic);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    if (!got)
        av_frame_free(&last);
    return last;
}

static int encode_jpeg(const struct camera *c, AVFrame *pic, struct buf *out)
{
    AVCodecContext *enc = open_codec(avcodec_find_encoder(AV_CODEC_ID_MJPEG), c, true);
    AVPacket *pkt = av_packet_alloc();
    int rc = -1;
    if (enc && pkt) {
        pic->format = AV_PIX_FMT_YUVJ420P; /* same planes; full-range label */
        pic->quality = enc->global_quality;
        pic->pts = 0;
        pic->pict_type = AV_PICTURE_TYPE_NONE;
        if (avcodec_send_frame(enc, pic) == 0 && avcodec_receive_packet(enc, pkt) == 0)
            rc = buf_add(out, pkt->data, (size_t)pkt->size);
    }
    av_packet_free(&pkt);
    avcodec_free_context(&enc);
    return rc;
}

enum clip_result clip_jpeg_at(const struct sim *s, const struct camera *c, int64_t ts,
                              struct buf *out)
{
    int64_t gap_end;
    if (c->dump || ts < arc_begin(s, c) || ts > arc_end(s, c, now_ms()) ||
        arc_in_gap(s, c, ts, &gap_end))
        return CLIP_NO_DATA;
    struct arc_frame f, key;
    if (!arc_prev_video(s, c, arc_key(ts, false) + 1, ts - 2 * c->video_ms, 0, &f))
        return CLIP_NO_DATA;
    if (c->video == VIDEO_MJPEG)
        return buf_add(out, f.cf->data, f.cf->len) == 0 ? CLIP_OK : CLIP_FAILED;
    if (!arc_prev_video(s, c, f.order + 1, f.ts - REC_FILE_MS, ARC_KEYONLY, &key))
        return CLIP_NO_DATA;
    AVFrame *pic = decode_to(s, c, key, f.ts);
    if (!pic)
        return CLIP_FAILED;
    int rc = encode_jpeg(c, pic, out);
    av_frame_free(&pic);
    return rc == 0 ? CLIP_OK : CLIP_FAILED;
}
