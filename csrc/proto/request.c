/*
 * request.c - the endpoint table and the request builder; see request.h.
 *
 * Parameters are listed in the order they go on the wire: the sid first,
 * then the others sorted by wire name (as every client request has been
 * sent), except where a request has always gone out in another order
 * (login, logout, qplay close).  docs/PROTOCOL.md (the CGIs) and
 * docs/REST.md (API 1.x) describe each endpoint.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "encode.h"
#include "request.h"

#define REQ QVR_P_REQUIRED
#define FIXED QVR_P_FIXED
#define PATH (QVR_P_PATH | QVR_P_REQUIRED)
#define SID {"sid", NULL, NULL, QVR_P_SID}
#define VER {"ver", NULL, QVR_REST_VER, QVR_P_VERSION}
#define QPLAY_VER {"ver", NULL, "v1", FIXED}
#define END {NULL, NULL, NULL, 0}

#define CGI_API "{prefix}/apis/"
#define QPLAY CGI_API "qplay.cgi"
#define VAULT "{prefix}/qvrip/"
#define LIVE_STREAM "{prefix}/qshare/StreamingOutput/channel/{guid}/stream/{stream}/liveStream"

/* --- the 2017 CGIs (docs/PROTOCOL.md) ------------------------------------ */

static const struct qvr_param p_login[] = {
    {"user", NULL, NULL, REQ}, {"serviceKey", NULL, "1", FIXED}, {"pwd", NULL, NULL, REQ}, END};
static const struct qvr_param p_logout[] = {SID, {"logout", NULL, "1", FIXED}, END};
static const struct qvr_param p_none[] = {END};
static const struct qvr_param p_sid[] = {SID, END};
static const struct qvr_param p_cam_list[] = {
    SID, {"act", NULL, "list", FIXED}, {"brand", NULL, NULL, 0},
    {"get_rec_days", "rec_days", NULL, 0}, {"model", NULL, NULL, 0}, {"name", NULL, NULL, 0},
    {"status", NULL, NULL, 0}, END};
static const struct qvr_param p_cam_cpu[] = {SID, {"act", NULL, "cpu", FIXED}, END};
static const struct qvr_param p_cam_rec_status[] = {
    SID, {"act", NULL, "rec_status", FIXED}, {"guid", NULL, NULL, REQ},
    {"stream_id", NULL, "0", 0}, END};
static const struct qvr_param p_mrec_start[] = {
    SID, {"act", NULL, "1", FIXED}, {"ch", NULL, NULL, REQ}, END};
static const struct qvr_param p_mrec_stop[] = {
    SID, {"act", NULL, "0", FIXED}, {"ch", NULL, NULL, REQ}, END};
static const struct qvr_param p_liveimage[] = {
    SID, {"guid", NULL, NULL, REQ}, {"origin", NULL, NULL, 0}, {"stream_id", NULL, NULL, 0}, END};
static const struct qvr_param p_logs[] = {
    SID, {"channel_id", NULL, NULL, 0}, {"dir", NULL, NULL, 0}, {"end_time", NULL, NULL, 0},
    {"global_channel_id", NULL, NULL, 0}, {"level", NULL, NULL, 0},
    {"log_type", NULL, NULL, 0}, {"max_results", NULL, NULL, 0},
    {"sort_field", NULL, NULL, 0}, {"source_ip", NULL, NULL, 0},
    {"source_name", NULL, NULL, 0}, {"start", NULL, NULL, 0}, {"start_time", NULL, NULL, 0},
    {"user", NULL, NULL, 0}, END};
static const struct qvr_param p_getstream[] = {
    SID, {"audio", NULL, NULL, 0}, {"ch_sid", NULL, NULL, REQ}, {"stream_id", NULL, "0", 0}, END};
/* the stream goes both as `stream` and `stream_id` (the SDK uses both) */
static const struct qvr_param p_qplay_open[] = {
    SID, {"ch_sid", NULL, NULL, REQ}, {"cmd", NULL, "open", FIXED}, {"data_type", NULL, "1", 0},
    {"end_time", NULL, NULL, 0}, {"query_type", NULL, "0", FIXED},
    {"recording_type", NULL, "0", 0}, {"start_time", NULL, NULL, REQ},
    {"stream", "stream_id", "0", 0}, {"stream_id", NULL, "0", 0}, QPLAY_VER, END};
