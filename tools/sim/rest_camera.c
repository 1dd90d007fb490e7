/*
 * rest_camera.c - the REST camera calls: camera/list, capability, support,
 * search, test, snapshot, mrec, alarm, PTZ and recordingfile (docs/REST.md).
 */
#include "archive.h"
#include "auth.h"
#include "camrec.h"
#include "clip.h"
#include "http.h"
#include "logs.h"
#include "rest.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *status_name(const struct camera *c)
{
    switch (c->status) {
    case CAM_CONNECTED: return "NVR_CAM_CONNECTED";
    case CAM_DISCONNECTED: return "NVR_CAM_DISCONNECTED";
    case CAM_IDLE: return "NVR_CAM_CONNECT_IDLE";
    default: return "NVR_CAM_UNDEFINED";
    }
}

/* "H264", "MJPEG": the REST list writes the codec without the dot. */
static void codec_name(const struct camera *c, char *out, size_t n)
{
    const char *src = c->dump ? dump_codec_setting(c->dump) : video_kinds[c->video].codec_setting;
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 1 < n; i++)
        if (src[i] != '.')
            out[j++] = src[i];
    out[j] = '\0';
}

static void resolution(const struct camera *c, char *out, size_t n)
{
    const struct video_info *vi = &video_kinds[c->video];
    snprintf(out, n, "%ux%u", c->dump ? c->dump->width : vi->width,
             c->dump ? c->dump->height : vi->height);
}

static double bit_rate(const struct sim *s, const struct camera *c)
{
    if (c->dump)
        return (double)(int64_t)c->dump->bit_rate;
    const struct clip *v = &s->media.video[c->video];
    return (double)(int64_t)((double)v->total_payload * 8.0 * c->fps / (double)v->n);
}

static void add_settings(cJSON *o, const struct camera *c)
{
    char text[64];
    codec_name(c, text, sizeof text);
    cJSON_AddStringToObject(o, "video_codec_setting", text);
    resolution(c, text, sizeof text);
    cJSON_AddStringToObject(o, "video_resolution_setting", text);
    snprintf(text, sizeof text, "%d", camera_fps(c));
    cJSON_AddStringToObject(o, "frame_rate_setting", text);
    cJSON_AddStringToObject(o, "video_quality_setting", "Quality 1");
}

/* stream_state: one live stream while connected, [] otherwise. */
static void add_stream_state(cJSON *o, struct sim *s, const struct camera *c, bool rec)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "stream_state");
    if (c->status != CAM_CONNECTED)
        return;
    cJSON *st = cJSON_CreateObject();
    cJSON_AddNumberToObject(st, "stream", 0);
    cJSON_AddNumberToObject(st, "enable_normal_recording", 1);
    cJSON_AddNumberToObject(st, "enable_alarm_recording", 0);
    add_settings(st, c);
    cJSON_AddStringToObject(st, "status", status_name(c));
    cJSON_AddStringToObject(st, "rec_state", rec ? "RECORDING" : c->rec_state);
    cJSON_AddNumberToObject(st, "rec_state_err_code", 0);
    cJSON_AddNumberToObject(st, "frame_rate", camera_fps(c));
    cJSON_AddNumberToObject(st, "bit_rate", bit_rate(s, c));
    cJSON_AddItemToArray(arr, st);
}

static cJSON *camera_json(struct sim *s, const struct camera *c)
{
    bool up = c->status == CAM_CONNECTED, rec = camera_recording(s, c);
    char text[16];
    cJSON *o = cJSON_CreateObject();
    camera_fields(o, c);
    add_settings(o, c);
    add_stream_state(o, s, c, rec);
    cJSON_AddStringToObject(o, "status", status_name(c));
    cJSON_AddStringToObject(o, "rec_state", rec ? "RECORDING" : c->rec_state);
    cJSON_AddNumberToObject(o, "rec_state_err_code", 0);
    snprintf(text, sizeof text, "%d", up ? camera_fps(c) : -1);
    cJSON_AddStringToObject(o, "frame_rate", text);
    cJSON_AddNumberToObject(o, "bit_rate", up ? bit_rate(s, c) : -1);
    return o;
}

