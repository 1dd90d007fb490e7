/*
 * debug.c - endpoints outside the SDK: /qvrentry (discovery, as real
 * servers answer it; QVR Elite's is_qvp is "no") and the unauthenticated test hooks /sim/frames,
 * /sim/stats and /sim/control.
 */
#include "answer.h"
#include "archive.h"
#include "auth.h"
#include "handlers.h"
#include "http.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEBUG_FRAMES 500000

enum MHD_Result handle_qvrentry(struct req *r)
{
    cJSON *o = cJSON_CreateObject();
    /* QVR Elite (prefix /qvrelite) is not QVR Pro */
    cJSON_AddStringToObject(o, "is_qvp", strcmp(r->sim->opt.prefix, "/qvrelite") ? "yes" : "no");
    cJSON_AddStringToObject(o, "fw_web_ui_prefix", r->sim->opt.prefix + 1);
    return answer_json_plain(r, 200, o);
}

static enum MHD_Result debug_error(struct req *r, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    return answer_json_plain(r, 400, o);
}

/* Frames of the archive with from <= ts <= to, straight from the fixtures
 * (not through the wire encoder), in stream order; a dump camera's source
 * records from the first with ts >= from to the last before one with
 * ts > to. */
enum MHD_Result handle_sim_frames(struct req *r)
{
    struct sim *s = r->sim;
    const struct camera *c = config_camera_by_guid(&s->cfg, req_param(r, "guid"));
    int64_t from, to, audio = 1;
    if (!c)
        return debug_error(r, "guid: unknown or missing");
    if (req_int(r, "from", &from) != 1 || req_int(r, "to", &to) != 1 || from < 0 || to < from)
        return debug_error(r, "from and to: integers (ms), from <= to");
    int rc = req_int(r, "audio", &audio);
    if (rc < 0 || (rc == 1 && audio != 0 && audio != 1))
        return debug_error(r, "audio: 0 or 1");
    int64_t hi = arc_end(s, c, now_ms());
    hi = to < hi ? to : hi;
    from = from > arc_begin(s, c) ? from : arc_begin(s, c);
    struct buf b = {0};
    buf_adds(&b, "[");
    struct arc_frame f;
    size_t n = 0;
    for (int64_t key = arc_key_at(s, c, from);
         arc_next(s, c, key, hi, audio ? ARC_AUDIO : 0, &f); key = f.order + 1) {
        if (++n > MAX_DEBUG_FRAMES) {
            buf_free(&b);
            return debug_error(r, "range too large");
        }
        const char *fourcc = f.rec ? f.rec->fourcc : f.audio ? c->audio_fourcc : c->video_fourcc;
        uint32_t len = f.rec ? f.rec->len : f.cf->len;
        uint32_t crc = f.rec ? crc32_calc(f.rec->data, f.rec->len) : f.cf->crc;
        char fc[8 * 4 + 1]; /* a dump's fourcc may hold any byte: escaped */
        size_t k = 0;
        for (const char *p = fourcc; *p && k + 6 < sizeof fc; p++)
            k += (size_t)snprintf(fc + k, sizeof fc - k,
                                  (unsigned char)*p < 0x20 || *p == '"' || *p == '\\' ||
                                          (unsigned char)*p >= 0x7F
                                      ? "\\u%04x" : "%c",
                                  (unsigned char)*p);
        buf_printf(&b, "%s{\"ts\":%lld,\"media\":\"%s\",\"fourcc\":\"%s\",\"key\":%s,"
                   "\"size\":%u,\"crc32\":%u}", n > 1 ? "," : "", (long long)f.ts,
                   f.audio ? "audio" : "video", fc, f.key ? "true" : "false", len, crc);
    }
    buf_adds(&b, "]");
    enum MHD_Result res = http_reply(r, 200, "Content-Type", "application/json", b.p, b.len);
    buf_free(&b);
    return res;
}

static cJSON *stats_json(struct sim *s)
{
    cJSON *o = cJSON_CreateObject();
    const struct stats *st = &s->stats;
    cJSON_AddNumberToObject(o, "logins_ok", (double)st->logins_ok);
    cJSON_AddNumberToObject(o, "logins_failed", (double)st->logins_failed);
    cJSON *by = cJSON_AddObjectToObject(o, "logins_by_user");
    for (size_t i = 0; i < s->cfg.nusers; i++)
        cJSON_AddNumberToObject(by, s->cfg.users[i].name, (double)st->logins_by_user[i]);
    cJSON *req = cJSON_AddObjectToObject(o, "requests");
    for (int i = 0; i < EP_COUNT; i++)
        cJSON_AddNumberToObject(req, endpoint_names[i], (double)st->requests[i]);
    cJSON_AddNumberToObject(o, "requests_total", (double)st->requests_total);
    cJSON_AddNumberToObject(o, "qplay_open", (double)qplay_open_count(s));
    cJSON_AddNumberToObject(o, "qplay_opened_total", (double)st->qplay_opened_total);
    cJSON_AddNumberToObject(o, "qplay_closed_total", (double)st->qplay_closed_total);
    cJSON_AddNumberToObject(o, "qplay_expired_total", (double)st->qplay_expired_total);
    cJSON_AddNumberToObject(o, "qplay_gets_open", (double)st->qplay_gets_open);
    cJSON_AddNumberToObject(o, "live_streams_open", (double)st->live_streams_open);
    cJSON_AddNumberToObject(o, "sids_valid", (double)s->sids.n);
    cJSON_AddNumberToObject(o, "archive_start", (double)s->archive_start_ms);
    cJSON_AddNumberToObject(o, "started", (double)s->t0_ms);
    return o;
}

enum MHD_Result handle_sim_stats(struct req *r)
{
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    int64_t now = now_ms();
    auth_sweep(s, now);
    qplay_sweep(s, now);
    cJSON *o = stats_json(s);
    pthread_mutex_unlock(&s->lock);
    return answer_json_plain(r, 200, o);
}

/* Applies clear=, quirk=, fault= to a copy; commits only when all parse. */
static int apply_control(struct req *r, struct switches *sw, bool *expire, char *err,
                         size_t errlen)
{
    const char *v = req_param(r, "clear");
    if (v && (!strcmp(v, "1") || !strcmp(v, "all"))) {
        switches_clear_quirks(sw);
        switches_clear_faults(sw);
    } else if (v && !strcmp(v, "quirks")) {
        switches_clear_quirks(sw);
    } else if (v && !strcmp(v, "faults")) {
        switches_clear_faults(sw);
    }
    size_t i = 0;
    while ((v = req_param_next(r, "quirk", &i)))
        if (quirk_apply(sw, v, err, errlen) != 0)
            return -1;
    i = 0;
    while ((v = req_param_next(r, "fault", &i)))
        if (fault_apply(sw, v, expire, err, errlen) != 0)
            return -1;
    v = req_param(r, "expire_sids");
    if (v && !strcmp(v, "1"))
        *expire = true;
    return 0;
}

enum MHD_Result handle_sim_control(struct req *r)
{
    struct sim *s = r->sim;
    char err[160];
    bool expire = false;
    pthread_mutex_lock(&s->lock);
    struct switches sw = s->sw;
    int rc = apply_control(r, &sw, &expire, err, sizeof err);
    if (rc == 0) {
        s->sw = sw;
        if (expire)
            auth_expire_all(s);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc != 0)
        return debug_error(r, err);
    cJSON *o = switches_json(&sw);
    cJSON_AddBoolToObject(o, "expired_sids", expire);
    return answer_json_plain(r, 200, o);
}
