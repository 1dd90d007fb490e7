/*
 * qplay.c - qplay.cgi: open, the control commands and get.
 *
 * Answers are text lines: "v1\nCODE\n[SESSION\n]" as real servers send
 * them (the qplay_doc_layout quirk drops the version line: the SDK
 * document's layout).  A new session plays (speed 10 = real time, time
 * control on, playclose on) from start_time; `get` streams from the
 * session's position up to end_time inclusive or the end of the recording,
 * then ends the response (and closes the session when playclose is on).
 * The position carries over to the next `get`.  Faults: get_frames ends a
 * `get` cleanly after N frames, get_cut ends it abruptly after N body bytes
 * (the cut frame goes back to the session, sent whole by the next `get`),
 * get_wait waits before the code line (at the end: an empty `get`).
 */
#include "qplay.h"
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

/* ---- table (lock held) ---- */

static void remove_at(struct sim *s, size_t i)
{
    free(s->qplay.v[i]);
    s->qplay.v[i] = s->qplay.v[--s->qplay.n];
}

static void remove_session(struct sim *s, struct qplay_session *q)
{
    for (size_t i = 0; i < s->qplay.n; i++)
        if (s->qplay.v[i] == q) {
            remove_at(s, i);
            return;
        }
}

/* Closes q: freed now, or when its last get stream ends. */
static void close_session(struct sim *s, struct qplay_session *q)
{
    if (q->gets > 0)
        q->closing = true;
    else
        remove_session(s, q);
}

void qplay_sweep(struct sim *s, int64_t now)
{
    int64_t idle = (int64_t)s->opt.qplay_idle * 1000;
    for (size_t i = s->qplay.n; i-- > 0;) {
        struct qplay_session *q = s->qplay.v[i];
        if (!q->closing && now - q->last_cmd_ms >= idle) {
            s->stats.qplay_expired_total++;
            q->closing = true;
        }
        if (q->closing && q->gets == 0)
            remove_at(s, i);
    }
}

size_t qplay_open_count(const struct sim *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->qplay.n; i++)
        n += !s->qplay.v[i]->closing;
    return n;
}

void qplay_free_all(struct sim *s)
{
    for (size_t i = 0; i < s->qplay.n; i++)
        free(s->qplay.v[i]);
    free(s->qplay.v);
    memset(&s->qplay, 0, sizeof s->qplay);
}

static size_t user_sessions(const struct sim *s, int user)
{
    size_t n = 0;
    for (size_t i = 0; i < s->qplay.n; i++)
        n += s->qplay.v[i]->user == user && !s->qplay.v[i]->closing;
    return n;
}

static struct qplay_session *find_session(struct sim *s, const char *id)
{
    for (size_t i = 0; i < s->qplay.n; i++)
        if (!strcmp(s->qplay.v[i]->id, id))
            return s->qplay.v[i];
    return NULL;
}

static int add_session(struct sim *s, struct qplay_session *q)
{
    if (s->qplay.n == s->qplay.cap) {
        size_t cap = s->qplay.cap ? s->qplay.cap * 2 : 16;
        struct qplay_session **v = realloc(s->qplay.v, cap * sizeof *v);
        if (!v)
            return -1;
        s->qplay.v = v;
        s->qplay.cap = cap;
    }
    do {
        if (random_string(q->id, QPLAY_ID_LEN, "0123456789ABCDEF") != 0)
            return -1;
    } while (find_session(s, q->id));
    s->qplay.v[s->qplay.n++] = q;
    return 0;
}

/* ---- open ---- */

struct open_args {
    const struct camera *cam;
    int64_t start, end;
    bool has_end;
    int data_type;
};

static bool stream_value_ok(int64_t v)
{
    return (v >= 0 && v <= 3) || v == 16 || v == 255;
}

/* Optional integer parameter restricted to [lo, hi]; false when bad. */
static bool opt_range(const struct req *r, const char *name, int64_t lo, int64_t hi,
                      int64_t *out)
{
    int rc = req_int(r, name, out);
    return rc == 0 || (rc == 1 && *out >= lo && *out <= hi);
}