enum MHD_Result rest_camera_list(struct req *r)
{
    enum MHD_Result rc;
    if (rest_refused(r, &rc))
        return rc;
    struct sim *s = r->sim;
    const char *guid = req_param(r, "guid");
    if (guid && *guid && !rest_camera(r, guid))
        return rest_error(r, E_REST_PARAM, "Invalid parameters or missing parameters");
    cJSON *root = cJSON_CreateObject();
    cJSON *datas = cJSON_AddArrayToObject(root, "datas");
    int n = 0;
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        const struct camera *c = &s->cfg.cameras[i];
        if (guid && *guid && c != rest_camera(r, guid))
            continue;
        cJSON_AddItemToArray(datas, camera_json(s, c));
        n++;
    }
    cJSON_AddStringToObject(root, "success", "true");
    cJSON_AddNumberToObject(root, "total_channel_num", n);
    return rest_json(r, 200, root, false);
}

/* {name, guids: []} */
static cJSON *named(const char *name, bool with_index, int index)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    if (with_index)
        cJSON_AddNumberToObject(o, "index", index);
    cJSON_AddArrayToObject(o, "guids");
    return o;
}

static void add_alarm_outputs(cJSON *root, const struct sim *s)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "alarm_output");
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        const struct camera *c = &s->cfg.cameras[i];
        if (!c->alarm_output)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", "Alarm Output");
        cJSON_AddStringToObject(o, "guid", c->guid);
        cJSON_AddNumberToObject(o, "support_method", 0);
        cJSON *types = cJSON_AddArrayToObject(o, "output_type");
        cJSON *t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "index", 0);
        cJSON_AddNumberToObject(t, "type", 1);
        cJSON_AddItemToArray(types, t);
        cJSON_AddItemToArray(arr, o);
    }
}

static void add_camera_control(cJSON *root, const struct sim *s)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "cameraControl");
    cJSON *o = cJSON_CreateObject();
    cJSON *guids = cJSON_AddArrayToObject(o, "guids");
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "guid", s->cfg.cameras[i].guid);
        cJSON_AddBoolToObject(g, "support_preset_points", s->cfg.cameras[i].ptz);
        cJSON_AddItemToArray(guids, g);
    }
    cJSON_AddItemToArray(arr, o);
}

static const char *const iva[][2] = {
    {"iva_crossline_manual", "Cross Line"},
    {"iva_audio_detected_manual", "Audio Detection"},
    {"iva_tampering_detected_manual", "Tampering Detection"},
    {"iva_intrusion_detected", "Intrusion Detection"},
    {"iva_intrusion_detected_manual", "Intrusion Detection Manual"},
    {"iva_digital_autotrack_manual", "Digital Autotracking"},
};

/* No `success` key (as recorded); cameraControl only for the camera act. */
enum MHD_Result rest_capability(struct req *r)
{
    enum MHD_Result rc;
    if (rest_refused(r, &rc))
        return rc;
    const char *act = req_param(r, "act");
    bool cam = act && !strcmp(act, "get_camera_capability");
    if (!cam && !(act && !strcmp(act, "get_event_capability")))
        return rest_error(r, E_REST_PARAM, "Invalid parameters or missing parameters");
    const struct sim *s = r->sim;
    cJSON *root = cJSON_CreateObject();
    cJSON *motion = cJSON_AddArrayToObject(root, "camera_motion");
    cJSON *m = named("Motion Detection", true, 0);
    for (size_t i = 0; i < s->cfg.ncameras; i++)
        if (s->cfg.cameras[i].status == CAM_CONNECTED)
            cJSON_AddItemToArray(cJSON_GetObjectItem(m, "guids"),
                                 cJSON_CreateString(s->cfg.cameras[i].guid));
    cJSON_AddItemToArray(motion, m);
    cJSON_AddArrayToObject(root, "motion_manual");
    cJSON *inputs = cJSON_AddArrayToObject(root, "alarm_input");
    for (int i = 0; i < 8; i++)
        cJSON_AddItemToArray(inputs, named("Alarm Input", true, i));
    cJSON_AddArrayToObject(root, "alarm_input_manual");
    cJSON_AddItemToObject(root, "alarm_pir", named("PIR Detection", false, 0));
    cJSON_AddArrayToObject(root, "alarm_pir_manual");
    add_alarm_outputs(root, s);
    for (size_t i = 0; i < sizeof iva / sizeof iva[0]; i++)
        cJSON_AddItemToObject(root, iva[i][0], named(iva[i][1], false, 0));
    if (cam)
        add_camera_control(root, s);
    return rest_json(r, 200, root, true);
}

