/*
 * camera.c - camera_status.cgi (list, cpu, rec_status), getliveimage.cgi
 * and mrec.cgi (SDK sections 2.1 to 2.3).
 *
 * Errors are the 0x950000xx family (0x95000000 bad sid, 0x95000003 bad or
 * missing parameter), 0x9607000x for snapshots and manual recording, and
 * 0xB1000002 for a user without surveillance permission.
 */
#include "answer.h"
#include "archive.h"
#include "auth.h"
#include "camrec.h"
#include "handlers.h"
#include "http.h"
#include "logs.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const status_names[] = {"NVR_CAM_CONNECTED", "NVR_CAM_CONNECTING",
                                           "NVR_CAM_CONNECT_IDLE", "NVR_CAM_UNDEFINED"};

/* Answers the auth failure (if any) in the camera family; true when done. */
static bool cam_refused(struct req *r, unsigned status, enum MHD_Result *rc)
{
    switch (auth_check(r, true)) {
    case AUTH_BAD_SID:
        *rc = answer_error_status(r, status, E_CAM_AUTH, "authorization fail");
        return true;
    case AUTH_NO_PERMISSION:
        *rc = answer_error_status(r, status, E_NO_PERMISSION, "Insufficient permissions");
        return true;
    default:
        return false;
    }
}

static enum MHD_Result bad_param(struct req *r, unsigned status)
{
    return answer_error_status(r, status, E_CAM_PARAM, "illegal parameter or missing of parameter");
}

static double bit_rate(const struct sim *s, const struct camera *c)
{
    if (c->dump)
        return (double)(int64_t)c->dump->bit_rate;
    const struct clip *v = &s->media.video[c->video];
    double bps = (double)v->total_payload * 8.0 * c->fps / (double)v->n;
    if (c->audio != AUDIO_NONE) {
        const struct clip *a = &s->media.audio[c->audio];
        bps += (double)a->total_payload * 8.0 * (1000.0 / (double)c->audio_ms) / (double)a->n;
    }
    return (double)(int64_t)bps;
}

static void add_settings(cJSON *o, const struct sim *s, const struct camera *c)
{
    char text[64];
    const struct video_info *vi = &video_kinds[c->video];
    const struct dump *d = c->dump;
    cJSON_AddStringToObject(o, "video_codec_setting", d ? dump_codec_setting(d) : vi->codec_setting);
    snprintf(text, sizeof text, "%ux%u", d ? d->width : vi->width, d ? d->height : vi->height);
    cJSON_AddStringToObject(o, "video_resolution_setting", text);
    snprintf(text, sizeof text, "%d", camera_fps(c));
    cJSON_AddStringToObject(o, "frame_rate_setting", text);
    snprintf(text, sizeof text, "%dK bps", (int)(bit_rate(s, c) / 1000));
    cJSON_AddStringToObject(o, "video_quality_setting", text);
    cJSON_AddNumberToObject(o, "data_retention_enabled", 0);
    cJSON_AddNumberToObject(o, "keep_data_minimum", 3);
    cJSON_AddStringToObject(o, "protocol", "http");
    cJSON_AddArrayToObject(o, "stream_state");
}

static void add_state(cJSON *o, struct sim *s, const struct camera *c, bool rec_days)
{
    bool up = c->status == CAM_CONNECTED;
    char fps[16];
    snprintf(fps, sizeof fps, "%d", up ? camera_fps(c) : -1);
    cJSON_AddStringToObject(o, "status", status_names[c->status]);
    cJSON_AddStringToObject(o, "rec_state", camera_recording(s, c) ? "RECORDING" : c->rec_state);
    cJSON_AddNumberToObject(o, "rec_state_err_code", 0);
    cJSON_AddStringToObject(o, "frame_rate", fps);
    cJSON_AddNumberToObject(o, "bit_rate", up ? bit_rate(s, c) : 0);
    double hours = c->dump ? (double)c->dump->period / 3600000.0 : s->opt.archive_hours;
    cJSON_AddNumberToObject(o, "normal_rec_size", (double)(int64_t)(bit_rate(s, c) / 8 * hours * 3600 / 1e6));
    cJSON_AddNumberToObject(o, "alarm_rec_size", 0);
    int days = (int)((hours + 23.999) / 24);
    cJSON_AddNumberToObject(o, "normal_rec_days", rec_days ? days : 0);
    cJSON_AddNumberToObject(o, "alarm_rec_days", 0);
    cJSON_AddArrayToObject(o, "virtual_cams");
}

static cJSON *camera_json(struct sim *s, const struct camera *c, bool rec_days)
{
    cJSON *o = cJSON_CreateObject();
    camera_fields(o, c);
    add_settings(o, s, c);
    add_state(o, s, c, rec_days);
    return o;
}

struct list_filter {
    const char *brand, *model, *name;
    int status;           /* 0 any, 1 connected, 2 not connected */
    bool rec_days;
};

static const char *blank_null(const char *v)
{
    return v && *v ? v : NULL;
}

/* 0 ok, -1 bad parameter. */
static int parse_filter(const struct req *r, struct list_filter *f)
{
    memset(f, 0, sizeof *f);
    f->brand = blank_null(req_param(r, "brand"));
    f->model = blank_null(req_param(r, "model"));
    f->name = blank_null(req_param(r, "name"));
    if ((f->brand && strlen(f->brand) != 8) || (f->model && strlen(f->model) != 8))
        return -1;
    int64_t v;
    int rc = req_int(r, "status", &v);
    if (rc < 0 || (rc == 1 && v != 1 && v != 2))
        return -1;
    f->status = rc == 1 ? (int)v : 0;
    rc = req_int(r, "get_rec_days", &v);
    if (rc < 0 || (rc == 1 && v != 0 && v != 1))
        return -1;
    f->rec_days = rc == 1 && v == 1;
    return 0;
}