static uint32_t parse_open(struct req *r, struct open_args *a)
{
    const char *ch = req_param(r, "ch_sid");
    if (!ch || !*ch)
        return E_QP_NO_CHANNEL;
    a->cam = config_camera_by_guid(&r->sim->cfg, ch);
    if (!a->cam)
        return E_QP_OPEN;
    int rc = req_int(r, "end_time", &a->end);
    if (req_int(r, "start_time", &a->start) != 1 || rc < 0 || a->start < 0)
        return E_QP_NO_TIME;
    a->has_end = rc == 1;
    if (a->has_end && a->end < a->start)
        return E_QP_OPEN;
    int64_t v, dt = 0, rt = 0;
    int s1 = req_int(r, "stream_id", &v), s2 = req_int(r, "stream", &v);
    if ((s1 == 0 && s2 == 0) || !opt_range(r, "stream_id", 0, 255, &v) ||
        (s1 == 1 && !stream_value_ok(v)) || !opt_range(r, "stream", 0, 255, &v) ||
        (s2 == 1 && !stream_value_ok(v)))
        return E_QP_OPEN;
    if (!opt_range(r, "query_type", 0, 0, &v) || !opt_range(r, "recording_type", 0, 2, &rt) ||
        !opt_range(r, "data_type", 0, 1, &dt) || !opt_range(r, "alarm_stream_id", 0, 255, &v) ||
        !opt_range(r, "alarm_stream", 0, 255, &v))
        return E_QP_OPEN;
    a->data_type = (int)dt;
    return rt == 1 ? E_QP_NO_FILE : 0; /* no alarm recordings here */
}

/* The archive flags of a data type: data_type=0 plays a dump's JPEG records
 * when it has some, else the video key frames (sent as the snapshot). */
static unsigned type_flags(const struct camera *cam, int data_type)
{
    if (data_type == 1)
        return 0;
    return cam->dump && cam->dump->njpeg ? ARC_JPEG : ARC_KEYONLY;
}

/* What must exist for open and seek to succeed: a JPEG record of a dump
 * that has them (data_type=0), else any source frame. */
static unsigned exist_flags(const struct camera *cam, int data_type)
{
    return type_flags(cam, data_type) == ARC_JPEG ? ARC_JPEG : ARC_AUDIO;
}

