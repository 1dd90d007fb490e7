/*
 * aacenc.c - G.711 / G.726 / PCM audio to AAC with libavcodec (plain C); see
 * aacenc.h.
 *
 * Owns: one decoder (pcm_mulaw, pcm_alaw, adpcm_g726, pcm_s16le), FFmpeg's
 * native AAC encoder, the samples waiting for a whole AAC frame (1024 a
 * channel), and the map from sample positions back to the frames' ms clock,
 * so a gap in the recording stays a gap: each AAC packet takes the time of
 * the input frame its first sample came from.  No callbacks into Lua.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>

#include "aacenc.h"

#define SEGS 64                 /* input frames remembered for the time map */
#define MAX_CH 2

struct seg {
    int64_t start;              /* first sample's position */
    int64_t n;                  /* samples */
    int64_t ts;                 /* ms */
};

struct qvr_aacenc {
    AVCodecContext *dec, *enc;
    AVPacket *in, *out;
    AVFrame *decoded, *frame;
    float *buf[MAX_CH];         /* samples waiting for a whole AAC frame */
    int buffered, frame_size, channels, rate;
    int64_t fed;                /* samples decoded so far */
    int64_t sent;               /* samples handed to the encoder */
    struct seg seg[SEGS];
    int nseg, first_seg;
    int64_t first_ts;
    int has_first;
    char err[200];
};

static int fail(qvr_aacenc *a, const char *what, int rc)
{
    char e[96];
    av_strerror(rc, e, sizeof e);
    snprintf(a->err, sizeof a->err, "%s: %s", what, e);
    return -1;
}

static enum AVCodecID input_id(enum qvr_codec c, int alaw)
{
    switch (c) {
    case QVR_CODEC_G711: return alaw ? AV_CODEC_ID_PCM_ALAW : AV_CODEC_ID_PCM_MULAW;
    case QVR_CODEC_G726: return AV_CODEC_ID_ADPCM_G726;
    case QVR_CODEC_PCM: return AV_CODEC_ID_PCM_S16LE;
    default: return AV_CODEC_ID_NONE;
    }
}

static int open_decoder(qvr_aacenc *a, enum AVCodecID id, int bits)
{
    const AVCodec *c = avcodec_find_decoder(id);
    int rc;
    if (!c || !(a->dec = avcodec_alloc_context3(c)))
        return snprintf(a->err, sizeof a->err, "no decoder for the input audio"), -1;
    a->dec->sample_rate = a->rate;
    av_channel_layout_default(&a->dec->ch_layout, a->channels);
    if (id == AV_CODEC_ID_ADPCM_G726)
        a->dec->bits_per_coded_sample = bits >= 2 && bits <= 5 ? bits : 4;
    if ((rc = avcodec_open2(a->dec, c, NULL)) < 0)
        return fail(a, "cannot open the audio decoder", rc);
    return 0;
}

static int open_encoder(qvr_aacenc *a)
{
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_AAC);
    int rc;
    if (!c || !(a->enc = avcodec_alloc_context3(c)))
        return snprintf(a->err, sizeof a->err, "no AAC encoder in this libavcodec"), -1;
    a->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    a->enc->sample_rate = a->rate;
    av_channel_layout_default(&a->enc->ch_layout, a->channels);
    a->enc->bit_rate = a->rate <= 16000 ? 32000 * a->channels : 64000 * a->channels;
    a->enc->time_base = (AVRational){1, a->rate};
    a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((rc = avcodec_open2(a->enc, c, NULL)) < 0)
        return fail(a, "cannot open the AAC encoder", rc);
    a->frame_size = a->enc->frame_size > 0 ? a->enc->frame_size : 1024;
    for (int i = 0; i < a->channels; i++)
        if (!(a->buf[i] = calloc((size_t)a->frame_size, sizeof(float))))
            return snprintf(a->err, sizeof a->err, "out of memory"), -1;
    return 0;
}

int qvr_aacenc_open(qvr_aacenc **out, enum qvr_codec codec, int alaw, int bits, unsigned rate,
                    unsigned channels, char *err, size_t errlen)
{
    enum AVCodecID id = input_id(codec, alaw);
    qvr_aacenc *a = calloc(1, sizeof *a);
    *out = NULL;
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->rate = (int)(rate ? rate : 8000);
    a->channels = (int)(channels >= 1 && channels <= MAX_CH ? channels : 1);
    if (id == AV_CODEC_ID_NONE)
        snprintf(a->err, sizeof a->err, "only G.711, G.726 and PCM audio are turned into AAC");
    else if (!(a->in = av_packet_alloc()) || !(a->out = av_packet_alloc()) ||
             !(a->decoded = av_frame_alloc()) || !(a->frame = av_frame_alloc()))
        snprintf(a->err, sizeof a->err, "out of memory");
    else if (open_decoder(a, id, bits) == 0 && open_encoder(a) == 0) {
        *out = a;
        return 0;
    }
    snprintf(err, errlen, "%s", a->err);
    qvr_aacenc_free(a);
    return -1;
}

const uint8_t *qvr_aacenc_extradata(const qvr_aacenc *a, size_t *n)
{
    *n = a->enc->extradata ? (size_t)a->enc->extradata_size : 0;
    return a->enc->extradata;
}

unsigned qvr_aacenc_rate(const qvr_aacenc *a)
{
    return (unsigned)a->rate;
}

unsigned qvr_aacenc_channels(const qvr_aacenc *a)
{
    return (unsigned)a->channels;
}

const char *qvr_aacenc_error(const qvr_aacenc *a)
{
    return a->err;
}