static const struct qvr_param p_qplay_close[] = {
    QPLAY_VER, {"cmd", NULL, "close", FIXED}, {"session", NULL, NULL, REQ}, END};

#define QPLAY_CMD(cmd) {"cmd", NULL, cmd, FIXED}
#define QPLAY_SESSION {"session", NULL, NULL, REQ}
#define QPLAY_PLAIN(id, cmd) \
    static const struct qvr_param id[] = {QPLAY_CMD(cmd), QPLAY_SESSION, QPLAY_VER, END}
QPLAY_PLAIN(p_qplay_get, "get");
QPLAY_PLAIN(p_qplay_pause, "pause");
QPLAY_PLAIN(p_qplay_ff, "ff");
QPLAY_PLAIN(p_qplay_rew, "rew");
QPLAY_PLAIN(p_qplay_next_frame, "next_frame");
QPLAY_PLAIN(p_qplay_prev_frame, "prev_frame");
QPLAY_PLAIN(p_qplay_all_frame, "all_frame");
QPLAY_PLAIN(p_qplay_skip_frame, "skip_frame");
QPLAY_PLAIN(p_qplay_live, "live");
static const struct qvr_param p_qplay_seek[] = {
    QPLAY_CMD("seek"), {"seek_time", NULL, NULL, REQ}, QPLAY_SESSION, QPLAY_VER, END};
static const struct qvr_param p_qplay_play[] = {
    QPLAY_CMD("play"), QPLAY_SESSION, {"speed", NULL, NULL, REQ}, QPLAY_VER, END};
static const struct qvr_param p_qplay_speed[] = {
    QPLAY_CMD("speed"), QPLAY_SESSION, {"speed", NULL, NULL, REQ}, QPLAY_VER, END};
static const struct qvr_param p_qplay_timecontrol[] = {
    QPLAY_CMD("timecontrol"), {"enable", NULL, NULL, REQ}, QPLAY_SESSION, QPLAY_VER, END};
static const struct qvr_param p_qplay_playclose[] = {
    QPLAY_CMD("playclose"), {"enable", NULL, NULL, REQ}, QPLAY_SESSION, QPLAY_VER, END};

/* --- the REST family of API 1.x (docs/REST.md) --------------------------- */

static const struct qvr_param p_ver[] = {SID, VER, END};
static const struct qvr_param p_rest_list[] = {SID, {"guid", NULL, NULL, 0}, VER, END};
static const struct qvr_param p_capability[] = {
    SID, {"act", NULL, "get_camera_capability", FIXED}, VER, END};
static const struct qvr_param p_event_capability[] = {
    SID, {"act", NULL, "get_event_capability", FIXED}, VER, END};
static const struct qvr_param p_camera_test[] = {
    SID, {"ipcam_address", "address", NULL, REQ},
    {"ipcam_http_video_url", "http_video_url", NULL, 0},
    {"ipcam_password", "password", "", 0}, {"ipcam_port", "port", "80", 0},
    {"ipcam_rtsp_port", "rtsp_port", "554", 0}, {"ipcam_umsid", "umsid", NULL, REQ},
    {"ipcam_username", "username", "", 0}, {"nvr_channel_id", "channel", NULL, 0}, VER, END};
static const struct qvr_param p_snapshot[] = {
    SID, {"guid", NULL, NULL, PATH}, {"image_ts", NULL, NULL, QVR_P_VER_TS}, VER, END};
static const struct qvr_param p_guid_ver[] = {SID, {"guid", NULL, NULL, PATH}, VER, END};
static const struct qvr_param p_ptz[] = {
    SID, {"guid", NULL, NULL, PATH}, {"action", NULL, NULL, PATH},
    {"direction", NULL, NULL, 0}, END};
static const struct qvr_param p_recordingfile[] = {
    SID, {"guid", NULL, NULL, PATH}, {"stream", NULL, NULL, PATH},
    {"end_time", NULL, NULL, QVR_P_VER_TS}, {"post_period", NULL, NULL, 0},
    {"pre_period", NULL, NULL, 0}, {"start_time", NULL, NULL, QVR_P_VER_TS},
    {"time", NULL, NULL, 0}, VER, END};