static struct qplay_session *session_new(struct sim *s, const struct open_args *a, int user,
                                         int64_t now)
{
    struct qplay_session *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    int64_t begin = arc_begin(s, a->cam);
    q->user = user;
    q->cam = a->cam->index;
    q->data_type = a->data_type;
    q->lo = a->start > begin ? a->start : begin;
    q->hi = a->has_end ? a->end : INT64_MAX;
    q->pos_key = arc_key_at(s, a->cam, q->lo);
    q->back_key = q->pos_key;
    q->last_video_key = -1;
    q->speed = 10;
    q->dir = 1;
    q->timecontrol = q->playclose = true;
    q->last_cmd_ms = now;
    return q;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static enum MHD_Result cmd_open(struct req *r)
{
    switch (auth_check(r, true)) {
    case AUTH_BAD_SID: return answer_qplay(r, E_QP_AUTH, NULL);
    case AUTH_NO_PERMISSION: return answer_qplay(r, E_NO_PERMISSION, NULL);
    default: break;
    }
    struct open_args a;
    uint32_t code = parse_open(r, &a);
    if (code)
        return answer_qplay(r, code, NULL);
    struct sim *s = r->sim;
    int64_t now = now_ms();
    struct arc_frame f;
    int64_t lo = a.start > arc_begin(s, a.cam) ? a.start : arc_begin(s, a.cam);
    int64_t hi = min64(a.has_end ? a.end : INT64_MAX, arc_end(s, a.cam, now));
    if (!arc_next(s, a.cam, arc_key_at(s, a.cam, lo), hi, exist_flags(a.cam, a.data_type),
                  &f))
        return answer_qplay(r, E_QP_NO_FILE, NULL);
    char id[QPLAY_ID_LEN + 1] = "";
    pthread_mutex_lock(&s->lock);
    struct qplay_session *q = NULL;
    if (user_sessions(s, r->user) >= (size_t)s->opt.max_qplay)
        code = E_QP_FULL;
    else if (!(q = session_new(s, &a, r->user, now)) || add_session(s, q) != 0)
        code = E_QP_NOMEM;
    if (code)
        free(q);
    else {
        s->stats.qplay_opened_total++;
        memcpy(id, q->id, sizeof id);
    }
    pthread_mutex_unlock(&s->lock);
    return answer_qplay(r, code, code ? NULL : id);
}

/* ---- control ---- */

struct ctl {
    struct req *r;
    struct qplay_session *q;   /* lock held while a command runs */
    int64_t now;
};

static uint32_t enable_arg(const struct req *r, bool *out)
{
    int64_t v;
    int rc = req_int(r, "enable", &v);
    if (rc == 0)
        return E_QP_NO_ENABLE;
    if (rc < 0 || (v != 0 && v != 1))
        return E_QP_CONTROL;
    *out = v == 1;
    return 0;
}

static uint32_t speed_arg(const struct req *r, int *out, bool required)
{
    int64_t v;
    int rc = req_int(r, "speed", &v);
    if (rc == 0)
        return required ? E_QP_NO_SPEED : 0;
    if (rc < 0 || v < 1 || v > 160)
        return E_QP_CONTROL;
    *out = (int)v;
    return 0;
}

static uint32_t do_seek(struct ctl *c)
{
    struct sim *s = c->r->sim;
    struct qplay_session *q = c->q;
    int64_t t;
    if (req_int(c->r, "seek_time", &t) != 1)
        return E_QP_NO_SEEK;
    const struct camera *cam = &s->cfg.cameras[q->cam];
    struct arc_frame f;
    int64_t key = arc_key_at(s, cam, t);
    if (t < arc_begin(s, cam) || t > arc_end(s, cam, c->now) ||
        !arc_next(s, cam, key, min64(q->hi, arc_end(s, cam, c->now)),
                  exist_flags(cam, q->data_type), &f))
        return E_QP_NO_FILE;
    q->pos_key = key;
    q->back_key = key;
    q->last_video_key = -1;
    return 0;
}

static uint32_t do_prev_frame(struct ctl *c)
{
    struct sim *s = c->r->sim;
    struct qplay_session *q = c->q;
    const struct camera *cam = &s->cfg.cameras[q->cam];
    int64_t before = q->last_video_key >= 0 ? q->last_video_key : q->pos_key;
    struct arc_frame f;
    if (!arc_prev_video(s, cam, before, arc_begin(s, cam), type_flags(cam, q->data_type), &f))
        return E_QP_NO_FILE;
    q->pos_key = f.order;
    q->paused = true;
    q->steps = 1;
    q->dir = 1;
    return 0;
}

static uint32_t run_command(struct ctl *c, const char *cmd)
{
    struct qplay_session *q = c->q;
    bool flag;
    uint32_t code = 0;
    if (!strcmp(cmd, "close")) {
        c->r->sim->stats.qplay_closed_total++;
        close_session(c->r->sim, q);
        return 0;
    }
    if (!strcmp(cmd, "live"))
        return 0;
    if (!strcmp(cmd, "play") || !strcmp(cmd, "ff")) {
        if ((code = speed_arg(c->r, &q->speed, false)) == 0) {
            q->paused = false;
            q->dir = 1;
            q->steps = 0;
        }
    } else if (!strcmp(cmd, "rew")) {
        if ((code = speed_arg(c->r, &q->speed, false)) == 0) {
            q->paused = false;
            q->dir = -1;
            q->steps = 0;
            q->back_key = q->last_video_key >= 0 ? q->last_video_key : q->pos_key;
        }
    } else if (!strcmp(cmd, "pause")) {
        q->paused = true;
    } else if (!strcmp(cmd, "seek")) {
        code = do_seek(c);
    } else if (!strcmp(cmd, "speed")) {
        code = speed_arg(c->r, &q->speed, true);
    } else if (!strcmp(cmd, "next_frame")) {
        if (!q->paused || q->dir < 0)
            q->steps = 0;
        q->paused = true;
        q->steps++;
        q->dir = 1;
    } else if (!strcmp(cmd, "prev_frame")) {
        code = do_prev_frame(c);
    } else if (!strcmp(cmd, "all_frame") || !strcmp(cmd, "skip_frame")) {
        q->skip = cmd[0] == 's';
    } else if (!strcmp(cmd, "timecontrol") || !strcmp(cmd, "playclose")) {
        if ((code = enable_arg(c->r, &flag)) == 0) {
            if (cmd[0] == 't')
                q->timecontrol = flag;
            else
                q->playclose = flag;
        }
    } else {
        return E_QP_CMD;
    }
    if (code == 0)
        q->epoch++;
    return code;
}

static bool known_command(const char *cmd)
{
    static const char *const cmds[] = {"close", "play", "pause", "live", "seek", "ff", "rew",
                                       "speed", "prev_frame", "next_frame", "all_frame",
                                       "skip_frame", "timecontrol", "playclose", "get"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i]))
            return true;
    return false;
}

