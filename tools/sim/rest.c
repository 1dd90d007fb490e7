/*
 * rest.c - the REST family's dispatch, shared checks and error bodies
 * (docs/REST.md "Common to every answer", "Errors", "Methods").
 */
#include "rest.h"
#include "answer.h"
#include "auth.h"
#include "http.h"
#include "rtsp.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { M_GET = 1, M_PUT = 2, M_POST = 4, M_DELETE = 8 };

enum rest_ep {
    R_LIST, R_CAPABILITY, R_SUPPORT, R_SEARCH, R_TEST, R_SNAPSHOT, R_MREC, R_ALARM,
    R_RECFILE, R_PTZ, R_SO_CHANNELS, R_SO_STREAMS, R_SO_LIVE
};

/* '*' matches one segment; the captured segments go to the handler. */
struct rest_route {
    const char *pattern;
    unsigned methods;
    enum rest_ep ep;
};

static const struct rest_route rest_routes[] = {
    {"camera/list", M_GET, R_LIST},
    {"camera/capability", M_GET, R_CAPABILITY},
    {"camera/support", M_GET, R_SUPPORT},
    {"camera/search", M_GET, R_SEARCH},
    {"camera/test", M_GET, R_TEST},
    {"camera/snapshot/*", M_GET, R_SNAPSHOT},
    {"camera/mrec/*/*", M_PUT, R_MREC},
    {"camera/alarm/*/*", M_PUT, R_ALARM},
    {"camera/recordingfile/*/*", M_GET, R_RECFILE},
    {"ptz/v1/channel_list/*/ptz/action_list/*/invoke", M_PUT, R_PTZ},
    {"qshare/StreamingOutput/channels", M_GET, R_SO_CHANNELS},
    {"qshare/StreamingOutput/channel/*/streams", M_GET, R_SO_STREAMS},
    {"qshare/StreamingOutput/channel/*/stream/*/liveStream", M_POST | M_DELETE, R_SO_LIVE},
};

bool rest_is_path(const char *sub)
{
    return !strncmp(sub, "camera/", 7) || !strncmp(sub, "ptz/", 4) ||
           !strncmp(sub, "qshare/", 7) || !strncmp(sub, "qvrip/", 6);
}

static void split(struct segs *sg, const char *path)
{
    copy_str(sg->buf, sizeof sg->buf, path);
    sg->n = 0;
    char *save = NULL;
    for (char *t = strtok_r(sg->buf, "/", &save); t && sg->n < 12;
         t = strtok_r(NULL, "/", &save))
        sg->s[sg->n++] = t;
}

/* True when the path matches; the '*' segments go to caps[]. */
static bool match(const struct segs *path, const char *pattern, const char *caps[4])
{
    struct segs pat;
    split(&pat, pattern);
    if (pat.n != path->n)
        return false;
    int nc = 0;
    for (int i = 0; i < pat.n; i++) {
        if (!strcmp(pat.s[i], "*")) {
            if (nc < 4)
                caps[nc++] = path->s[i];
        } else if (strcmp(pat.s[i], path->s[i])) {
            return false;
        }
    }
    return true;
}

static unsigned method_bit(const char *m)
{
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) return M_GET;
    if (!strcmp(m, "PUT")) return M_PUT;
    if (!strcmp(m, "POST")) return M_POST;
    if (!strcmp(m, "DELETE")) return M_DELETE;
    return 0;
}

static enum MHD_Result plain(struct req *r, unsigned status, const char *text)
{
    return http_reply(r, status, "Content-Type", "text/plain", text, strlen(text));
}

static enum MHD_Result dispatch(struct req *r, enum rest_ep ep, const char *c[4])
{
    switch (ep) {
    case R_LIST: return rest_camera_list(r);
    case R_CAPABILITY: return rest_capability(r);
    case R_SUPPORT: return rest_support(r);
    case R_SEARCH: return rest_search(r);
    case R_TEST: return rest_test(r);
    case R_SNAPSHOT: return rest_snapshot(r, c[0]);
    case R_MREC: return rest_mrec(r, c[0], c[1]);
    case R_ALARM: return rest_alarm(r, c[0], c[1]);
    case R_RECFILE: return rest_recordingfile(r, c[0], c[1]);
    case R_PTZ: return rest_ptz(r, c[0], c[1]);
    case R_SO_CHANNELS: return rest_so_channels(r);
    case R_SO_STREAMS: return rest_so_streams(r, c[0]);
    case R_SO_LIVE: return rest_so_live(r, c[0], c[1], !strcmp(r->method, "DELETE"));
    }
    return plain(r, 404, "404 Not Found\n");
}

enum MHD_Result rest_handle(struct req *r, const char *sub)
{
    if (!strncmp(sub, "qvrip/", 6))
        return vault_handle(r, sub + 6);
    struct segs path;
    split(&path, sub);
    const char *caps[4] = {"", "", "", ""};
    for (size_t i = 0; i < sizeof rest_routes / sizeof rest_routes[0]; i++) {
        if (!match(&path, rest_routes[i].pattern, caps))
            continue;
        if (!(method_bit(r->method) & rest_routes[i].methods))
            return plain(r, 405, "405 Method Not Allowed\n");
        return dispatch(r, rest_routes[i].ep, caps);
    }
    return plain(r, 404, "404 Not Found\n");
}