static const struct qvr_param p_guid[] = {SID, {"guid", NULL, NULL, PATH}, END};
static const struct qvr_param p_live_stream[] = {
    SID, {"guid", NULL, NULL, PATH}, {"stream", NULL, NULL, PATH}, END};
static const struct qvr_param p_check_name[] = {
    SID, {"original_name", NULL, NULL, 0}, {"vault_name", NULL, NULL, REQ}, END};
static const struct qvr_param p_vault_list[] = {SID, {"type", NULL, "GENERIC", FIXED}, END};
static const struct qvr_param p_vault_id[] = {SID, {"vault_id", NULL, NULL, PATH}, END};
static const struct qvr_param p_notify[] = {{"vault_id", NULL, NULL, PATH}, END};
static const struct qvr_param p_query[] = {
    SID, {"limit", NULL, NULL, 0}, {"start", NULL, "0", 0}, {"timeout", NULL, NULL, 0}, END};

#define C QVR_FAMILY_CGI
#define R QVR_FAMILY_REST
#define S QVR_EP_SID

static const struct qvr_endpoint endpoints[] = {
    /* login and the session */
    {"login", C, "GET", "/cgi-bin/authLogin.cgi", QVR_KIND_RAW, QVR_EP_SECRET, p_login},
    {"logout", C, "GET", "/cgi-bin/authLogout.cgi", QVR_KIND_RAW, S, p_logout},
    {"qvrentry", C, "GET", "/qvrentry", QVR_KIND_JSON, 0, p_none},
    /* cameras, recording, snapshots, logs */
    {"camera_status.list", C, "GET", CGI_API "camera_status.cgi", QVR_KIND_JSON, S, p_cam_list},
    {"camera_status.cpu", C, "GET", CGI_API "camera_status.cgi", QVR_KIND_JSON, S, p_cam_cpu},
    {"camera_status.rec_status", C, "GET", CGI_API "camera_status.cgi", QVR_KIND_JSON, S,
     p_cam_rec_status},
    {"mrec.start", C, "GET", CGI_API "mrec.cgi", QVR_KIND_JSON, S, p_mrec_start},
    {"mrec.stop", C, "GET", CGI_API "mrec.cgi", QVR_KIND_JSON, S, p_mrec_stop},
    {"getliveimage", C, "GET", CGI_API "getliveimage.cgi", QVR_KIND_IMAGE, S, p_liveimage},
    {"logs", C, "GET", "{prefix}/logs/logs", QVR_KIND_LOGS, S | QVR_EP_LOGS_PORT, p_logs},
    /* live streams and playback (qplay commands other than open take no sid) */
    {"getstream", C, "GET", "{prefix}/streaming/getstream.cgi", QVR_KIND_RAW, S, p_getstream},
    {"qplay.open", C, "GET", QPLAY, QVR_KIND_LINES, S, p_qplay_open},
    {"qplay.get", C, "GET", QPLAY, QVR_KIND_RAW, 0, p_qplay_get},
    {"qplay.seek", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_seek},
    {"qplay.play", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_play},
    {"qplay.pause", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_pause},
    {"qplay.speed", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_speed},
    {"qplay.ff", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_ff},
    {"qplay.rew", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_rew},
    {"qplay.next_frame", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_next_frame},
    {"qplay.prev_frame", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_prev_frame},
    {"qplay.all_frame", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_all_frame},
    {"qplay.skip_frame", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_skip_frame},
    {"qplay.live", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_live},
    {"qplay.timecontrol", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_timecontrol},
    {"qplay.playclose", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_playclose},
    {"qplay.close", C, "GET", QPLAY, QVR_KIND_LINES, 0, p_qplay_close},
    /* REST: camera settings and control */
    {"camera.list", R, "GET", "{prefix}/camera/list", QVR_KIND_REST, S, p_rest_list},
    {"camera.capability", R, "GET", "{prefix}/camera/capability", QVR_KIND_REST, S,
     p_capability},
    {"camera.event_capability", R, "GET", "{prefix}/camera/capability", QVR_KIND_REST, S,
     p_event_capability},
    {"camera.support", R, "GET", "{prefix}/camera/support", QVR_KIND_REST, S, p_ver},
    {"camera.search", R, "GET", "{prefix}/camera/search", QVR_KIND_REST, S, p_ver},
    {"camera.test", R, "GET", "{prefix}/camera/test", QVR_KIND_REST, S, p_camera_test},
    {"camera.snapshot", R, "GET", "{prefix}/camera/snapshot/{guid}", QVR_KIND_REST_IMAGE, S,
     p_snapshot},
    {"camera.mrec.start", R, "PUT", "{prefix}/camera/mrec/{guid}/start", QVR_KIND_REST, S,
     p_guid_ver},
    {"camera.mrec.stop", R, "PUT", "{prefix}/camera/mrec/{guid}/stop", QVR_KIND_REST, S,
     p_guid_ver},
    {"camera.alarm.start", R, "PUT", "{prefix}/camera/alarm/{guid}/start", QVR_KIND_REST, S,
     p_guid_ver},
    {"camera.alarm.stop", R, "PUT", "{prefix}/camera/alarm/{guid}/stop", QVR_KIND_REST, S,
     p_guid_ver},
    {"ptz.invoke", R, "PUT", "{prefix}/ptz/v1/channel_list/{guid}/ptz/action_list/{action}/invoke",
     QVR_KIND_REST, S, p_ptz},
    {"camera.recordingfile", R, "GET", "{prefix}/camera/recordingfile/{guid}/{stream}",
     QVR_KIND_REST_MEDIA, S, p_recordingfile},
    /* REST: StreamingOutput */
    {"qshare.channels", R, "GET", "{prefix}/qshare/StreamingOutput/channels", QVR_KIND_REST, S,
     p_sid},
    {"qshare.streams", R, "GET", "{prefix}/qshare/StreamingOutput/channel/{guid}/streams",
     QVR_KIND_REST, S, p_guid},
    {"qshare.live_stream", R, "POST", LIVE_STREAM, QVR_KIND_REST, S, p_live_stream},
    {"qshare.live_stream.delete", R, "DELETE", LIVE_STREAM, QVR_KIND_REST, S, p_live_stream},
    /* REST: the Metadata Vault */
    {"vault.check_name", R, "GET", VAULT "Vault/checkVaultName", QVR_KIND_REST, S, p_check_name},
    {"vault.add", R, "POST", VAULT "Vault/addVault", QVR_KIND_REST, S, p_sid},
    {"vault.remove", R, "POST", VAULT "Vault/removeVault", QVR_KIND_REST, S, p_sid},
    {"vault.modify", R, "PUT", VAULT "Vault/modifyVault", QVR_KIND_REST, S, p_sid},
    {"vault.list", R, "GET", VAULT "Vault/getVaultList", QVR_KIND_REST, S, p_vault_list},
    {"vault.info", R, "GET", VAULT "Vault/getVaultInfo/{vault_id}", QVR_KIND_REST, S, p_vault_id},
    {"vault.filter.modify", R, "POST", VAULT "Filter/modifyFilter", QVR_KIND_REST, S, p_sid},
    {"vault.filter.test", R, "POST", VAULT "Filter/testFilter", QVR_KIND_REST, S, p_sid},
    {"vault.notify", R, "POST", VAULT "Event/recvNotify/Generic/{vault_id}", QVR_KIND_REST, 0,
     p_notify},
    {"vault.query", R, "POST", VAULT "Metadata/Query", QVR_KIND_REST, S, p_query},
    {"vault.retention", R, "GET", VAULT "Metadata/configure_retention", QVR_KIND_REST, S, p_sid},
    {"vault.retention.set", R, "POST", VAULT "Metadata/configure_retention", QVR_KIND_REST, S,
     p_sid},
};

