/*
 * clip_audio.c - the audio track of recordingfile MP4s; see clip_audio.h.
 */
#include "clip_audio.h"
#include "config.h"
#include "media.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <stdlib.h>
#include <string.h>

#define AAC_FRAME 1024 /* samples of one AAC-LC frame */

struct clip_audio {
    AVFormatContext *oc;
    AVStream *st;
    int rate;
    bool copy;                /* AAC as it came; else decode + encode */
    AVCodecContext *dec, *enc;
    AVPacket *pkt;
    AVFrame *pcm, *frame;
    int buffered;             /* samples in frame waiting for a whole AAC frame */
    int64_t start;            /* first sample's pts (1/rate) */
    int64_t frames_sent;      /* AAC frames given to the encoder */
    int64_t packets;          /* encoder packets seen (the first is priming) */
    int interval_ms;          /* one fixture frame */
    bool grid;                /* clip_audio_span: start fixed, not the first frame's */
    int64_t skip, left;       /* decoded samples still to drop, then to take */
    int64_t keep_from, keep_to; /* packets written: those placed in [from, to) */
};

/* ---- AAC copied ---- */

/* Length of the ADTS header of p (7, or 9 with a CRC); 0 if none. */
static size_t adts_header(const uint8_t *p, size_t n)
{
    if (n < 7 || p[0] != 0xFF || (p[1] & 0xF6) != 0xF0)
        return 0;
    size_t h = (p[1] & 1) ? 7 : 9;
    return n > h ? h : 0;
}

/* The AudioSpecificConfig (2 bytes) an ADTS header describes. */
static int adts_asc(const uint8_t *p, AVCodecParameters *par)
{
    unsigned aot = ((p[2] >> 6) & 3) + 1, sfi = (p[2] >> 2) & 0xF;
    unsigned ch = ((p[2] & 1) << 2) | (p[3] >> 6);
    if (!(par->extradata = av_mallocz(2 + AV_INPUT_BUFFER_PADDING_SIZE)))
        return -1;
    par->extradata[0] = (uint8_t)((aot << 3) | (sfi >> 1));
    par->extradata[1] = (uint8_t)(((sfi & 1) << 7) | (ch << 3));
    par->extradata_size = 2;
    return 0;
}

static int open_copy(struct clip_audio *a, const struct clip *clip)
{
    if (clip->n == 0 || !adts_header(clip->frames[0].data, clip->frames[0].len))
        return -1;
    AVCodecParameters *par = a->st->codecpar;
    par->codec_type = AVMEDIA_TYPE_AUDIO;
    par->codec_id = AV_CODEC_ID_AAC;
    par->sample_rate = a->rate;
    par->frame_size = AAC_FRAME;
    av_channel_layout_default(&par->ch_layout, 1);
    return adts_asc(clip->frames[0].data, par);
}

static int write_packet(struct clip_audio *a, AVPacket *p, int64_t pts, int64_t dur)
{
    p->pts = p->dts = pts;
    p->duration = dur;
    p->flags |= AV_PKT_FLAG_KEY;
    p->stream_index = a->st->index;
    av_packet_rescale_ts(p, (AVRational){1, a->rate}, a->st->time_base);
    return av_write_frame(a->oc, p) < 0 ? -1 : 0;
}

static int copy_frame(struct clip_audio *a, const struct clip_frame *cf, int64_t pts)
{
    size_t h = adts_header(cf->data, cf->len);
    if (!h)
        return -1;
    a->pkt->data = (uint8_t *)cf->data + h;
    a->pkt->size = (int)(cf->len - h);
    int rc = write_packet(a, a->pkt, pts, AAC_FRAME);
    av_packet_unref(a->pkt);
    return rc;
}

/* ---- G.711 / G.726 to AAC ---- */

static AVCodecContext *open_ctx(const AVCodec *codec, int rate, int bits)
{
    AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;
    if (!ctx)
        return NULL;
    ctx->thread_count = 1;
    ctx->flags |= AV_CODEC_FLAG_BITEXACT;
    ctx->sample_rate = rate;
    av_channel_layout_default(&ctx->ch_layout, 1);
    if (av_codec_is_encoder(codec)) {
        ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
        ctx->bit_rate = 32000;
        ctx->time_base = (AVRational){1, rate};
        ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    } else {
        ctx->bits_per_coded_sample = bits;
    }
    AVDictionary *opts = NULL;
    if (av_codec_is_encoder(codec))
        av_dict_set(&opts, "aac_coder", "fast", 0); /* a minute in a fraction of the time */
    if (avcodec_open2(ctx, codec, &opts) < 0)
        avcodec_free_context(&ctx);
    av_dict_free(&opts);
    return ctx;
}

static int open_transcode(struct clip_audio *a, const struct camera *c)
{
    enum AVCodecID in = c->audio == AUDIO_G711 ? AV_CODEC_ID_PCM_MULAW : AV_CODEC_ID_ADPCM_G726;
    a->dec = open_ctx(avcodec_find_decoder(in), a->rate, audio_kinds[c->audio].bits);
    a->enc = open_ctx(avcodec_find_encoder(AV_CODEC_ID_AAC), a->rate, 0);
    a->pcm = av_frame_alloc();
    a->frame = av_frame_alloc();
    if (!a->dec || !a->enc || !a->pcm || !a->frame)
        return -1;
    a->frame->format = AV_SAMPLE_FMT_FLTP;
    a->frame->nb_samples = a->enc->frame_size > 0 ? a->enc->frame_size : AAC_FRAME;
    a->frame->sample_rate = a->rate;
    if (av_channel_layout_copy(&a->frame->ch_layout, &a->enc->ch_layout) < 0 ||
        av_frame_get_buffer(a->frame, 0) < 0)
        return -1;
    return avcodec_parameters_from_context(a->st->codecpar, a->enc) < 0 ? -1 : 0;
}