/* The ms time of sample position p: from the input frame that holds it. */
static int64_t time_of(const qvr_aacenc *a, int64_t p)
{
    const struct seg *best = NULL;
    for (int i = 0; i < a->nseg; i++) {
        const struct seg *s = &a->seg[(a->first_seg + i) % SEGS];
        if (s->start <= p)
            best = s;
        else
            break;
    }
    if (!best)
        return a->first_ts;     /* the encoder's priming samples */
    return best->ts + (p - best->start) * 1000 / a->rate;
}

static void remember(qvr_aacenc *a, int64_t n, int64_t ts)
{
    struct seg *s;
    if (!a->has_first) {
        a->first_ts = ts;
        a->has_first = 1;
    }
    if (a->nseg == SEGS) {     /* forget the oldest that the encoder has passed */
        a->first_seg = (a->first_seg + 1) % SEGS;
        a->nseg--;
    }
    s = &a->seg[(a->first_seg + a->nseg++) % SEGS];
    s->start = a->fed;
    s->n = n;
    s->ts = ts;
}

static int drain(qvr_aacenc *a, qvr_aac_sink sink, void *ctx)
{
    int rc;
    while ((rc = avcodec_receive_packet(a->enc, a->out)) == 0) {
        int64_t pts = a->out->pts == AV_NOPTS_VALUE ? 0 : a->out->pts;
        int r = sink(ctx, a->out->data, (size_t)a->out->size, time_of(a, pts < 0 ? 0 : pts));
        av_packet_unref(a->out);
        if (r != 0)
            return -1;
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
        return fail(a, "AAC encoding failed", rc);
    return 0;
}

static int encode_buffer(qvr_aacenc *a, int samples, qvr_aac_sink sink, void *ctx)
{
    int rc;
    av_frame_unref(a->frame);
    a->frame->nb_samples = samples;
    a->frame->format = AV_SAMPLE_FMT_FLTP;
    a->frame->sample_rate = a->rate;
    av_channel_layout_copy(&a->frame->ch_layout, &a->enc->ch_layout);
    if ((rc = av_frame_get_buffer(a->frame, 0)) < 0)
        return fail(a, "out of memory for audio", rc);
    for (int c = 0; c < a->channels; c++)
        memcpy(a->frame->extended_data[c], a->buf[c], (size_t)samples * sizeof(float));
    a->frame->pts = a->sent;
    a->sent += samples;
    a->buffered = 0;
    if ((rc = avcodec_send_frame(a->enc, a->frame)) < 0)
        return fail(a, "AAC encoding failed", rc);
    return drain(a, sink, ctx);
}

/* The decoded frame's s16 samples into the float buffers, a frame at a time. */
static int take_samples(qvr_aacenc *a, const AVFrame *f, qvr_aac_sink sink, void *ctx)
{
    int planar = av_sample_fmt_is_planar(f->format);
    if (f->format != AV_SAMPLE_FMT_S16 && f->format != AV_SAMPLE_FMT_S16P)
        return snprintf(a->err, sizeof a->err, "unexpected decoded sample format"), -1;
    for (int i = 0; i < f->nb_samples; i++) {
        for (int c = 0; c < a->channels; c++) {
            int src_c = c < f->ch_layout.nb_channels ? c : 0;
            const int16_t *p = (const int16_t *)f->extended_data[planar ? src_c : 0];
            int16_t v = planar ? p[i] : p[i * f->ch_layout.nb_channels + src_c];
            a->buf[c][a->buffered] = (float)v / 32768.0f;
        }
        if (++a->buffered == a->frame_size && encode_buffer(a, a->frame_size, sink, ctx) != 0)
            return -1;
    }
    return 0;
}

int qvr_aacenc_feed(qvr_aacenc *a, const uint8_t *d, size_t n, int64_t ts_ms, qvr_aac_sink sink,
                    void *ctx)
{
    int rc;
    if (n == 0)
        return 0;
    if (av_new_packet(a->in, (int)n) < 0)
        return snprintf(a->err, sizeof a->err, "out of memory"), -1;
    memcpy(a->in->data, d, n);
    rc = avcodec_send_packet(a->dec, a->in);
    av_packet_unref(a->in);
    if (rc < 0)
        return fail(a, "cannot decode the camera's audio", rc);
    while ((rc = avcodec_receive_frame(a->dec, a->decoded)) == 0) {
        remember(a, a->decoded->nb_samples, ts_ms);
        a->fed += a->decoded->nb_samples;
        rc = take_samples(a, a->decoded, sink, ctx);
        av_frame_unref(a->decoded);
        if (rc != 0)
            return -1;
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
        return fail(a, "cannot decode the camera's audio", rc);
    return 0;
}

int qvr_aacenc_flush(qvr_aacenc *a, qvr_aac_sink sink, void *ctx)
{
    int rc;
    if (a->buffered > 0 && encode_buffer(a, a->buffered, sink, ctx) != 0)
        return -1;
    if ((rc = avcodec_send_frame(a->enc, NULL)) < 0 && rc != AVERROR_EOF)
        return fail(a, "AAC encoding failed", rc);
    return drain(a, sink, ctx);
}

void qvr_aacenc_free(qvr_aacenc *a)
{
    if (!a)
        return;
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    av_packet_free(&a->in);
    av_packet_free(&a->out);
    av_frame_free(&a->decoded);
    av_frame_free(&a->frame);
    for (int i = 0; i < MAX_CH; i++)
        free(a->buf[i]);
    free(a);
}