#define N_ENDPOINTS (sizeof endpoints / sizeof endpoints[0])

const struct qvr_endpoint *qvr_endpoint_find(const char *name)
{
    for (size_t i = 0; name && i < N_ENDPOINTS; i++)
        if (strcmp(endpoints[i].name, name) == 0)
            return &endpoints[i];
    return NULL;
}

const struct qvr_endpoint *qvr_endpoint_at(size_t i)
{
    return i < N_ENDPOINTS ? &endpoints[i] : NULL;
}

size_t qvr_login_params(struct qvr_kv kv[2], const char *user, const char *pwd, size_t pwd_len)
{
    kv[0] = (struct qvr_kv){p_login[0].wire, user, strlen(user)};
    kv[1] = (struct qvr_kv){p_login[2].wire, pwd, pwd_len};
    return 2;
}

size_t qvr_qplay_close_params(struct qvr_kv kv[1], const char *session)
{
    kv[0] = (struct qvr_kv){p_qplay_close[2].wire, session, strlen(session)};
    return 1;
}

/* --- building ------------------------------------------------------------ */

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, o->len++)
        if (o->len < o->cap)
            o->buf[o->len] = s[i];
}

static void put_encoded(struct out *o, const char *s, size_t n, const char *keep)
{
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    o->len += qvr_percent_encode_to(room ? o->buf + o->len : NULL, room, s, n, keep);
}