static bool camera_matches(const struct camera *c, const struct list_filter *f)
{
    if (f->brand && strncasecmp(c->umsid, f->brand, 8))
        return false;
    if (f->model && strncasecmp(c->umsid + 8, f->model, 8))
        return false;
    if (f->status == 1 && c->status != CAM_CONNECTED)
        return false;
    if (f->status == 2 && c->status == CAM_CONNECTED)
        return false;
    return !f->name || contains_nocase(c->name, f->name);
}

static enum MHD_Result act_list(struct req *r)
{
    struct list_filter f;
    if (parse_filter(r, &f) != 0)
        return bad_param(r, 200);
    struct sim *s = r->sim;
    cJSON *root = cJSON_CreateObject();
    cJSON *datas = cJSON_AddArrayToObject(root, "datas");
    for (size_t i = 0; i < s->cfg.ncameras; i++)
        if (camera_matches(&s->cfg.cameras[i], &f))
            cJSON_AddItemToArray(datas, camera_json(s, &s->cfg.cameras[i], f.rec_days));
    cJSON_AddTrueToObject(root, "success");
    cJSON_AddStringToObject(root, "channel_mode", "none");
    cJSON_AddNumberToObject(root, "total_channel_num", 128);
    cJSON_AddStringToObject(root, "file_system", "EXT4");
    return answer_json(r, root);
}

static enum MHD_Result act_cpu(struct req *r)
{
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    uint64_t n = s->stats.requests_total;
    pthread_mutex_unlock(&s->lock);
    return answer_success_int(r, "data", (long long)(3 + hash64((uint64_t)now_ms() / 1000 + n) % 45));
}

/* stream_id is optional (the SDK's own example omits it) but must be 0..3. */
static bool stream_id_ok(const struct req *r)
{
    int64_t v;
    int rc = req_int(r, "stream_id", &v);
    return rc == 0 || (rc == 1 && v >= 0 && v <= 3);
}

static enum MHD_Result act_rec_status(struct req *r)
{
    const struct camera *c = config_camera_by_guid(&r->sim->cfg, req_param(r, "guid"));
    if (!c || !stream_id_ok(r))
        return bad_param(r, 200);
    return answer_success_int(r, "rec_status", camera_recording(r->sim, c) ? 1 : 0);
}

enum MHD_Result handle_camera_status(struct req *r)
{
    enum MHD_Result rc;
    if (cam_refused(r, 200, &rc))
        return rc;
    const char *act = req_param(r, "act");
    if (act && !strcmp(act, "list"))
        return act_list(r);
    if (act && !strcmp(act, "cpu"))
        return act_cpu(r);
    if (act && !strcmp(act, "rec_status"))
        return act_rec_status(r);
    return bad_param(r, 200);
}

enum MHD_Result handle_liveimage(struct req *r)
{
    unsigned status = r->sw.snapshot_error_4xx ? (unsigned)r->sw.snapshot_status : 200;
    enum MHD_Result rc;
    if (cam_refused(r, status, &rc))
        return rc;
    const struct camera *c = config_camera_by_guid(&r->sim->cfg, req_param(r, "guid"));
    const char *origin = req_param(r, "origin");
    if (!c || !stream_id_ok(r) || (origin && strcmp(origin, "0") && strcmp(origin, "1")))
        return bad_param(r, status);
    if (c->status != CAM_CONNECTED)
        return answer_error_status(r, status, E_SNAP_TIMEOUT, "timeout");
    if (fault_hits(&r->sw.transcode_busy, r->path))
        return answer_error_status(r, status, E_SNAP_BUSY, "transcode busy");
    const struct dump_rec *jr = NULL;
    if (c->dump && c->dump->njpeg) { /* the dump's JPEG where its live loop is now */
        int64_t elapsed = now_ms() - r->sim->t0_ms;
        jr = dump_jpeg_at(c->dump, (elapsed > 0 ? elapsed : 0) % c->dump->period);
    }
    if (jr)
        return http_reply(r, 200, "Content-type", "image/jpeg", jr->data, jr->len);
    const struct clip_frame *j = &r->sim->media.snap[c->snapshot].frames[0];
    return http_reply(r, 200, "Content-type", "image/jpeg", j->data, j->len);
}

enum MHD_Result handle_mrec(struct req *r)
{
    enum MHD_Result rc;
    if (cam_refused(r, 200, &rc))
        return rc;
    struct sim *s = r->sim;
    int64_t ch, act;
    if (req_int(r, "ch", &ch) != 1 || ch < 0 || ch >= (int64_t)s->cfg.ncameras ||
        req_int(r, "act", &act) != 1 || (act != 0 && act != 1))
        return bad_param(r, 200);
    const struct camera *c = &s->cfg.cameras[ch];
    if (c->status != CAM_CONNECTED)
        return answer_error(r, E_SNAP_INTERNAL, "internal error");
    pthread_mutex_lock(&s->lock);
    s->manual_rec[ch] = act == 1;
    logs_append(s, 2, 0, (int)ch, s->cfg.users[r->user].name, r->ip,
                act ? "Manual recording started" : "Manual recording stopped");
    pthread_mutex_unlock(&s->lock);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddTrueToObject(root, "success");
    return answer_json(r, root);
}