/* Lock held: the session named by the request, or NULL with *code set. */
static struct qplay_session *session_of(struct req *r, uint32_t *code)
{
    const char *id = req_param(r, "session");
    struct qplay_session *q;
    if (!id || !*id)
        *code = E_QP_NO_SESSION;
    else if (strlen(id) > QPLAY_ID_LEN)
        *code = E_QP_SESSION_LONG;
    else if (!(q = find_session(r->sim, id)))
        *code = E_QP_NOT_FOUND;
    else if (q->closing)
        *code = E_QP_CLOSING;
    else
        return q;
    return NULL;
}

static enum MHD_Result cmd_control(struct req *r, const char *cmd)
{
    struct sim *s = r->sim;
    uint32_t code = 0;
    pthread_mutex_lock(&s->lock);
    struct ctl c = {r, session_of(r, &code), now_ms()};
    if (c.q) {
        c.q->last_cmd_ms = c.now;
        code = run_command(&c, cmd);
    }
    pthread_mutex_unlock(&s->lock);
    return answer_qplay(r, code, NULL);
}

/* ---- get ---- */

struct qget {
    struct sim *sim;
    struct qplay_session *q;    /* kept alive by q->gets */
    const struct camera *cam;
    struct buf head;
    bool head_sent;
    bool pace;                  /* --no-pace turns pacing off */
    enum audio_layout layout;
    enum frame_damage damage;
    unsigned epoch;
    bool anchored;
    int64_t anchor_wall, anchor_media;
    /* faults get_frames, get_cut, get_wait (0: off) */
    int64_t max_frames, cut_at, wait_ms;
    int64_t frames;             /* frames this get sent */
    uint64_t produced;          /* body bytes this get produced */
    bool cut;                   /* get_cut struck: the connection ends */
};

/* Where a session was before a frame was taken: get_cut puts it back when
 * that frame is cut, so the next get sends it whole. */
struct qpos {
    int64_t pos_key, back_key, last_video_key;
    int steps;
};

enum step_kind { STEP_END, STEP_WAIT, STEP_FRAME };

/* Lock held: picks the next frame of the session (no state change). */
static bool pick_frame(struct sim *s, const struct qplay_session *q, const struct camera *cam,
                       int64_t now, struct arc_frame *f)
{
    int64_t hi = min64(q->hi, arc_end(s, cam, now));
    unsigned flags = type_flags(cam, q->data_type);
    if (q->dir < 0 && q->steps == 0)
        return arc_prev_video(s, cam, q->back_key, q->lo,
                              flags | (q->data_type ? ARC_KEYONLY : 0), f);
    if (q->data_type == 1 && q->skip)
        flags |= ARC_KEYONLY;
    else if (q->data_type == 1 && q->steps == 0)
        flags |= ARC_AUDIO;
    return arc_next(s, cam, q->pos_key, hi, flags, f);
}

