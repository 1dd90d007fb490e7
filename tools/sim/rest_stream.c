/*
 * rest_stream.c - Streaming Output (qshare): channels, streams and the
 * liveStream POST/DELETE (docs/REST.md "StreamingOutput").
 *
 * Its own error family: {respType, errorCode, message} with 401 (sid), 403
 * (permission), 404 (guid or stream), 409 (already published); `ver` is
 * neither needed nor checked.
 */
#include "auth.h"
#include "dump.h"
#include "http.h"
#include "rest.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static enum MHD_Result so_error(struct req *r, const char *res, unsigned status,
                                const char *message)
{
    char type[64];
    snprintf(type, sizeof type, "StreamingOutput#%s", res);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "respType", type);
    cJSON_AddNumberToObject(o, "errorCode", status);
    cJSON_AddStringToObject(o, "message", message);
    return rest_json(r, status, o, true);
}

/* sid (401) and surveillance permission (403); true when refused. */
static bool so_refused(struct req *r, const char *res, enum MHD_Result *rc)
{
    const char *sid = req_param(r, "sid");
    r->user = auth_user_of_sid(r->sim, sid ? sid : req_param(r, "qsauth_token"));
    if (r->user < 0) {
        *rc = so_error(r, res, 401, "Authentication failed.");
        return true;
    }
    if (!r->sim->cfg.users[r->user].surveillance) {
        *rc = so_error(r, res, 403, "Insufficient permission.");
        return true;
    }
    return false;
}

static int licence_channels(const struct sim *s)
{
    return s->cfg.ncameras > 8 ? (int)s->cfg.ncameras : 8;
}

/* Exactly five keys per channel: Home Assistant passes them as **kwargs. */
enum MHD_Result rest_so_channels(struct req *r)
{
    enum MHD_Result rc;
    if (so_refused(r, "channels", &rc))
        return rc;
    const struct sim *s = r->sim;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "respType", "StreamingOutput#channels");
    cJSON_AddNumberToObject(root, "total_channel_num", licence_channels(s));
    cJSON_AddNumberToObject(root, "used_channel_num", (double)s->cfg.ncameras);
    cJSON *arr = cJSON_AddArrayToObject(root, "channels");
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        const struct camera *c = &s->cfg.cameras[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "channel_index", c->index);
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "guid", c->guid);
        cJSON_AddStringToObject(o, "brand", c->brand);
        cJSON_AddStringToObject(o, "model", c->model);
        cJSON_AddItemToArray(arr, o);
    }
    return rest_json(r, 200, root, true);
}

enum MHD_Result rest_so_streams(struct req *r, const char *guid)
{
    enum MHD_Result rc;
    if (so_refused(r, "streams", &rc))
        return rc;
    const struct camera *c = rest_camera(r, guid);
    if (!c)
        return so_error(r, "streams", 404, "Given GUID or stream ID not exist.");
    const struct video_info *vi = &video_kinds[c->video];
    char res[32], codec[16];
    snprintf(res, sizeof res, "%ux%u", c->dump ? c->dump->width : vi->width,
             c->dump ? c->dump->height : vi->height);
    const char *cs = c->dump ? dump_codec_setting(c->dump) : vi->codec_setting;
    size_t j = 0;
    for (size_t i = 0; cs[i] && j + 1 < sizeof codec; i++)
        if (cs[i] != '.')
            codec[j++] = cs[i];
    codec[j] = '\0';
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "respType", "StreamingOutput#streams");
    cJSON_AddNumberToObject(root, "channelIndex", c->index);
    cJSON_AddStringToObject(root, "guid", c->guid);
    cJSON *arr = cJSON_AddArrayToObject(root, "streams");
    cJSON *st = cJSON_CreateObject();
    cJSON_AddNumberToObject(st, "stream", 0);
    cJSON_AddStringToObject(st, "status", c->status == CAM_CONNECTED ? "NVR_CAM_CONNECTED"
                                                                     : "NVR_CAM_CONNECTING");
    cJSON_AddStringToObject(st, "videoCodec", codec);
    cJSON_AddStringToObject(st, "quality", "");
    cJSON_AddStringToObject(st, "resolution", res);
    cJSON_AddStringToObject(st, "frameRate", "");
    cJSON_AddItemToArray(arr, st);
    return rest_json(r, 200, root, true);
}

/* "rtsp"/"hls"/"rtmp" in any case from the JSON body, -1 otherwise. */
static int body_protocol(struct req *r)
{
    cJSON *o = cJSON_Parse(rest_body(r));
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "protocol");
    int proto = -1;
    if (cJSON_IsString(p)) {
        if (!strcasecmp(p->valuestring, "rtsp")) proto = SO_RTSP;
        else if (!strcasecmp(p->valuestring, "hls")) proto = SO_HLS;
        else if (!strcasecmp(p->valuestring, "rtmp")) proto = SO_RTMP;
    }
    cJSON_Delete(o);
    return proto;
}

/* Lock held.  The published share of (camera, stream, protocol), or NULL. */
static struct so_share *find_share(struct sim *s, int cam, int stream, int proto)
{
    for (size_t i = 0; i < s->rest.nshares; i++) {
        struct so_share *sh = &s->rest.shares[i];
        if (sh->cam == cam && sh->stream == stream && (int)sh->proto == proto)
            return sh;
    }
    return NULL;
}