/* Writes the encoder's packets but the first (its priming), each at the
 * place of the AAC frame it decodes to, at most as many as were sent. */
static int drain(struct clip_audio *a)
{
    int rc;
    while ((rc = avcodec_receive_packet(a->enc, a->pkt)) == 0) {
        int64_t k = a->packets++ - 1, at = a->start + k * a->frame->nb_samples;
        int w = 0;
        if (k >= 0 && k < a->frames_sent && at >= a->keep_from && at < a->keep_to)
            w = write_packet(a, a->pkt, at, a->frame->nb_samples);
        av_packet_unref(a->pkt);
        if (w != 0)
            return -1;
    }
    return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : -1;
}

/* Moves the decoded samples into the AAC frame, encoding each full one. */
static int take_samples(struct clip_audio *a)
{
    const int16_t *s = (const int16_t *)a->pcm->data[0];
    float *d = (float *)a->frame->data[0];
    for (int i = 0; i < a->pcm->nb_samples; i++) {
        if (a->skip > 0) {
            a->skip--;
            continue;
        }
        if (a->left <= 0)
            break;
        a->left--;
        d[a->buffered++] = (float)s[i] / 32768.0f;
        if (a->buffered < a->frame->nb_samples)
            continue;
        a->frame->pts = a->frames_sent * a->frame->nb_samples;
        if (avcodec_send_frame(a->enc, a->frame) < 0)
            return -1;
        a->frames_sent++;
        a->buffered = 0;
        if (drain(a) != 0 || av_frame_make_writable(a->frame) < 0)
            return -1;
        d = (float *)a->frame->data[0];
    }
    return 0;
}

static int transcode_frame(struct clip_audio *a, const struct clip_frame *cf, int64_t pts)
{
    if (!a->grid && a->frames_sent == 0 && a->buffered == 0)
        a->start = pts;
    a->pkt->data = (uint8_t *)cf->data;
    a->pkt->size = (int)cf->len;
    int rc = avcodec_send_packet(a->dec, a->pkt);
    a->pkt->data = NULL;
    a->pkt->size = 0;
    if (rc < 0)
        return -1;
    while ((rc = avcodec_receive_frame(a->dec, a->pcm)) == 0) {
        int t = a->pcm->format == AV_SAMPLE_FMT_S16 ? take_samples(a) : -1;
        av_frame_unref(a->pcm);
        if (t != 0)
            return -1;
    }
    return rc == AVERROR(EAGAIN) ? 0 : -1;
}

/* ---- the track ---- */

int clip_audio_open(struct clip_audio **out, AVFormatContext *oc, const struct camera *c,
                    const struct clip *clip)
{
    *out = NULL;
    if (c->audio == AUDIO_NONE)
        return 0;
    struct clip_audio *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->oc = oc;
    a->rate = (int)audio_kinds[c->audio].sample_rate;
    a->copy = c->audio == AUDIO_AAC;
    a->interval_ms = audio_kinds[c->audio].interval_ms;
    a->left = a->keep_to = INT64_MAX;
    a->keep_from = INT64_MIN;
    int rc = -1;
    if ((a->pkt = av_packet_alloc()) && (a->st = avformat_new_stream(oc, NULL))) {
        a->st->time_base = (AVRational){1, a->rate};
        rc = a->copy ? open_copy(a, clip) : open_transcode(a, c);
    }
    if (rc != 0) {
        clip_audio_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

int clip_audio_frame(struct clip_audio *a, const struct clip_frame *cf, int64_t pts_ms)
{
    int64_t pts = pts_ms * a->rate / 1000;
    return a->copy ? copy_frame(a, cf, pts) : transcode_frame(a, cf, pts);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a / b + (a % b > 0);
}

void clip_audio_span(struct clip_audio *a, int64_t t0_ms, int64_t t1_ms, int64_t base_ms,
                     int64_t *j0, int64_t *j1)
{
    int64_t ms = a->interval_ms;
    if (a->copy) {
        *j0 = ceil_div(t0_ms, ms);
        *j1 = ceil_div(t1_ms, ms);
        return;
    }
    int64_t n = a->frame->nb_samples, spf = ms * a->rate / 1000;
    int64_t m0 = ceil_div(t0_ms * a->rate / 1000, n), m1 = ceil_div(t1_ms * a->rate / 1000, n);
    int64_t from = (m0 - 1) * n, to = (m1 + 1) * n, base = base_ms * a->rate / 1000;
    *j0 = from / spf;
    *j1 = ceil_div(to, spf);
    a->grid = true;
    a->skip = from - *j0 * spf;
    a->left = to - from;
    a->start = from - base;
    a->keep_from = m0 * n - base;
    a->keep_to = m1 * n - base;
}

int clip_audio_finish(struct clip_audio *a)
{
    if (!a || a->copy)
        return 0;
    if (avcodec_send_frame(a->enc, NULL) < 0)
        return -1;
    return drain(a);
}

void clip_audio_free(struct clip_audio *a)
{
    if (!a)
        return;
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    av_frame_free(&a->pcm);
    av_frame_free(&a->frame);
    av_packet_free(&a->pkt);
    free(a);
}