/* The root {"success": true} of an answer, or NULL when the request is
 * refused (answered, *rc set). */
static cJSON *success_root(struct req *r, enum MHD_Result *rc)
{
    if (rest_refused(r, rc))
        return NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddTrueToObject(root, "success");
    return root;
}

/* The brands and models of the configured cameras, UMSIDs as configured. */
enum MHD_Result rest_support(struct req *r)
{
    enum MHD_Result rc;
    cJSON *root = success_root(r, &rc);
    if (!root)
        return rc;
    const struct sim *s = r->sim;
    cJSON *brands = cJSON_AddArrayToObject(root, "brands");
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        const struct camera *c = &s->cfg.cameras[i];
        cJSON *b = NULL;
        for (cJSON *e = brands->child; e && !b; e = e->next)
            if (!strcmp(cJSON_GetObjectItem(e, "text")->valuestring, c->brand))
                b = e;
        if (!b) {
            b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "text", c->brand);
            cJSON_AddNumberToObject(b, "value", cJSON_GetArraySize(brands));
            cJSON_AddArrayToObject(b, "models");
            cJSON_AddItemToArray(brands, b);
        }
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "text", c->model);
        cJSON_AddStringToObject(m, "value", c->umsid);
        cJSON_AddItemToArray(cJSON_GetObjectItem(b, "models"), m);
    }
    return rest_json(r, 200, root, true);
}

/* The configured cameras, as if found on the LAN. */
enum MHD_Result rest_search(struct req *r)
{
    enum MHD_Result rc;
    cJSON *root = success_root(r, &rc);
    if (!root)
        return rc;
    const struct sim *s = r->sim;
    cJSON *data = cJSON_AddArrayToObject(root, "data");
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        const struct camera *c = &s->cfg.cameras[i];
        cJSON *o = cJSON_CreateObject();
        char mac[18];
        copy_str(mac, sizeof mac, c->mac);
        for (char *p = mac; *p; p++)
            *p = (char)((*p >= 'A' && *p <= 'F') ? *p - 'A' + 'a' : *p);
        cJSON_AddStringToObject(o, "umsid", c->umsid);
        cJSON_AddStringToObject(o, "address", c->ip);
        cJSON_AddStringToObject(o, "vender", c->brand);
        cJSON_AddStringToObject(o, "model", c->model);
        cJSON_AddStringToObject(o, "mac_addr", mac);
        cJSON_AddNumberToObject(o, "port", atoi(c->port));
        cJSON_AddItemToArray(data, o);
    }
    cJSON_AddNumberToObject(root, "counter", (double)s->cfg.ncameras);
    return rest_json(r, 200, root, true);
}

/* A configured camera (address and UMSID) connects when it is connected in
 * the config; an unknown address fails to connect (0xB1000009); a known
 * address with another UMSID is a model mismatch (0xB100000D). */
enum MHD_Result rest_test(struct req *r)
{
    enum MHD_Result rc;
    if (rest_refused(r, &rc))
        return rc;
    static const char *const need[] = {"ipcam_umsid", "ipcam_address", "ipcam_port",
                                       "ipcam_username", "ipcam_password", "ipcam_rtsp_port"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!req_param(r, need[i]))
            return rest_error(r, E_REST_PARAM, "Invalid parameters or missing parameters");
    const struct sim *s = r->sim;
    const char *addr = req_param(r, "ipcam_address"), *umsid = req_param(r, "ipcam_umsid");
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        const struct camera *c = &s->cfg.cameras[i];
        if (strcmp(c->ip, addr))
            continue;
        if (strcasecmp(c->umsid, umsid))
            return rest_error(r, 0xB100000Du, "Model mismatch");
        if (c->status != CAM_CONNECTED)
            return rest_error(r, 0xB1000009u, "Connection failed");
        return rest_json_text(r, 200, "{\n\"success\":true\n}\n");
    }
    return rest_error(r, 0xB1000009u, "Connection failed");
}

