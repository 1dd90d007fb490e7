/*
 * exportloop.c - the export's per-frame work (plain C); see exportloop.h.
 *
 * Mirrors what lua/qvrpro/export.lua does for a frame (Job:accept,
 * Job:deliver, the container sink's write): a frame past `to` ends the
 * export, one before the floor is dropped, one at or before a skip cursor
 * repeats a frame already taken, and a frame whose medium has no stream is
 * left out when its codec was left out on purpose and an error otherwise.
 * Gaps: a step over twice a medium's last interval is a hole {from, to}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exportloop.h"
#include "wire.h"

void qvr_xloop_init(struct qvr_xloop *x, qvr_mux *m, int64_t from, int64_t to, int64_t floor)
{
    memset(x, 0, sizeof *x);
    x->m = m;
    x->from = from;
    x->to = to;
    x->floor = floor;
    x->first_ts = x->last_ts = -1;
    for (int i = 0; i < QVR_XMEDIA; i++) {
        struct qvr_xtrack *t = &x->t[i];
        t->stream = -1;
        t->cur_ts = t->skip_ts = t->gprev = t->ginterval = -1;
    }
}

void qvr_xloop_free(struct qvr_xloop *x)
{
    for (int i = 0; i < QVR_XMEDIA; i++) {
        free(x->t[i].gaps);
        x->t[i].gaps = NULL;
        x->t[i].ngaps = x->t[i].capgaps = 0;
    }
}

int qvr_xloop_add_gap(struct qvr_xloop *x, int media, int64_t from, int64_t to)
{
    struct qvr_xtrack *t = &x->t[media];
    if (t->ngaps == t->capgaps) {
        size_t cap = t->capgaps ? 2 * t->capgaps : 16;
        struct qvr_xgap *g = realloc(t->gaps, cap * sizeof *g);
        if (!g)
            return -1;
        t->gaps = g;
        t->capgaps = cap;
    }
    t->gaps[t->ngaps].from = from;
    t->gaps[t->ngaps].to = to;
    t->ngaps++;
    return 0;
}

void qvr_xloop_arm_skip(struct qvr_xloop *x)
{
    for (int i = 0; i < QVR_XMEDIA; i++) {
        x->t[i].skip_ts = x->t[i].cur_ts;
        x->t[i].skip_n = x->t[i].cur_n;
    }
}

static enum qvr_xstatus fail(struct qvr_xloop *x, const char *name, const char *msg)
{
    snprintf(x->err_name, sizeof x->err_name, "%s", name);
    snprintf(x->err, sizeof x->err, "%s", msg);
    return QVR_X_ERROR;
}

/* Whether the frame repeats one taken already (and counts it off). */
static int repeated(struct qvr_xtrack *t, int64_t ts)
{
    if (t->skip_ts < 0 || ts > t->skip_ts)
        return 0;
    if (ts < t->skip_ts)
        return 1;
    if (t->skip_n > 0) {
        t->skip_n--;
        return 1;
    }
    return 0;
}

static int track_gap(struct qvr_xloop *x, int media, int64_t ts)
{
    struct qvr_xtrack *t = &x->t[media];
    int rc = 0;
    if (t->gprev >= 0) {
        int64_t dt = ts - t->gprev;
        if (t->ginterval >= 0 && dt > 2 * t->ginterval)
            rc = qvr_xloop_add_gap(x, media, t->gprev, ts);
        else if (dt > 0)
            t->ginterval = dt;
    }
    t->gprev = ts;
    return rc;
}

enum qvr_xstatus qvr_xloop_frame(struct qvr_xloop *x, const struct qvr_frame *f)
{
    int64_t ts = (int64_t)f->timestamp;
    int media = f->media == QVR_MEDIA_VIDEO ? QVR_XVIDEO :
                f->media == QVR_MEDIA_AUDIO ? QVR_XAUDIO : -1;
    struct qvr_xtrack *t;
    int64_t tag[QVR_MUX_TAG];
    char msg[200];
    if (ts > x->to)
        return QVR_X_END;
    if (media < 0 || ts < x->floor)
        return QVR_X_DROPPED;
    t = &x->t[media];
    if (repeated(t, ts))
        return QVR_X_DROPPED;
    if (ts == t->cur_ts)
        t->cur_n++;
    else {
        t->cur_ts = ts;
        t->cur_n = 1;
    }
    x->taken++;
    if (track_gap(x, media, ts) != 0)
        return fail(x, "NO_MEMORY", "out of memory for the gap list");
    if (t->stream < 0) {
        if (t->skipped)
            return QVR_X_DROPPED;
        snprintf(msg, sizeof msg, "a %s stream (%s) appeared after the export started at %lld ms",
                 media == QVR_XVIDEO ? "video" : "audio", qvr_codec_name(f->codec), (long long)ts);
        return fail(x, "STREAM_CHANGED", msg);
    }
    if (f->codec != t->codec) {
        snprintf(msg, sizeof msg, "the camera's %s codec changed from %s to %s at %lld ms",
                 media == QVR_XVIDEO ? "video" : "audio", qvr_codec_name(t->codec),
                 qvr_codec_name(f->codec), (long long)ts);
        return fail(x, "STREAM_CHANGED", msg);
    }
    tag[QVR_XTAG_TS] = ts;
    tag[QVR_XTAG_N] = t->cur_n;
    tag[QVR_XTAG_GAPS] = (int64_t)t->ngaps;
    tag[QVR_XTAG_INTERVAL] = t->ginterval;
    if (qvr_mux_write_tagged(x->m, t->stream, f->data, f->len, ts, f->key, tag) != 0)
        return fail(x, "MUX_ERROR", qvr_mux_error(x->m));
    t->written++;
    if (x->first_ts < 0)
        x->first_ts = ts;
    x->last_ts = ts;
    return QVR_X_WRITTEN;
}