/* Lock held: milliseconds to wait before f is due (0: now). */
static int64_t pacing_wait(struct qget *g, const struct qplay_session *q,
                           const struct arc_frame *f, int64_t now)
{
    if (!g->pace || !q->timecontrol || q->steps > 0)
        return 0;
    if (!g->anchored) {
        g->anchored = true;
        g->anchor_wall = now;
        g->anchor_media = f->ts;
    }
    int64_t media = q->dir < 0 ? g->anchor_media - f->ts : f->ts - g->anchor_media;
    int64_t due = g->anchor_wall + media * 10 / q->speed;
    return due > now ? due - now : 0;
}

static void advance(struct qplay_session *q, const struct arc_frame *f, struct qpos *before)
{
    *before = (struct qpos){q->pos_key, q->back_key, q->last_video_key, q->steps};
    if (q->dir < 0 && q->steps == 0)
        q->back_key = f->order;
    q->pos_key = f->order + 1;
    if (!f->audio)
        q->last_video_key = f->order;
    if (q->steps > 0)
        q->steps--;
}

/* Lock held: decides what the get stream does next; a frame taken moves the
 * session on (before: where it was). */
static enum step_kind next_step(struct qget *g, struct arc_frame *f, int64_t *wait,
                                struct qpos *before)
{
    struct sim *s = g->sim;
    struct qplay_session *q = g->q;
    int64_t now = now_ms();
    qplay_sweep(s, now);
    if (q->closing)
        return STEP_END;
    if (q->epoch != g->epoch) {
        g->epoch = q->epoch;
        g->anchored = false;
    }
    *wait = 100;
    if (q->paused && q->steps == 0)
        return STEP_WAIT;
    if (!pick_frame(s, q, g->cam, now, f)) {
        if (q->steps > 0) {
            q->steps = 0;
            return STEP_WAIT;
        }
        if (q->playclose) {
            s->stats.qplay_closed_total++;
            q->closing = true;
        }
        return STEP_END;
    }
    if ((*wait = pacing_wait(g, q, f, now)) > 0)
        return STEP_WAIT;
    advance(q, f, before);
    return STEP_FRAME;
}

/* get_cut: out (all this fill produced) stops at the cut; a frame that does
 * not fit whole is not sent (the session goes back to before it).  Returns
 * what the fill returns. */
static int apply_cut(struct qget *g, struct buf *out, const struct qpos *before)
{
    if (!g->cut_at || g->produced + out->len <= (uint64_t)g->cut_at) {
        g->produced += out->len;
        return 1;
    }
    out->len = (size_t)((uint64_t)g->cut_at - g->produced);
    g->produced += out->len;
    g->cut = true;
    if (before) {
        pthread_mutex_lock(&g->sim->lock);
        struct qplay_session *q = g->q;
        if (q->epoch == g->epoch && !q->closing) {
            q->pos_key = before->pos_key;
            q->back_key = before->back_key;
            q->last_video_key = before->last_video_key;
            q->steps = before->steps;
        }
        pthread_mutex_unlock(&g->sim->lock);
    }
    return out->len > 0 ? 1 : -1;
}

/* The code line, after get_wait's wait. */
static int qget_head(struct body *b, struct qget *g, struct buf *out)
{
    if (g->wait_ms > 0 && body_wait_until(b, now_ms() + g->wait_ms) != 0)
        return -1;
    g->head_sent = true;
    if (buf_add(out, g->head.p, g->head.len) != 0)
        return -1;
    return apply_cut(g, out, NULL);
}

