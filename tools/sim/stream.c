/*
 * stream.c - getstream.cgi, the live stream (SDK section 4.1).
 *
 * Body: "0\n" (after the getstream_leading_line quirk's line, if on), then
 * frames back to back for as long as the client reads, starting with the
 * first frame at or after the current time.  A dump camera loops over its
 * source records since startup, each re-stamped to the wall clock with the
 * recorded spacing (only the header's timestamp field changes).  Paced so a frame leaves when
 * the wall clock reaches its timestamp, unless --no-pace.  Errors are one
 * line with the negative code (0x93000005 bad sid, 0x93000000 bad
 * arguments, 0x93000003 camera not connected, 0xB1000002 no permission,
 * 0x93000002 more than --max-live streams of the user, 0x93000001 under
 * the ddos fault).
 */
#include "answer.h"
#include "archive.h"
#include "auth.h"
#include "frame.h"
#include "handlers.h"
#include "http.h"
#include "qvr_dump.h"
#include "sim.h"

#include <stdlib.h>
#include <string.h>

struct live {
    struct sim *sim;
    const struct camera *cam;
    int user;                   /* counted in sim->live_by_user */
    int64_t next_key;
    unsigned flags;
    size_t idx;                 /* a dump: the next record */
    int64_t base;               /* a dump: wall time of its first instant in this loop */
    bool pace;
    enum audio_layout layout;
    enum frame_damage damage;   /* applied to the first frame only */
    struct buf head;            /* leading line + "0\n" */
    bool head_sent;
};

/* A dump's source records in a loop, each stamped base + (ts - t_min). */
static int live_fill_dump(struct body *b, struct live *l, struct buf *out)
{
    const struct dump *d = l->cam->dump;
    for (size_t guard = 0; guard <= d->n; guard++) {
        if (l->idx >= d->n) {
            l->idx = 0;
            l->base += d->period;
        }
        const struct dump_rec *r = &d->rec[l->idx++];
        if (r->type != QVR_DUMP_SOURCE || (r->audio && !(l->flags & ARC_AUDIO)))
            continue;
        int64_t stamp = l->base + (r->ts - d->t_min);
        if (l->pace && body_wait_until(b, stamp) != 0)
            return -1;
        if (frame_record(out, r, stamp, l->damage, &b->rng) != 0)
            return -1;
        l->damage = DAMAGE_NONE;
        return 1;
    }
    return 0;
}

static int live_fill(struct body *b, struct buf *out)
{
    struct live *l = b->state;
    if (!l->head_sent) {
        l->head_sent = true;
        return buf_add(out, l->head.p, l->head.len) == 0 ? 1 : -1;
    }
    if (l->cam->dump)
        return live_fill_dump(b, l, out);
    struct arc_frame f;
    if (!arc_next(l->sim, l->cam, l->next_key, INT64_MAX, l->flags, &f))
        return 0;
    if (l->pace && body_wait_until(b, f.ts) != 0)
        return -1;
    if (frame_encode(out, l->cam, &f, l->layout, l->damage, &b->rng) != 0)
        return -1;
    l->damage = DAMAGE_NONE;
    l->next_key = arc_key(f.ts, f.audio) + 1;
    return 1;
}

static void live_free(void *state)
{
    struct live *l = state;
    pthread_mutex_lock(&l->sim->lock);
    l->sim->stats.live_streams_open--;
    l->sim->live_by_user[l->user]--;
    pthread_mutex_unlock(&l->sim->lock);
    buf_free(&l->head);
    free(l);
}

static bool flag_ok(const struct req *r, const char *name, bool *value)
{
    int64_t v;
    int rc = req_int(r, name, &v);
    if (rc == 1 && (v == 0 || v == 1))
        *value = v == 1;
    return rc == 0 || (rc == 1 && (v == 0 || v == 1));
}

/* The camera asked for, or NULL with *code set. */
static const struct camera *parse_args(struct req *r, bool *audio, uint32_t *code)
{
    int64_t stream_id;
    bool utc = false;
    *audio = true;
    *code = E_GS_ARGS;
    const struct camera *c = config_camera_by_guid(&r->sim->cfg, req_param(r, "ch_sid"));
    if (!c || req_int(r, "stream_id", &stream_id) != 1 || stream_id < 0 || stream_id > 3 ||
        !flag_ok(r, "audio", audio) || !flag_ok(r, "utc", &utc))
        return NULL;
    if (c->status != CAM_CONNECTED ||
        (c->dump && (*audio ? c->dump->nsource : c->dump->nvideo) == 0)) {
        *code = E_GS_NOT_READY;
        return NULL;
    }
    return c;
}

static struct live *live_new(struct req *r, const struct camera *c, bool audio)
{
    struct live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->sim = r->sim;
    l->cam = c;
    l->user = r->user;
    l->flags = ARC_LIVE | (audio ? ARC_AUDIO : 0);
    int64_t now = now_ms();
    l->next_key = arc_key(now, false);
    if (c->dump) { /* the loop runs since startup: join it where it is now */
        const struct dump *d = c->dump;
        int64_t elapsed = now > r->sim->t0_ms ? now - r->sim->t0_ms : 0;
        int64_t k = elapsed / d->period;
        l->base = r->sim->t0_ms + k * d->period;
        l->idx = dump_loop_seek(d, elapsed - k * d->period);
    }
    l->pace = !r->sim->opt.no_pace;
    l->layout = r->sw.audio_layout;
    if (fault_hits(&r->sw.garbage, r->path))
        l->damage = DAMAGE_GARBAGE;
    else if (fault_hits(&r->sw.bigsize, r->path))
        l->damage = DAMAGE_BIGSIZE;
    if (r->sw.getstream_leading_line)
        buf_printf(&l->head, "%s\n", r->sw.leading_line[0] ? r->sw.leading_line : "\r");
    buf_adds(&l->head, "0\n");
    return l;
}

enum MHD_Result handle_getstream(struct req *r)
{
    switch (auth_check(r, true)) {
    case AUTH_BAD_SID: return answer_stream_code(r, E_GS_AUTH);
    case AUTH_NO_PERMISSION: return answer_stream_code(r, E_NO_PERMISSION);
    default: break;
    }
    if (fault_hits(&r->sw.ddos, r->path))
        return answer_stream_code(r, E_GS_REJECT);
    bool audio;
    uint32_t code;
    const struct camera *c = parse_args(r, &audio, &code);
    if (!c)
        return answer_stream_code(r, code);
    struct live *l = live_new(r, c, audio);
    if (!l)
        return answer_stream_code(r, E_GS_OPEN);
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    bool full = s->opt.max_live > 0 && s->live_by_user[r->user] >= s->opt.max_live;
    if (!full) {
        s->stats.live_streams_open++;
        s->live_by_user[r->user]++;
    }
    pthread_mutex_unlock(&s->lock);
    if (full) {
        buf_free(&l->head);
        free(l);
        return answer_stream_code(r, E_GS_MAXCONN);
    }
    return http_reply_stream(r, "application/octet-stream", live_fill, l, live_free);
}