/* Lock held.  Publishes a new HLS/RTMP share; NULL when out of memory. */
static struct so_share *add_share(struct sim *s, int cam, int stream, int proto)
{
    if (s->rest.nshares == s->rest.cap) {
        size_t cap = s->rest.cap ? s->rest.cap * 2 : 8;
        struct so_share *v = realloc(s->rest.shares, cap * sizeof *v);
        if (!v)
            return NULL;
        s->rest.shares = v;
        s->rest.cap = cap;
    }
    struct so_share *sh = &s->rest.shares[s->rest.nshares];
    if (random_string(sh->token, 32, "0123456789abcdef") != 0)
        return NULL;
    sh->cam = cam;
    sh->stream = stream;
    sh->proto = (enum so_protocol)proto;
    sh->since_ms = now_ms();
    s->rest.nshares++;
    return sh;
}

static enum MHD_Result live_answer(struct req *r, const struct camera *c, int proto,
                                   const char *token)
{
    static const char *const names[] = {"RTSP", "HLS", "RTMP"};
    char host[256], uri[512];
    int port;
    rest_host(r, host, sizeof host, &port);
    if (proto == SO_RTSP)
        snprintf(uri, sizeof uri, "rtsp://%s:%d/channel%d", host, r->sim->rest.rtsp_port,
                 c->index + 1);
    else
        snprintf(uri, sizeof uri, "http://%s:%d%s/%s/%s%s", host, port, r->sim->opt.prefix,
                 proto == SO_HLS ? "hls" : "rtmp", token, proto == SO_HLS ? ".m3u8" : "");
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "respType", "StreamingOutput#liveStream");
    cJSON_AddNumberToObject(root, "channelIndex", c->index);
    cJSON_AddStringToObject(root, "guid", c->guid);
    cJSON_AddNumberToObject(root, "stream", 0);
    cJSON_AddStringToObject(root, "potocol", names[proto]);
    if (token)
        cJSON_AddStringToObject(root, "streamingToken", token);
    cJSON_AddStringToObject(root, "resourceUris", uri);
    char *text = cJSON_Print(root); /* 4-space indent, as recorded */
    cJSON_Delete(root);
    if (!text)
        return so_error(r, "liveStream", 500, "Internal server error.");
    struct buf b = {0};
    for (const char *p = text; *p; p++)
        buf_adds(&b, *p == '\t' ? "    " : (char[]){*p, 0});
    free(text);
    enum MHD_Result rc = http_reply(r, 200, "Content-Type", "application/json",
                                    b.p ? (const char *)b.p : "", b.len);
    buf_free(&b);
    return rc;
}

static enum MHD_Result live_post(struct req *r, const struct camera *c)
{
    int proto = body_protocol(r);
    if (proto < 0)
        return so_error(r, "liveStream", 400, "Invalid protocol.");
    if (proto == SO_RTSP) /* a repeat POST answers 200 again */
        return live_answer(r, c, proto, NULL);
    if (c->video == VIDEO_MJPEG && !c->dump)
        return so_error(r, "liveStream", 500, "HLS and RTMP need H.264.");
    struct sim *s = r->sim;
    char token[33];
    pthread_mutex_lock(&s->lock);
    bool published = find_share(s, c->index, 0, proto) != NULL;
    struct so_share *sh = published ? NULL : add_share(s, c->index, 0, proto);
    if (sh)
        copy_str(token, sizeof token, sh->token);
    pthread_mutex_unlock(&s->lock);
    if (published)
        return so_error(r, "liveStream", 409, "Specific stream resource has been published.");
    if (!sh)
        return so_error(r, "liveStream", 500, "Internal server error.");
    return live_answer(r, c, proto, token);
}

/* DELETE .../stream/rtsp/liveStream: 204 (no token); .../stream/0/...:
 * the body's token must be a published one. */
static enum MHD_Result live_delete(struct req *r, const struct camera *c, const char *stream)
{
    if (!strcmp(stream, "rtsp"))
        return http_reply(r, 204, NULL, NULL, "", 0);
    if (strcmp(stream, "0"))
        return so_error(r, "liveStream", 404, "Given GUID or stream ID not exist.");
    cJSON *o = cJSON_Parse(rest_body(r));
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "token");
    struct sim *s = r->sim;
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; cJSON_IsString(t) && i < s->rest.nshares && !found; i++) {
        struct so_share *sh = &s->rest.shares[i];
        if (sh->cam == c->index && !strcmp(sh->token, t->valuestring)) {
            *sh = s->rest.shares[--s->rest.nshares];
            found = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    cJSON_Delete(o);
    if (!found)
        return so_error(r, "liveStream", 404, "Given GUID or stream ID not exist.");
    return http_reply(r, 204, NULL, NULL, "", 0);
}

enum MHD_Result rest_so_live(struct req *r, const char *guid, const char *stream, bool del)
{
    enum MHD_Result rc;
    if (so_refused(r, "liveStream", &rc))
        return rc;
    const struct camera *c = rest_camera(r, guid);
    if (!c)
        return so_error(r, "liveStream", 404, "Given GUID or stream ID not exist.");
    if (del)
        return live_delete(r, c, stream);
    if (strcmp(stream, "0"))
        return so_error(r, "liveStream", 404, "Given GUID or stream ID not exist.");
    return live_post(r, c);
}
