/*
 * join.c - joining MP4 pieces into one file with libavformat; see join.h.
 *
 * Owns: the input and output contexts of one join, opened and closed here;
 * nothing calls back into Lua.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#include "join.h"

#define JOIN_MAX_STREAMS 8

static const AVRational MS = {1, 1000};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int failf(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int av_fail(char *err, size_t n, const char *what, const char *path, int rc)
{
    char msg[AV_ERROR_MAX_STRING_SIZE] = "";
    av_strerror(rc, msg, sizeof msg);
    return failf(err, n, "%s %s: %s", what, path, msg);
}

static int open_input(AVFormatContext **ic, const char *path, char *err, size_t n)
{
    int rc = avformat_open_input(ic, path, NULL, NULL);
    if (rc < 0)
        return av_fail(err, n, "cannot open", path, rc);
    rc = avformat_find_stream_info(*ic, NULL);
    if (rc < 0) {
        avformat_close_input(ic);
        return av_fail(err, n, "cannot read", path, rc);
    }
    return 0;
}

/* Packet time in ms, or AV_NOPTS_VALUE. */
static int64_t pkt_ms(const AVPacket *p, AVRational tb)
{
    int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    return t == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : av_rescale_q(t, tb, MS);
}

int qvr_media_span(const char *path, int64_t *start_ms, int64_t *end_ms, char *err, size_t n)
{
    AVFormatContext *ic = NULL;
    AVPacket *p;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    if (open_input(&ic, path, err, n) != 0)
        return -1;
    p = av_packet_alloc();
    if (!p) {
        avformat_close_input(&ic);
        return failf(err, n, "out of memory");
    }
    while (av_read_frame(ic, p) >= 0) {
        AVRational tb = ic->streams[p->stream_index]->time_base;
        int64_t t = pkt_ms(p, tb);
        if (t != AV_NOPTS_VALUE) {
            int64_t e = t + av_rescale_q(p->duration, tb, MS);
            lo = t < lo ? t : lo;
            hi = e > hi ? e : hi;
        }
        av_packet_unref(p);
    }
    av_packet_free(&p);
    avformat_close_input(&ic);
    if (lo == INT64_MAX)
        return failf(err, n, "%s holds no packets", path);
    *start_ms = lo;
    *end_ms = hi;
    return 0;
}

struct join {
    AVFormatContext *oc;
    int64_t last_dts[JOIN_MAX_STREAMS];   /* output time base */
    int has_last[JOIN_MAX_STREAMS];
    int64_t end_ms;
    struct qvr_join_stats *st;
    char *err;
    size_t errlen;
};

static int add_streams(struct join *j, const AVFormatContext *ic)
{
    if (ic->nb_streams == 0 || ic->nb_streams > JOIN_MAX_STREAMS)
        return failf(j->err, j->errlen, "the first piece has %u streams", ic->nb_streams);
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        AVStream *os = avformat_new_stream(j->oc, NULL);
        if (!os || avcodec_parameters_copy(os->codecpar, ic->streams[i]->codecpar) < 0)
            return failf(j->err, j->errlen, "out of memory");
        os->codecpar->codec_tag = 0;
        os->time_base = ic->streams[i]->time_base;
    }
    return 0;
}

/* map[i] = output stream of input stream i (-1: none). */
static int map_streams(struct join *j, const AVFormatContext *ic, const char *path, int *map)
{
    int used[JOIN_MAX_STREAMS] = {0};
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        const AVCodecParameters *a = ic->streams[i]->codecpar;
        map[i] = -1;
        for (unsigned k = 0; k < j->oc->nb_streams; k++) {
            const AVCodecParameters *b = j->oc->streams[k]->codecpar;
            if (!used[k] && a->codec_type == b->codec_type && a->codec_id == b->codec_id) {
                map[i] = (int)k;
                used[k] = 1;
                break;
            }
        }
        if (map[i] < 0 && (a->codec_type == AVMEDIA_TYPE_VIDEO ||
                           a->codec_type == AVMEDIA_TYPE_AUDIO))
            return failf(j->err, j->errlen, "%s has a %s stream the first piece lacks", path,
                         av_get_media_type_string(a->codec_type));
    }
    return 0;
}