enum MHD_Result rest_error(struct req *r, uint32_t code, const char *message)
{
    char num[24];
    switch (r->sw.code_format) {
    case CODE_UNSIGNED: snprintf(num, sizeof num, "%u", code); break;
    case CODE_HEX: snprintf(num, sizeof num, "\"0x%08X\"", code); break;
    default: snprintf(num, sizeof num, "%d", (int32_t)code); break;
    }
    struct buf b = {0};
    /* the 2.2.0.0 layout; json_malformed drops the comma as that build did */
    buf_printf(&b, "{\n\"success\":false,\n\"error_code\":%s%s\n\"error_message\":\"%s\"\n}\n",
               num, r->sw.json_malformed ? "" : ",", message);
    enum MHD_Result rc = http_reply(r, 403, "Content-Type", "application/json",
                                    b.p ? (const char *)b.p : "", b.len);
    buf_free(&b);
    return rc;
}

/* `ver` absent or 1.0.0 <= ver <= --api-version (1.3.1). */
static bool ver_ok(const char *v, int newest)
{
    if (!v)
        return true;
    int a, b, c, n = 0;
    if (sscanf(v, "%d.%d.%d%n", &a, &b, &c, &n) != 3 || v[n])
        return false;
    long x = a * 10000L + b * 100L + c;
    return a >= 0 && b >= 0 && b < 100 && c >= 0 && c < 100 && x >= 10000 && x <= newest;
}

bool rest_refused(struct req *r, enum MHD_Result *rc)
{
    const char *sid = req_param(r, "sid");
    if (!sid) /* QNAP's later URLs carry the sid as qsauth_token */
        sid = req_param(r, "qsauth_token");
    r->user = auth_user_of_sid(r->sim, sid);
    if (r->user < 0) {
        *rc = rest_error(r, E_REST_AUTH, "Authorization failed");
        return true;
    }
    if (!r->sim->cfg.users[r->user].surveillance) {
        *rc = rest_error(r, E_REST_PERMISSION, "Insufficient permissions");
        return true;
    }
    if (!ver_ok(req_param(r, "ver"), r->sim->opt.api_version)) {
        *rc = rest_error(r, E_REST_VERSION, "API version not supported");
        return true;
    }
    return false;
}

enum MHD_Result rest_json_text(struct req *r, unsigned status, const char *text)
{
    return http_reply(r, status, "Content-Type", "application/json", text, strlen(text));
}

enum MHD_Result rest_json(struct req *r, unsigned status, cJSON *root, bool formatted)
{
    char *text = root ? (formatted ? cJSON_Print(root) : cJSON_PrintUnformatted(root)) : NULL;
    cJSON_Delete(root);
    if (!text)
        return rest_error(r, E_REST_NOMEM, "Failed to allocate memory");
    struct buf b = {0};
    buf_adds(&b, text);
    if (formatted)
        buf_adds(&b, "\n");
    free(text);
    enum MHD_Result rc = http_reply(r, status, "Content-Type", "application/json",
                                    b.p ? (const char *)b.p : "", b.len);
    buf_free(&b);
    return rc;
}

const struct camera *rest_camera(const struct req *r, const char *guid)
{
    const struct config *c = &r->sim->cfg;
    for (size_t i = 0; guid && i < c->ncameras; i++)
        if (!strcasecmp(c->cameras[i].guid, guid))
            return &c->cameras[i];
    return NULL;
}

void rest_host(const struct req *r, char *host, size_t n, int *port)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
    *port = 80;
    if (!h || !*h) {
        copy_str(host, n, "127.0.0.1");
        return;
    }
    const char *colon = h[0] == '[' ? strchr(h, ']') : h;
    colon = colon ? strchr(colon, ':') : NULL;
    size_t len = colon ? (size_t)(colon - h) : strlen(h);
    if (len >= n)
        len = n - 1;
    memcpy(host, h, len);
    host[len] = '\0';
    if (colon)
        *port = atoi(colon + 1);
}

const char *rest_body(struct req *r)
{
    struct buf *b = &r->body;
    if (buf_add(b, "", 1) != 0)
        return "";
    b->len--; /* keep the NUL out of the length */
    return (const char *)b->p;
}

int rest_init(struct sim *s)
{
    s->rest.alarm_on = calloc(s->cfg.ncameras ? s->cfg.ncameras : 1, sizeof *s->rest.alarm_on);
    return s->rest.alarm_on ? vault_init(s) : -1;
}

void rest_free(struct sim *s)
{
    rtsp_stop(s);
    free(s->rest.shares);
    free(s->rest.alarm_on);
    vault_free(s);
    memset(&s->rest, 0, sizeof s->rest);
}