__attribute__((format(printf, 3, 4)))
static enum qvr_req_err fail(struct qvr_req_error *err, enum qvr_req_err code,
                             const char *fmt, ...)
{
    va_list ap;
    if (err) {
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static const char *caller_name(const struct qvr_param *p)
{
    return p->name ? p->name : p->wire;
}

/* The caller's value for p, or NULL. */
static const struct qvr_kv *given(const struct qvr_param *p, const struct qvr_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, caller_name(p)) == 0)
            return &kv[i];
    return NULL;
}

/* Every given parameter is one the caller may give, once, without a NUL. */
static enum qvr_req_err check_given(const struct qvr_endpoint *ep, const struct qvr_kv *kv,
                                    size_t n, struct qvr_req_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct qvr_param *p = ep->params;
        if (!kv[i].key || (!kv[i].value && kv[i].len))
            return fail(err, QVR_REQ_BAD_VALUE, "%s: a parameter without a name or value",
                        ep->name);
        while (p->wire && (strcmp(caller_name(p), kv[i].key) != 0 ||
                           (p->flags & (QVR_P_FIXED | QVR_P_SID))))
            p++;
        if (!p->wire)
            return fail(err, QVR_REQ_UNKNOWN_PARAM, "%s takes no parameter '%.60s'", ep->name,
                        kv[i].key);
        for (size_t j = 0; j < i; j++)
            if (strcmp(kv[j].key, kv[i].key) == 0)
                return fail(err, QVR_REQ_DUPLICATE_PARAM, "%s: parameter '%.60s' given twice",
                            ep->name, kv[i].key);
        if (kv[i].len && memchr(kv[i].value, '\0', kv[i].len))
            return fail(err, QVR_REQ_BAD_VALUE, "%s: parameter '%.60s' holds a NUL byte",
                        ep->name, kv[i].key);
    }
    return QVR_REQ_OK;
}

/* The REST `ver` a request sends when the caller gave none. */
static const char *version_default(const struct qvr_endpoint *ep, const struct qvr_param *ver,
                                   const struct qvr_kv *kv, size_t n)
{
    for (const struct qvr_param *p = ep->params; p->wire; p++)
        if ((p->flags & QVR_P_VER_TS) && given(p, kv, n))
            return QVR_REST_VER_TS;
    return ver->value;
}

static enum qvr_req_err build_path(const struct qvr_endpoint *ep, const struct qvr_req_ctx *ctx,
                                   const struct qvr_kv *kv, size_t n, struct out *o,
                                   struct qvr_req_error *err)
{
    const char *t = ep->path;
    while (*t) {
        const char *open = strchr(t, '{'), *close;
        const struct qvr_param *p;
        const struct qvr_kv *v;
        size_t name_len;
        if (!open) {
            put(o, t, strlen(t));
            break;
        }
        put(o, t, (size_t)(open - t));
        close = strchr(open, '}');
        name_len = (size_t)(close - open - 1);
        t = close + 1;
        if (name_len == 6 && strncmp(open + 1, "prefix", 6) == 0) {
            if (!ctx || !ctx->prefix)
                return fail(err, QVR_REQ_MISSING_PARAM, "%s needs the API prefix", ep->name);
            if (ctx->prefix[0] && ctx->prefix[0] != '/')
                return fail(err, QVR_REQ_BAD_VALUE, "%s: the API prefix '%.40s' does not start "
                            "with '/'", ep->name, ctx->prefix);
            put_encoded(o, ctx->prefix, strlen(ctx->prefix), "/");
            continue;
        }
        for (p = ep->params; p->wire; p++)
            if ((p->flags & QVR_P_PATH) && strlen(p->wire) == name_len &&
                strncmp(p->wire, open + 1, name_len) == 0)
                break;
        v = p->wire ? given(p, kv, n) : NULL;
        if (!v)
            return fail(err, QVR_REQ_MISSING_PARAM, "%s needs the parameter '%s'", ep->name,
                        p->wire ? caller_name(p) : "?");
        if (v->len == 0)
            return fail(err, QVR_REQ_BAD_VALUE, "%s: parameter '%s' is empty (a path segment)",
                        ep->name, caller_name(p));
        put_encoded(o, v->value, v->len, NULL);
    }
    return QVR_REQ_OK;
}

