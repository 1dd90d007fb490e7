/*
 * archive.c - frames of the deterministic timeline.
 */
#include "archive.h"
#include "qvr_dump.h"
#include "sim.h"

static int64_t ceil_to(int64_t t, int64_t step)
{
    int64_t q = t / step;
    if (q * step < t)
        q++;
    return q * step;
}

static int64_t floor_to(int64_t t, int64_t step)
{
    int64_t q = t / step;
    if (q * step > t)
        q--;
    return q * step;
}

int64_t arc_begin(const struct sim *s, const struct camera *c)
{
    return c->dump ? c->dump->t_min : s->archive_start_ms;
}

int64_t arc_end(const struct sim *s, const struct camera *c, int64_t now)
{
    if (c->dump)
        return c->dump->t_max;
    return c->status == CAM_CONNECTED ? now : s->t0_ms;
}

int64_t arc_key_at(const struct sim *s, const struct camera *c, int64_t ts)
{
    (void)s;
    return c->dump ? (int64_t)dump_seek(c->dump, ts) : arc_key(ts < 0 ? 0 : ts, false);
}

bool arc_in_gap(const struct sim *s, const struct camera *c, int64_t ts, int64_t *gap_end)
{
    if (c->dump)
        return false;
    for (size_t i = 0; i < c->ngaps; i++) {
        int64_t from = s->archive_start_ms + c->gaps[i].from_ms;
        if (ts >= from && ts < from + c->gaps[i].len_ms) {
            *gap_end = from + c->gaps[i].len_ms;
            return true;
        }
    }
    return false;
}

static void describe(const struct sim *s, const struct camera *c, int64_t ts, bool audio,
                     struct arc_frame *out)
{
    const struct clip *clip = audio ? &s->media.audio[c->audio] : &s->media.video[c->video];
    int64_t k = ts / (audio ? c->audio_ms : c->video_ms);
    out->ts = ts;
    out->order = arc_key(ts, audio);
    out->audio = audio;
    out->cf = &clip->frames[(size_t)(k % (int64_t)clip->n)];
    out->key = out->cf->key;
    out->rec = NULL;
}

static void describe_rec(const struct dump *d, size_t i, struct arc_frame *out)
{
    const struct dump_rec *r = &d->rec[i];
    out->ts = r->ts;
    out->order = (int64_t)i;
    out->audio = r->audio;
    out->key = r->key;
    out->cf = NULL;
    out->rec = r;
}

/* A dump record the flags select: a JPEG record with ARC_JPEG, else a
 * source record (audio only with ARC_AUDIO, video key frames only with
 * ARC_KEYONLY). */
static bool rec_selected(const struct dump_rec *r, unsigned flags)
{
    if (flags & ARC_JPEG)
        return r->type == QVR_DUMP_JPEG;
    if (r->type != QVR_DUMP_SOURCE)
        return false;
    if (r->audio)
        return (flags & ARC_AUDIO) && !(flags & ARC_KEYONLY);
    return r->key || !(flags & ARC_KEYONLY);
}

static bool dump_next(const struct dump *d, int64_t from_key, int64_t hi, unsigned flags,
                      struct arc_frame *out)
{
    for (size_t i = from_key < 0 ? 0 : (size_t)from_key; i < d->n; i++) {
        if (!rec_selected(&d->rec[i], flags))
            continue;
        if (d->rec[i].ts > hi)
            return false;
        describe_rec(d, i, out);
        return true;
    }
    return false;
}

static bool dump_prev(const struct dump *d, int64_t before_key, int64_t lo, unsigned flags,
                      struct arc_frame *out)
{
    flags &= ~(unsigned)ARC_AUDIO;
    size_t i = before_key < 0 ? 0 : before_key > (int64_t)d->n ? d->n : (size_t)before_key;
    while (i-- > 0) {
        if (!rec_selected(&d->rec[i], flags))
            continue;
        if (d->rec[i].ts < lo)
            return false;
        describe_rec(d, i, out);
        return true;
    }
    return false;
}

/* Next frame by order key, ignoring gaps and bounds. */
static void next_any(const struct camera *c, int64_t from_key, bool with_audio, int64_t *ts,
                     bool *audio)
{
    int64_t t = from_key >> 1; /* from_key >= 0 */
    int64_t vt = ceil_to(t, c->video_ms);
    if (vt == t && (from_key & 1))
        vt += c->video_ms;
    *ts = vt;
    *audio = false;
    if (with_audio && c->audio_ms > 0) {
        int64_t at = ceil_to(t, c->audio_ms);
        if (at < vt) {
            *ts = at;
            *audio = true;
        }
    }
}

/* Steps a video timestamp to the next key frame (at most one clip length). */
static bool skip_to_key(const struct sim *s, const struct camera *c, int64_t *ts)
{
    const struct clip *clip = &s->media.video[c->video];
    for (size_t i = 0; i <= clip->n; i++) {
        if (clip->frames[(size_t)((*ts / c->video_ms) % (int64_t)clip->n)].key)
            return true;
        *ts += c->video_ms;
    }
    return false;
}

bool arc_next(const struct sim *s, const struct camera *c, int64_t from_key, int64_t hi,
              unsigned flags, struct arc_frame *out)
{
    if (c->dump)
        return dump_next(c->dump, from_key, hi, flags, out);
    bool keyonly = flags & ARC_KEYONLY;
    bool with_audio = (flags & ARC_AUDIO) && !keyonly && c->audio != AUDIO_NONE;
    if (from_key < 0)
        from_key = 0;
    for (int guard = 0; guard < 1000000; guard++) {
        int64_t ts, gap_end;
        bool audio;
        next_any(c, from_key, with_audio, &ts, &audio);
        if (keyonly && !skip_to_key(s, c, &ts))
            return false;
        if (ts > hi)
            return false;
        if (!(flags & ARC_LIVE) && arc_in_gap(s, c, ts, &gap_end)) {
            from_key = arc_key(gap_end, false);
            continue;
        }
        describe(s, c, ts, audio, out);
        return true;
    }
    return false;
}

bool arc_prev_video(const struct sim *s, const struct camera *c, int64_t before_key, int64_t lo,
                    unsigned flags, struct arc_frame *out)
{
    if (c->dump)
        return dump_prev(c->dump, before_key, lo, flags, out);
    /* video frames with 2 * ts < before_key: ts < ceil(before_key / 2) */
    int64_t before = (before_key + 1) >> 1;
    int64_t ts = floor_to(before - 1, c->video_ms);
    const struct clip *clip = &s->media.video[c->video];
    for (size_t guard = 0; guard < 1000000; guard++) {
        if (ts < lo || ts < 0)
            return false;
        int64_t gap_end;
        if (!(flags & ARC_LIVE) && arc_in_gap(s, c, ts, &gap_end)) {
            int64_t gap_start = gap_end;
            for (size_t i = 0; i < c->ngaps; i++)
                if (s->archive_start_ms + c->gaps[i].from_ms + c->gaps[i].len_ms == gap_end)
                    gap_start = s->archive_start_ms + c->gaps[i].from_ms;
            ts = floor_to(gap_start - 1, c->video_ms);
            continue;
        }
        if ((flags & ARC_KEYONLY) &&
            !clip->frames[(size_t)((ts / c->video_ms) % (int64_t)clip->n)].key) {
            ts -= c->video_ms;
            continue;
        }
        describe(s, c, ts, false, out);
        return true;
    }
    return false;
}