static int qget_fill(struct body *b, struct buf *out)
{
    struct qget *g = b->state;
    if (g->cut)
        return -1;
    if (!g->head_sent)
        return qget_head(b, g, out);
    if (g->max_frames && g->frames >= g->max_frames)
        return 0;
    for (;;) {
        struct arc_frame f;
        struct qpos before;
        int64_t wait;
        pthread_mutex_lock(&g->sim->lock);
        enum step_kind k = next_step(g, &f, &wait, &before);
        int data_type = g->q->data_type;
        pthread_mutex_unlock(&g->sim->lock);
        if (k == STEP_END)
            return 0;
        if (k == STEP_WAIT) {
            if (body_wait_until(b, now_ms() + (wait > 100 ? 100 : wait)) != 0)
                return -1;
            continue;
        }
        int rc;
        if (f.rec && (data_type == 1 || f.rec->type == QVR_DUMP_JPEG))
            rc = frame_record(out, f.rec, -1, g->damage, &b->rng);
        else if (data_type == 0)
            rc = frame_jpeg_record(out, g->cam, f.ts, &g->sim->media.snap[g->cam->snapshot]);
        else
            rc = frame_encode(out, g->cam, &f, g->layout, g->damage, &b->rng);
        g->damage = DAMAGE_NONE;
        if (rc != 0)
            return -1;
        g->frames++;
        return apply_cut(g, out, &before);
    }
}

static void qget_free(void *state)
{
    struct qget *g = state;
    struct sim *s = g->sim;
    pthread_mutex_lock(&s->lock);
    g->q->gets--;
    s->stats.qplay_gets_open--;
    qplay_sweep(s, now_ms());
    pthread_mutex_unlock(&s->lock);
    buf_free(&g->head);
    free(g);
}

static struct qget *qget_new(struct req *r, struct qplay_session *q)
{
    struct qget *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->sim = r->sim;
    g->q = q;
    g->cam = &r->sim->cfg.cameras[q->cam];
    g->pace = !r->sim->opt.no_pace;
    g->layout = r->sw.audio_layout;
    g->epoch = q->epoch;
    if (fault_hits(&r->sw.get_frames, r->path))
        g->max_frames = r->sw.get_frames.value;
    if (fault_hits(&r->sw.get_cut, r->path))
        g->cut_at = r->sw.get_cut.value;
    if (fault_hits(&r->sw.get_wait, r->path))
        g->wait_ms = r->sw.get_wait.value;
    if (fault_hits(&r->sw.garbage, r->path))
        g->damage = DAMAGE_GARBAGE;
    else if (fault_hits(&r->sw.bigsize, r->path))
        g->damage = DAMAGE_BIGSIZE;
    if (qplay_version_first(&r->sw))
        buf_printf(&g->head, "%s\n", r->sw.qplay_version);
    buf_adds(&g->head, "0\n");
    return g;
}

static enum MHD_Result cmd_get(struct req *r)
{
    struct sim *s = r->sim;
    uint32_t code = 0;
    struct qget *g = NULL;
    pthread_mutex_lock(&s->lock);
    struct qplay_session *q = session_of(r, &code);
    if (q && !(g = qget_new(r, q)))
        code = E_QP_NOMEM;
    if (g) {
        q->last_cmd_ms = now_ms();
        q->gets++;
        s->stats.qplay_gets_open++;
    }
    pthread_mutex_unlock(&s->lock);
    if (!g)
        return answer_qplay(r, code, NULL);
    return http_reply_stream(r, "application/octet-stream", qget_fill, g, qget_free);
}

enum MHD_Result handle_qplay(struct req *r)
{
    const char *ver = req_param(r, "ver");
    const char *cmd = req_param(r, "cmd");
    if (!ver || strcmp(ver, "v1") || !cmd)
        return answer_qplay(r, E_QP_CMD, NULL);
    if (!strcmp(cmd, "open"))
        return cmd_open(r);
    if (!strcmp(cmd, "get"))
        return cmd_get(r);
    if (!known_command(cmd))
        return answer_qplay(r, E_QP_CMD, NULL);
    return cmd_control(r, cmd);
}