/* image_ts: a UTC ms integer; anything else is ignored (docs/REST.md). */
enum MHD_Result rest_snapshot(struct req *r, const char *guid)
{
    enum MHD_Result rc;
    if (rest_refused(r, &rc))
        return rc;
    const struct camera *c = rest_camera(r, guid);
    if (!c)
        return rest_error(r, E_REST_PARAM, "Invalid parameters or missing parameters");
    int64_t ts;
    /* image_ts came with API 1.2.0: an older NVR serves the live picture */
    if (req_int(r, "image_ts", &ts) == 1 && !c->dump && r->sim->opt.api_version >= 10200) {
        struct buf jpeg = {0};
        enum clip_result cr = clip_jpeg_at(r->sim, c, ts, &jpeg);
        if (cr == CLIP_OK)
            rc = http_reply(r, 200, "Content-Type", "image/jpeg", jpeg.p, jpeg.len);
        else if (cr == CLIP_NO_DATA)
            rc = rest_error(r, E_REST_SNAPSHOT, "Failed to get a snapshot");
        else
            rc = rest_error(r, E_REST_NOMEM, "Failed to allocate memory");
        buf_free(&jpeg);
        return rc;
    }
    if (c->status != CAM_CONNECTED)
        return rest_error(r, E_REST_SNAPSHOT, "Failed to get a snapshot");
    if (c->dump && c->dump->njpeg) {
        int64_t elapsed = now_ms() - r->sim->t0_ms;
        const struct dump_rec *jr = dump_jpeg_at(c->dump, (elapsed > 0 ? elapsed : 0) %
                                                              c->dump->period);
        if (jr)
            return http_reply(r, 200, "Content-Type", "image/jpeg", jr->data, jr->len);
    }
    const struct clip_frame *j = &r->sim->media.snap[c->snapshot].frames[0];
    return http_reply(r, 200, "Content-Type", "image/jpeg", j->data, j->len);
}

static const char mrec_ok[] = "{\n\"success\":true\n}\n";

enum MHD_Result rest_mrec(struct req *r, const char *guid, const char *action)
{
    enum MHD_Result rc;
    if (rest_refused(r, &rc))
        return rc;
    const struct camera *c = rest_camera(r, guid);
    bool start = !strcmp(action, "start");
    if (!c || (!start && strcmp(action, "stop")))
        return rest_error(r, E_REST_PARAM, "Invalid parameters or missing parameters");
    if (c->status != CAM_CONNECTED)
        return rest_error(r, E_REST_REQUEST, "Invalid request");
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    s->manual_rec[c->index] = start;
    logs_append(s, 2, 0, c->index, s->cfg.users[r->user].name, r->ip,
                start ? "Manual recording started" : "Manual recording stopped");
    pthread_mutex_unlock(&s->lock);
    return rest_json_text(r, 200, mrec_ok);
}

enum MHD_Result rest_alarm(struct req *r, const char *guid, const char *action)
{
    enum MHD_Result rc;
    if (rest_refused(r, &rc))
        return rc;
    const struct camera *c = rest_camera(r, guid);
    bool start = !strcmp(action, "start");
    if (!c || (!start && strcmp(action, "stop")))
        return rest_error(r, E_REST_PARAM, "Invalid parameters or missing parameters");
    if (!c->alarm_output || c->status != CAM_CONNECTED)
        return rest_error(r, E_REST_ALARM, "Failed to send output cmd");
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    s->rest.alarm_on[c->index] = start;
    logs_append(s, 2, 0, c->index, s->cfg.users[r->user].name, r->ip,
                start ? "Alarm output started" : "Alarm output stopped");
    pthread_mutex_unlock(&s->lock);
    return rest_json_text(r, 200, mrec_ok);
}