static enum qvr_req_err build_query(const struct qvr_endpoint *ep, const struct qvr_req_ctx *ctx,
                                    const struct qvr_kv *kv, size_t n, struct out *o,
                                    struct qvr_req_error *err)
{
    int first = 1;
    for (const struct qvr_param *p = ep->params; p->wire; p++) {
        const char *value = p->value;
        size_t len;
        const struct qvr_kv *v = NULL;
        if (p->flags & QVR_P_PATH)
            continue;
        if (p->flags & QVR_P_SID) {
            if (!ctx || !ctx->sid)
                return fail(err, QVR_REQ_MISSING_PARAM, "%s needs the session's sid",
                            ep->name);
            value = ctx->sid;
        } else if (!(p->flags & QVR_P_FIXED) && (v = given(p, kv, n)) != NULL) {
            value = v->value ? v->value : "";
        } else if (p->flags & QVR_P_VERSION) {
            value = version_default(ep, p, kv, n);
        } else if (p->flags & QVR_P_REQUIRED) {
            return fail(err, QVR_REQ_MISSING_PARAM, "%s needs the parameter '%s'", ep->name,
                        caller_name(p));
        }
        if (!value)
            continue;
        len = v ? v->len : strlen(value);
        put(o, first ? "?" : "&", 1);
        put_encoded(o, p->wire, strlen(p->wire), NULL);
        put(o, "=", 1);
        put_encoded(o, value, len, NULL);
        first = 0;
    }
    return QVR_REQ_OK;
}

enum qvr_req_err qvr_request_build(const struct qvr_endpoint *ep, const struct qvr_req_ctx *ctx,
                                   const struct qvr_kv *params, size_t n, char *buf,
                                   size_t cap, size_t *len, struct qvr_req_error *err)
{
    struct out o = {buf, cap, 0};
    enum qvr_req_err rc;
    if (err) {
        err->code = QVR_REQ_OK;
        err->message[0] = '\0';
    }
    if (len)
        *len = 0;
    if (cap && buf)
        buf[0] = '\0';
    if (!ep)
        return fail(err, QVR_REQ_UNKNOWN_ENDPOINT, "no such endpoint");
    if (!buf)
        o.cap = 0;
    rc = check_given(ep, params, n, err);
    if (rc == QVR_REQ_OK)
        rc = build_path(ep, ctx, params, n, &o, err);
    if (rc == QVR_REQ_OK)
        rc = build_query(ep, ctx, params, n, &o, err);
    if (rc != QVR_REQ_OK) {
        if (o.cap)
            memset(buf, 0, o.len < o.cap ? o.len : o.cap);   /* may hold the sid */
        return rc;
    }
    if (len)
        *len = o.len;
    if (o.len >= o.cap) {
        if (o.cap)
            memset(buf, 0, o.cap);
        return fail(err, QVR_REQ_OVERFLOW,
                    "%s: the request does not fit the buffer (%zu bytes needed)", ep->name,
                    o.len + 1);
    }
    buf[o.len] = '\0';
    return QVR_REQ_OK;
}

enum qvr_req_err qvr_request(const char *name, const struct qvr_req_ctx *ctx,
                             const struct qvr_kv *params, size_t n, char *buf, size_t cap,
                             size_t *len, struct qvr_req_error *err)
{
    const struct qvr_endpoint *ep = qvr_endpoint_find(name);
    if (!ep) {
        if (len)
            *len = 0;
        if (cap && buf)
            buf[0] = '\0';
        return fail(err, QVR_REQ_UNKNOWN_ENDPOINT, "no endpoint named '%.60s'",
                    name ? name : "(null)");
    }
    return qvr_request_build(ep, ctx, params, n, buf, cap, len, err);
}