static int copy_packet(struct join *j, AVPacket *p, const AVStream *is, int out, int64_t shift_ms)
{
    AVStream *os = j->oc->streams[out];
    int64_t shift = av_rescale_q(shift_ms, MS, os->time_base), ms;
    av_packet_rescale_ts(p, is->time_base, os->time_base);
    if (p->pts != AV_NOPTS_VALUE)
        p->pts += shift;
    if (p->dts != AV_NOPTS_VALUE)
        p->dts += shift;
    ms = pkt_ms(p, os->time_base);
    if (ms == AV_NOPTS_VALUE || (j->end_ms > 0 && ms >= j->end_ms) ||
        (j->has_last[out] && p->dts != AV_NOPTS_VALUE && p->dts <= j->last_dts[out])) {
        j->st->dropped++;
        return 0;
    }
    if (p->dts != AV_NOPTS_VALUE) {
        j->last_dts[out] = p->dts;
        j->has_last[out] = 1;
    }
    if (j->st->packets == 0 || ms < j->st->first_ms)
        j->st->first_ms = ms;
    if (ms + av_rescale_q(p->duration, os->time_base, MS) > j->st->end_ms)
        j->st->end_ms = ms + av_rescale_q(p->duration, os->time_base, MS);
    j->st->packets++;
    p->stream_index = out;
    p->pos = -1;
    return av_interleaved_write_frame(j->oc, p);
}

static int copy_piece(struct join *j, const struct qvr_join_piece *pc, int first, int64_t base)
{
    AVFormatContext *ic = NULL;
    AVPacket *p = NULL;
    int map[JOIN_MAX_STREAMS], rc = 0;
    int64_t start, end, shift;
    if (qvr_media_span(pc->path, &start, &end, j->err, j->errlen) != 0 ||
        open_input(&ic, pc->path, j->err, j->errlen) != 0)
        return -1;
    shift = (pc->at_ms - base) - start;
    if (ic->nb_streams > JOIN_MAX_STREAMS)
        rc = failf(j->err, j->errlen, "%s has %u streams", pc->path, ic->nb_streams);
    else if (first)
        rc = add_streams(j, ic);
    if (rc == 0)
        rc = map_streams(j, ic, pc->path, map);
    if (rc == 0 && first) {
        int w = avformat_write_header(j->oc, NULL);
        if (w < 0)
            rc = av_fail(j->err, j->errlen, "cannot start", "the output", w);
    }
    if (rc == 0 && !(p = av_packet_alloc()))
        rc = failf(j->err, j->errlen, "out of memory");
    while (rc == 0 && av_read_frame(ic, p) >= 0) {
        int out = map[p->stream_index], w = 0;
        if (out >= 0)
            w = copy_packet(j, p, ic->streams[p->stream_index], out, shift);
        av_packet_unref(p);
        if (w < 0)
            rc = av_fail(j->err, j->errlen, "cannot write", "the output", w);
    }
    av_packet_free(&p);
    avformat_close_input(&ic);
    return rc;
}

int qvr_join(const struct qvr_join_piece *pieces, size_t n, const char *out, const char *format,
             int64_t end_ms, struct qvr_join_stats *st, char *err, size_t errlen)
{
    struct join j = {0};
    int rc;
    memset(st, 0, sizeof *st);
    j.st = st;
    j.err = err;
    j.errlen = errlen;
    if (n == 0)
        return failf(err, errlen, "no pieces to join");
    j.end_ms = end_ms > 0 ? end_ms - pieces[0].at_ms : 0;
    rc = avformat_alloc_output_context2(&j.oc, NULL, format, out);
    if (rc < 0 || !j.oc)
        return av_fail(err, errlen, "cannot create", out, rc < 0 ? rc : AVERROR(ENOMEM));
    rc = avio_open(&j.oc->pb, out, AVIO_FLAG_WRITE);
    if (rc < 0) {
        avformat_free_context(j.oc);
        return av_fail(err, errlen, "cannot create", out, rc);
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = copy_piece(&j, &pieces[i], i == 0, pieces[0].at_ms);
    if (rc == 0) {
        int w = av_write_trailer(j.oc);
        if (w < 0)
            rc = av_fail(err, errlen, "cannot finish", out, w);
    }
    st->streams = (int)j.oc->nb_streams;
    st->first_ms += pieces[0].at_ms;
    st->end_ms += pieces[0].at_ms;
    avio_closep(&j.oc->pb);
    avformat_free_context(j.oc);
    return rc;
}