static const char *const ptz_words[] = {
    "up", "down", "left", "right", "up_left", "up_right", "down_left", "down_right",
    "zoom_in", "zoom_out", "focus_far", "focus_near",
};

static bool ptz_word(const char *w)
{
    for (size_t i = 0; w && i < sizeof ptz_words / sizeof ptz_words[0]; i++)
        if (!strcmp(w, ptz_words[i]))
            return true;
    return false;
}

static enum MHD_Result ptz_answer(struct req *r, const char *code, const char *message)
{
    char text[128];
    snprintf(text, sizeof text, "{\"error_code\": \"%s\", \"error_message\": \"%s\"}\n", code,
             message);
    return rest_json_text(r, 200, text);
}

/* The PTZ family: hex-string error_code, no `success`, always HTTP 200. */
enum MHD_Result rest_ptz(struct req *r, const char *guid, const char *action)
{
    struct sim *s = r->sim;
    const char *sid = req_param(r, "sid");
    r->user = auth_user_of_sid(s, sid ? sid : req_param(r, "qsauth_token"));
    if (r->user < 0 || !s->cfg.users[r->user].surveillance)
        return ptz_answer(r, "0x96020004", "Auth Fail");
    const struct camera *c = rest_camera(r, guid);
    bool move = !strcmp(action, "start_move") || !strcmp(action, "stop_move");
    const char *dir = req_param(r, "direction");
    if (!c || (move ? !ptz_word(dir) : !ptz_word(action)))
        return ptz_answer(r, "0x96020001", "Invalid parameters or missing parameters");
    if (!c->ptz || c->status != CAM_CONNECTED)
        return ptz_answer(r, "0x96020003", "Operation failed");
    char what[96];
    snprintf(what, sizeof what, "PTZ %s%s%s", action, move ? " " : "", move ? dir : "");
    pthread_mutex_lock(&s->lock);
    logs_append(s, 2, 0, c->index, s->cfg.users[r->user].name, r->ip, what);
    pthread_mutex_unlock(&s->lock);
    return ptz_answer(r, "0x0", "Success");
}

/* time/pre_period/post_period (window 2..60 s) or start_time/end_time
 * (since API 1.2.0). */
static bool rec_range(const struct req *r, int64_t *from, int64_t *to)
{
    int64_t t, pre, post;
    if (req_int(r, "time", &t) == 1 && req_int(r, "pre_period", &pre) == 1 &&
        req_int(r, "post_period", &post) == 1) {
        *from = t - pre;
        *to = t + post;
        return pre >= 0 && post >= 0 && pre + post >= 2000 && pre + post <= 60000;
    }
    if (req_int(r, "start_time", from) == 1 && req_int(r, "end_time", to) == 1)
        return *to > *from && r->sim->opt.api_version >= 10200;
    return false;
}

/* Only the first recording file of a long range, as real servers do. */
enum MHD_Result rest_recordingfile(struct req *r, const char *guid, const char *stream)
{
    enum MHD_Result rc;
    if (rest_refused(r, &rc))
        return rc;
    const struct camera *c = rest_camera(r, guid);
    int64_t from, to, first, end;
    if (!c || (strcmp(stream, "0") && strcmp(stream, "1")) || !rec_range(r, &from, &to))
        return rest_error(r, E_REST_PARAM, "Invalid parameters or missing parameters");
    struct buf mp4 = {0};
    enum clip_result cr = clip_mp4(r->sim, c, from, to, &mp4, &first, &end);
    if (cr == CLIP_OK)
        rc = http_reply(r, 200, "Content-Type", "video/mp4", mp4.p, mp4.len);
    else if (cr == CLIP_NO_DATA)
        rc = rest_error(r, E_REST_REQUEST, "Invalid request");
    else
        rc = rest_error(r, E_REST_NOMEM, "Failed to allocate memory");
    buf_free(&mp4);
    return rc;
}
