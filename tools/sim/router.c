/*
 * router.c - the MHD access handler: classifies a request, applies the
 * request-wide faults (http500, slow) and hands it to its endpoint.
 */
#include "router.h"
#include "answer.h"
#include "auth.h"
#include "handlers.h"
#include "hls.h"
#include "http.h"
#include "rest.h"
#include "sim.h"

#include <string.h>

const char *const endpoint_names[EP_COUNT] = {
    "authLogin", "authLogout", "qvrentry", "camera_status", "getliveimage", "mrec",
    "logs", "getstream", "qplay", "rest", "sim", "other",
};

typedef enum MHD_Result (*handler_fn)(struct req *r);

struct route {
    bool api;             /* path below --prefix */
    const char *path;
    int endpoint;
    handler_fn fn;
};

static const struct route routes[] = {
    {false, "/cgi-bin/authLogin.cgi", EP_LOGIN, handle_login},
    {false, "/cgi-bin/authLogin", EP_LOGIN, handle_login}, /* the SDK example's spelling */
    {false, "/cgi-bin/authLogout.cgi", EP_LOGOUT, handle_logout},
    {false, "/qvrentry", EP_QVRENTRY, handle_qvrentry},
    {true, "/apis/camera_status.cgi", EP_CAMERA_STATUS, handle_camera_status},
    {true, "/apis/getliveimage.cgi", EP_LIVEIMAGE, handle_liveimage},
    {true, "/apis/mrec.cgi", EP_MREC, handle_mrec},
    {true, "/logs/logs", EP_LOGS, handle_logs},
    {true, "/logs/logs/", EP_LOGS, handle_logs},
    {true, "/streaming/getstream.cgi", EP_GETSTREAM, handle_getstream},
    {true, "/apis/qplay.cgi", EP_QPLAY, handle_qplay},
    {false, "/sim/frames", EP_SIM, handle_sim_frames},
    {false, "/sim/stats", EP_SIM, handle_sim_stats},
    {false, "/sim/control", EP_SIM, handle_sim_control},
};

static const struct route *find_route(const struct sim *s, const char *path)
{
    size_t plen = strlen(s->opt.prefix);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *rt = &routes[i];
        if (rt->api ? (!strncmp(path, s->opt.prefix, plen) && !strcmp(path + plen, rt->path))
                    : !strcmp(path, rt->path))
            return rt;
    }
    return NULL;
}

/* The path below the prefix when it is a REST path (docs/REST.md), else NULL. */
static const char *rest_sub(const struct req *r)
{
    const char *prefix = r->sim->opt.prefix;
    size_t plen = strlen(prefix);
    if (strncmp(r->path, prefix, plen) || r->path[plen] != '/')
        return NULL;
    return rest_is_path(r->path + plen + 1) ? r->path + plen + 1 : NULL;
}

/* The SDK-2017-only CGIs that a REST-only NVR (--api rest) lacks. */
static bool sdk_only(int endpoint)
{
    return endpoint == EP_CAMERA_STATUS || endpoint == EP_LIVEIMAGE || endpoint == EP_MREC;
}

static enum MHD_Result not_found(struct req *r)
{
    static const char text[] = "404 Not Found\n";
    return http_reply(r, 404, "Content-Type", "text/plain", text, sizeof text - 1);
}

/* Lock taken: snapshot of the switches, sweeps, counters. */
static void begin(struct req *r, int endpoint)
{
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    r->sw = s->sw;
    r->endpoint = endpoint;
    int64_t now = now_ms();
    auth_sweep(s, now);
    qplay_sweep(s, now);
    s->stats.requests[endpoint]++;
    s->stats.requests_total++;
    pthread_mutex_unlock(&s->lock);
}

enum MHD_Result router_handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    struct req *r = *con_cls;
    if (!r)
        return MHD_NO;
    if (!r->seen) { /* headers only: answer on the next call, once the
                       request is complete, so the connection can stay open */
        r->seen = true;
        return MHD_YES;
    }
    if (*upload_data_size || r->handled) { /* keep up to 64 KiB of a body */
        if (!r->handled && r->body.len + *upload_data_size <= 64 * 1024)
            buf_add(&r->body, upload_data, *upload_data_size);
        else if (!r->handled)
            r->body_truncated = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    r->handled = true;
    r->conn = conn;
    copy_str(r->method, sizeof r->method, method);
    const struct route *rt = find_route(r->sim, r->path);
    const char *sub = rt ? NULL : rest_sub(r);
    const char *hls = rt || sub ? NULL : hls_name(r); /* StreamingOutput's HLS URLs */
    begin(r, rt ? rt->endpoint : sub || hls ? EP_REST : EP_OTHER);
    if (!sub && strcmp(method, "GET") && strcmp(method, "HEAD")) {
        static const char text[] = "405 Method Not Allowed\n";
        return http_reply(r, 405, "Content-Type", "text/plain", text, sizeof text - 1);
    }
    bool debug = rt && rt->endpoint == EP_SIM;
    if (!debug && fault_hits(&r->sw.slow, r->path) && req_sleep(r, r->sw.slow.value) != 0)
        return MHD_NO;
    if (!debug && fault_hits(&r->sw.http500, r->path)) {
        static const char text[] = "<html><body><h1>500 Internal Server Error</h1></body></html>\n";
        return http_reply(r, 500, "Content-Type", "text/html", text, sizeof text - 1);
    }
    if (sub) /* an old NVR (--api cgi) has no REST family */
        return r->sim->opt.api == API_CGI ? not_found(r) : rest_handle(r, sub);
    if (hls)
        return hls_handle(r, hls);
    if (rt && r->sim->opt.api == API_REST && sdk_only(rt->endpoint))
        return not_found(r);
    return rt ? rt->fn(r) : not_found(r);
}
