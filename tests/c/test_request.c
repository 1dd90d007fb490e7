/*
 * test_request.c - unit tests of the endpoint table and the request
 * builder (request.c, TAP).
 *
 * Every endpoint builds the exact path and query the client has always sent
 * (docs/PROTOCOL.md, docs/REST.md): the sid first, the other parameters in
 * their wire order, fixed values and defaults filled in, values and path
 * segments percent-encoded.  Unknown endpoints, unknown, fixed or repeated
 * parameters, missing required ones and a buffer too small are errors that
 * say which, and leave nothing of the sid in the buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "tap.h"

#define MAXKV 12

struct want {
    const char *name;
    const char *params[2 * MAXKV + 1];   /* key, value, ..., NULL */
    const char *method;
    const char *target;
};

static const struct qvr_req_ctx ctx = {"/qvrpro", "SID1"};

static const struct want wants[] = {
    {"login", {"user", "admin", "pwd", "c2VjcmV0", NULL}, "GET",
     "/cgi-bin/authLogin.cgi?user=admin&serviceKey=1&pwd=c2VjcmV0"},
    {"logout", {NULL}, "GET", "/cgi-bin/authLogout.cgi?sid=SID1&logout=1"},
    {"qvrentry", {NULL}, "GET", "/qvrentry"},
    {"camera_status.list", {"name", "door", "rec_days", "1", "status", "1", NULL}, "GET",
     "/qvrpro/apis/camera_status.cgi?sid=SID1&act=list&get_rec_days=1&name=door&status=1"},
    {"camera_status.cpu", {NULL}, "GET", "/qvrpro/apis/camera_status.cgi?sid=SID1&act=cpu"},
    {"camera_status.rec_status", {"guid", "G1", NULL}, "GET",
     "/qvrpro/apis/camera_status.cgi?sid=SID1&act=rec_status&guid=G1&stream_id=0"},
    {"mrec.start", {"ch", "2", NULL}, "GET", "/qvrpro/apis/mrec.cgi?sid=SID1&act=1&ch=2"},
    {"mrec.stop", {"ch", "2", NULL}, "GET", "/qvrpro/apis/mrec.cgi?sid=SID1&act=0&ch=2"},
    {"getliveimage", {"guid", "G1", "origin", "1", "stream_id", "1", NULL}, "GET",
     "/qvrpro/apis/getliveimage.cgi?sid=SID1&guid=G1&origin=1&stream_id=1"},
    {"logs", {"level", "1,2", "start", "0", "max_results", "100", "dir", "ASC",
              "user", "a b", NULL}, "GET",
     "/qvrpro/logs/logs?sid=SID1&dir=ASC&level=1%2C2&max_results=100&start=0&user=a%20b"},
    {"getstream", {"ch_sid", "G1", "audio", "0", NULL}, "GET",
     "/qvrpro/streaming/getstream.cgi?sid=SID1&audio=0&ch_sid=G1&stream_id=0"},
    {"qplay.open", {"ch_sid", "G1", "start_time", "1000", "end_time", "2000", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?sid=SID1&ch_sid=G1&cmd=open&data_type=1&end_time=2000&query_type=0"
     "&recording_type=0&start_time=1000&stream=0&stream_id=0&ver=v1"},
    {"qplay.get", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=get&session=abc&ver=v1"},
    {"qplay.seek", {"session", "abc", "seek_time", "5", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=seek&seek_time=5&session=abc&ver=v1"},
    {"qplay.play", {"session", "abc", "speed", "10", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=play&session=abc&speed=10&ver=v1"},
    {"qplay.pause", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=pause&session=abc&ver=v1"},
    {"qplay.speed", {"session", "abc", "speed", "40", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=speed&session=abc&speed=40&ver=v1"},
    {"qplay.ff", {"session", "abc", NULL}, "GET", "/qvrpro/apis/qplay.cgi?cmd=ff&session=abc&ver=v1"},
    {"qplay.rew", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=rew&session=abc&ver=v1"},
    {"qplay.next_frame", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=next_frame&session=abc&ver=v1"},
    {"qplay.prev_frame", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=prev_frame&session=abc&ver=v1"},
    {"qplay.all_frame", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=all_frame&session=abc&ver=v1"},
    {"qplay.skip_frame", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=skip_frame&session=abc&ver=v1"},
    {"qplay.live", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=live&session=abc&ver=v1"},
    {"qplay.timecontrol", {"session", "abc", "enable", "0", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=timecontrol&enable=0&session=abc&ver=v1"},
    {"qplay.playclose", {"session", "abc", "enable", "1", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?cmd=playclose&enable=1&session=abc&ver=v1"},
    {"qplay.close", {"session", "abc", NULL}, "GET",
     "/qvrpro/apis/qplay.cgi?ver=v1&cmd=close&session=abc"},
    {"camera.list", {"guid", "G1", NULL}, "GET", "/qvrpro/camera/list?sid=SID1&guid=G1&ver=1.1.0"},
    {"camera.capability", {NULL}, "GET",
     "/qvrpro/camera/capability?sid=SID1&act=get_camera_capability&ver=1.1.0"},
    {"camera.event_capability", {NULL}, "GET",
     "/qvrpro/camera/capability?sid=SID1&act=get_event_capability&ver=1.1.0"},
    {"camera.support", {NULL}, "GET", "/qvrpro/camera/support?sid=SID1&ver=1.1.0"},
    {"camera.search", {NULL}, "GET", "/qvrpro/camera/search?sid=SID1&ver=1.1.0"},
    {"camera.test", {"umsid", "U1", "address", "10.0.0.5", "channel", "3", NULL}, "GET",
     "/qvrpro/camera/test?sid=SID1&ipcam_address=10.0.0.5&ipcam_password=&ipcam_port=80"
     "&ipcam_rtsp_port=554&ipcam_umsid=U1&ipcam_username=&nvr_channel_id=3&ver=1.1.0"},
    {"camera.snapshot", {"guid", "G1", "image_ts", "1700000000000", NULL}, "GET",
     "/qvrpro/camera/snapshot/G1?sid=SID1&image_ts=1700000000000&ver=1.2.0"},
    {"camera.mrec.start", {"guid", "G1", NULL}, "PUT",
     "/qvrpro/camera/mrec/G1/start?sid=SID1&ver=1.1.0"},
    {"camera.mrec.stop", {"guid", "G1", NULL}, "PUT",
     "/qvrpro/camera/mrec/G1/stop?sid=SID1&ver=1.1.0"},
    {"camera.alarm.start", {"guid", "G1", NULL}, "PUT",
     "/qvrpro/camera/alarm/G1/start?sid=SID1&ver=1.1.0"},
    {"camera.alarm.stop", {"guid", "G1", NULL}, "PUT",
     "/qvrpro/camera/alarm/G1/stop?sid=SID1&ver=1.1.0"},
    {"ptz.invoke", {"guid", "G1", "action", "start_move", "direction", "up", NULL}, "PUT",
     "/qvrpro/ptz/v1/channel_list/G1/ptz/action_list/start_move/invoke?sid=SID1&direction=up"},
    {"camera.recordingfile", {"guid", "G1", "stream", "0", "start_time", "60000",
                              "end_time", "120000", NULL}, "GET",
     "/qvrpro/camera/recordingfile/G1/0?sid=SID1&end_time=120000&start_time=60000&ver=1.2.0"},
    {"qshare.channels", {NULL}, "GET", "/qvrpro/qshare/StreamingOutput/channels?sid=SID1"},
    {"qshare.streams", {"guid", "G1", NULL}, "GET",
     "/qvrpro/qshare/StreamingOutput/channel/G1/streams?sid=SID1"},
    {"qshare.live_stream", {"guid", "G1", "stream", "0", NULL}, "POST",
     "/qvrpro/qshare/StreamingOutput/channel/G1/stream/0/liveStream?sid=SID1"},
    {"qshare.live_stream.delete", {"guid", "G1", "stream", "rtsp", NULL}, "DELETE",
     "/qvrpro/qshare/StreamingOutput/channel/G1/stream/rtsp/liveStream?sid=SID1"},
    {"vault.check_name", {"vault_name", "Till 1", NULL}, "GET",
     "/qvrpro/qvrip/Vault/checkVaultName?sid=SID1&vault_name=Till%201"},
    {"vault.add", {NULL}, "POST", "/qvrpro/qvrip/Vault/addVault?sid=SID1"},
    {"vault.remove", {NULL}, "POST", "/qvrpro/qvrip/Vault/removeVault?sid=SID1"},
    {"vault.modify", {NULL}, "PUT", "/qvrpro/qvrip/Vault/modifyVault?sid=SID1"},
    {"vault.list", {NULL}, "GET", "/qvrpro/qvrip/Vault/getVaultList?sid=SID1&type=GENERIC"},
    {"vault.info", {"vault_id", "ID12", NULL}, "GET",
     "/qvrpro/qvrip/Vault/getVaultInfo/ID12?sid=SID1"},
    {"vault.filter.modify", {NULL}, "POST", "/qvrpro/qvrip/Filter/modifyFilter?sid=SID1"},
    {"vault.filter.test", {NULL}, "POST", "/qvrpro/qvrip/Filter/testFilter?sid=SID1"},
    {"vault.notify", {"vault_id", "ID12", NULL}, "POST",
     "/qvrpro/qvrip/Event/recvNotify/Generic/ID12"},
    {"vault.query", {"limit", "20", NULL}, "POST",
     "/qvrpro/qvrip/Metadata/Query?sid=SID1&limit=20&start=0"},
    {"vault.retention", {NULL}, "GET", "/qvrpro/qvrip/Metadata/configure_retention?sid=SID1"},
    {"vault.retention.set", {NULL}, "POST", "/qvrpro/qvrip/Metadata/configure_retention?sid=SID1"},
};

#define N_WANTS (sizeof wants / sizeof wants[0])

static size_t to_kv(const char *const *params, struct qvr_kv *kv)
{
    size_t n = 0;
    for (; params[2 * n]; n++) {
        kv[n].key = params[2 * n];
        kv[n].value = params[2 * n + 1];
        kv[n].len = strlen(kv[n].value);
    }
    return n;
}

static enum qvr_req_err build(const char *name, const char *const *params, char *buf,
                              size_t cap, struct qvr_req_error *err)
{
    struct qvr_kv kv[MAXKV];
    size_t n = to_kv(params, kv), len;
    return qvr_request(name, &ctx, kv, n, buf, cap, &len, err);
}

static void test_every_endpoint(void)
{
    size_t i, covered = 0;
    for (i = 0; i < N_WANTS; i++) {
        char buf[512];
        struct qvr_req_error err;
        const struct qvr_endpoint *ep = qvr_endpoint_find(wants[i].name);
        enum qvr_req_err rc = build(wants[i].name, wants[i].params, buf, sizeof buf, &err);
        tap_ok(rc == QVR_REQ_OK && strcmp(buf, wants[i].target) == 0 && ep &&
               strcmp(ep->method, wants[i].method) == 0,
               "%s: %s %s", wants[i].name, ep ? ep->method : "?",
               rc == QVR_REQ_OK ? buf : err.message);
    }
    for (i = 0; qvr_endpoint_at(i); i++) {
        const char *name = qvr_endpoint_at(i)->name;
        int found = 0;
        for (size_t j = 0; j < N_WANTS; j++)
            found |= strcmp(wants[j].name, name) == 0;
        if (found)
            covered++;
        else
            tap_ok(0, "endpoint %s has a test", name);
    }
    tap_ok(covered == i && i == N_WANTS, "the table's %zu endpoints are all tested", i);
}

/* The query goes out in wire order: sid first, then sorted by name, but
 * for the three requests that always went out otherwise. */
static void test_wire_order(void)
{
    int ok = 1;
    for (size_t i = 0; qvr_endpoint_at(i); i++) {
        const struct qvr_endpoint *ep = qvr_endpoint_at(i);
        const char *prev = "";
        if (!strcmp(ep->name, "login") || !strcmp(ep->name, "logout") ||
            !strcmp(ep->name, "qplay.close"))
            continue;
        for (const struct qvr_param *p = ep->params; p->wire; p++) {
            if (p->flags & (QVR_P_PATH | QVR_P_SID))
                continue;
            if (strcmp(prev, p->wire) >= 0) {
                ok = 0;
                tap_ok(0, "%s: %s after %s", ep->name, p->wire, prev);
            }
            prev = p->wire;
        }
        if ((ep->flags & QVR_EP_SID) != (ep->params[0].wire && (ep->params[0].flags & QVR_P_SID)))
            ok = 0, tap_ok(0, "%s: the sid flag and the sid parameter disagree", ep->name);
    }
    tap_ok(ok, "every query is in wire order (sid first, then sorted)");
}

static void test_encoding(void)
{
    char buf[512];
    struct qvr_req_ctx c = {"/my prefix/q", "s d"};
    struct qvr_kv kv[] = {{"guid", "a/b?c", 5}, {"image_ts", "1 2", 3}};
    struct qvr_kv logs[] = {{"user", "\xc3\xa4&=+%", 6}, {"level", "", 0}};
    size_t len;
    tap_ok(qvr_request("camera.snapshot", &c, kv, 2, buf, sizeof buf, &len, NULL) == QVR_REQ_OK &&
           strcmp(buf, "/my%20prefix/q/camera/snapshot/a%2Fb%3Fc?sid=s%20d&image_ts=1%202"
                       "&ver=1.2.0") == 0 && len == strlen(buf),
           "prefix keeps '/', path segments and values are percent-encoded: %s", buf);
    tap_ok(qvr_request("logs", &ctx, logs, 2, buf, sizeof buf, NULL, NULL) == QVR_REQ_OK &&
           strcmp(buf, "/qvrpro/logs/logs?sid=SID1&level=&user=%C3%A4%26%3D%2B%25") == 0,
           "UTF-8 and reserved bytes encoded, an empty value kept: %s", buf);
    struct qvr_kv ver[] = {{"ver", "1.3.1", 5}};
    tap_ok(qvr_request("camera.list", &ctx, ver, 1, buf, sizeof buf, NULL, NULL) == QVR_REQ_OK &&
           strcmp(buf, "/qvrpro/camera/list?sid=SID1&ver=1.3.1") == 0,
           "a given ver replaces the default");
    struct qvr_kv legacy[] = {{"guid", "G", 1}, {"time", "5000", 4}, {"pre_period", "1000", 4},
                              {"post_period", "1000", 4}, {"stream", "1", 1}};
    tap_ok(qvr_request("camera.recordingfile", &ctx, legacy, 5, buf, sizeof buf, NULL, NULL) ==
               QVR_REQ_OK &&
           strcmp(buf, "/qvrpro/camera/recordingfile/G/1?sid=SID1&post_period=1000"
                       "&pre_period=1000&time=5000&ver=1.1.0") == 0,
           "recordingfile's time form keeps ver 1.1.0: %s", buf);
    struct qvr_kv empty_sid_kv[] = {{"guid", "G", 1}};
    struct qvr_req_ctx nosid = {"/qvrpro", ""};
    tap_ok(qvr_request("camera_status.rec_status", &nosid, empty_sid_kv, 1, buf, sizeof buf,
                       NULL, NULL) == QVR_REQ_OK &&
           strncmp(buf, "/qvrpro/apis/camera_status.cgi?sid=&", 36) == 0,
           "a session not logged in sends an empty sid (the server refuses it)");
}

static void expect_error(const char *name, const char *const *params,
                         const struct qvr_req_ctx *c, enum qvr_req_err want, const char *word,
                         const char *what)
{
    char buf[512];
    struct qvr_kv kv[MAXKV];
    struct qvr_req_error err;
    size_t n = to_kv(params, kv), len = 99;
    enum qvr_req_err rc = qvr_request(name, c, kv, n, buf, sizeof buf, &len, &err);
    tap_ok(rc == want && err.code == want && strstr(err.message, word) && buf[0] == '\0' &&
           !strstr(buf, "SID1"), "%s: %s", what, err.message);
}

static void test_errors(void)
{
    static const char *const none[] = {NULL};
    static const char *const typo[] = {"session", "a", "seek_tme", "1", NULL};
    static const char *const fixed[] = {"session", "a", "cmd", "close", NULL};
    static const char *const sid[] = {"sid", "x", NULL};
    static const char *const twice[] = {"session", "a", "session", "b", NULL};
    static const char *const no_time[] = {"session", "a", NULL};
    static const char *const no_guid[] = {"image_ts", "1", NULL};
    static const char *const empty_guid[] = {"guid", "", NULL};
    static const char *const guid[] = {"guid", "G1", NULL};
    static const char *const wire_name[] = {"umsid", "U", "address", "A", "ipcam_port", "1", NULL};
    struct qvr_req_ctx no_prefix = {NULL, "SID1"}, no_sid = {"/qvrpro", NULL};
    char buf[64];
    struct qvr_req_error err;
    expect_error("qplay.nonsense", none, &ctx, QVR_REQ_UNKNOWN_ENDPOINT, "qplay.nonsense",
                 "an unknown endpoint");
    expect_error("qplay.seek", typo, &ctx, QVR_REQ_UNKNOWN_PARAM, "seek_tme", "a misspelt parameter");
    expect_error("qplay.seek", fixed, &ctx, QVR_REQ_UNKNOWN_PARAM, "'cmd'",
                 "a fixed parameter cannot be given");
    expect_error("camera.list", sid, &ctx, QVR_REQ_UNKNOWN_PARAM, "'sid'",
                 "the sid comes from the session, not the caller");
    expect_error("qplay.seek", twice, &ctx, QVR_REQ_DUPLICATE_PARAM, "session", "a repeated parameter");
    expect_error("qplay.seek", no_time, &ctx, QVR_REQ_MISSING_PARAM, "seek_time",
                 "a missing required query parameter");
    expect_error("camera.snapshot", no_guid, &ctx, QVR_REQ_MISSING_PARAM, "guid",
                 "a missing path parameter");
    expect_error("camera.snapshot", empty_guid, &ctx, QVR_REQ_BAD_VALUE, "guid",
                 "an empty path segment");
    expect_error("camera.snapshot", guid, &no_prefix, QVR_REQ_MISSING_PARAM, "prefix",
                 "no prefix in the context");
    struct qvr_req_ctx rel = {"qvrpro", "SID1"}, empty = {"", "SID1"};
    expect_error("camera.snapshot", guid, &rel, QVR_REQ_BAD_VALUE, "qvrpro",
                 "a prefix must start with '/'");
    tap_ok(qvr_request("qshare.channels", &empty, NULL, 0, buf, sizeof buf, NULL, &err) ==
               QVR_REQ_OK && strcmp(buf, "/qshare/StreamingOutput/channels?sid=SID1") == 0,
           "an empty prefix: %s", buf);
    expect_error("camera.snapshot", guid, &no_sid, QVR_REQ_MISSING_PARAM, "sid",
                 "no sid in the context");
    expect_error("camera.test", wire_name, &ctx, QVR_REQ_UNKNOWN_PARAM, "ipcam_port",
                 "a renamed parameter is given by its caller name only");
    struct qvr_kv nul[] = {{"session", "a\0b", 3}};
    tap_ok(qvr_request("qplay.live", &ctx, nul, 1, buf, sizeof buf, NULL, &err) == QVR_REQ_BAD_VALUE,
           "a NUL byte in a value: %s", err.message);
    struct qvr_kv nokey[] = {{NULL, "a", 1}};
    tap_ok(qvr_request("qplay.live", &ctx, nokey, 1, buf, sizeof buf, NULL, &err) == QVR_REQ_BAD_VALUE,
           "a parameter without a name: %s", err.message);
    tap_ok(qvr_request(NULL, &ctx, NULL, 0, buf, sizeof buf, NULL, &err) == QVR_REQ_UNKNOWN_ENDPOINT,
           "a NULL name");
    tap_ok(qvr_request_build(NULL, &ctx, NULL, 0, buf, sizeof buf, NULL, NULL) ==
               QVR_REQ_UNKNOWN_ENDPOINT, "a NULL endpoint, no error struct");
}

static void test_overflow(void)
{
    static const char *const p[] = {"guid", "G1", NULL};
    const char *want = "/qvrpro/camera/mrec/G1/start?sid=SID1&ver=1.1.0";
    size_t n = strlen(want), len = 0;
    struct qvr_kv kv[MAXKV];
    struct qvr_req_error err;
    char *buf = malloc(n + 1);
    int ok = 1;
    to_kv(p, kv);
    tap_ok(qvr_request("camera.mrec.start", &ctx, kv, 1, NULL, 0, &len, &err) == QVR_REQ_OVERFLOW &&
               len == n, "a NULL buffer reports the size needed (%zu)", len);
    for (size_t cap = 1; cap <= n; cap++) {
        memset(buf, 'x', n + 1);
        if (qvr_request("camera.mrec.start", &ctx, kv, 1, buf, cap, &len, &err) != QVR_REQ_OVERFLOW ||
            len != n || memchr(buf, 'S', cap) || buf[cap] != 'x')
            ok = 0;
    }
    tap_ok(ok, "every buffer shorter than %zu + 1 overflows, wiped, nothing written past it", n);
    tap_ok(strstr(err.message, "camera.mrec.start") != NULL, "the overflow names the endpoint: %s",
           err.message);
    tap_ok(qvr_request("camera.mrec.start", &ctx, kv, 1, buf, n + 1, &len, &err) == QVR_REQ_OK &&
               strcmp(buf, want) == 0, "exactly %zu + 1 bytes fit", n);
    free(buf);
    /* a long value: the size needed grows three-fold with encoded bytes */
    char *big = malloc(3000), out[16];
    memset(big, ' ', 3000);
    struct qvr_kv bk[] = {{"user", big, 3000}};
    tap_ok(qvr_request("logs", &ctx, bk, 1, out, sizeof out, &len, &err) == QVR_REQ_OVERFLOW &&
               len == strlen("/qvrpro/logs/logs?sid=SID1&user=") + 9000,
           "3000 spaces need %zu bytes", len);
    free(big);
}

static void test_own_params(void)
{
    struct qvr_kv kv[2];
    char buf[256];
    size_t n = qvr_login_params(kv, "a d", "cA==", 4);
    tap_ok(n == 2 && qvr_request("login", &ctx, kv, n, buf, sizeof buf, NULL, NULL) == QVR_REQ_OK &&
               strcmp(buf, "/cgi-bin/authLogin.cgi?user=a%20d&serviceKey=1&pwd=cA%3D%3D") == 0,
           "the login's parameters: %s", buf);
    n = qvr_qplay_close_params(kv, "abc");
    tap_ok(n == 1 && qvr_request("qplay.close", &ctx, kv, n, buf, sizeof buf, NULL, NULL) ==
                         QVR_REQ_OK &&
               strcmp(buf, "/qvrpro/apis/qplay.cgi?ver=v1&cmd=close&session=abc") == 0,
           "qplay close's parameters: %s", buf);
}

static void test_table(void)
{
    int ok = 1, secret = 0;
    for (size_t i = 0; qvr_endpoint_at(i); i++) {
        const struct qvr_endpoint *ep = qvr_endpoint_at(i);
        if (qvr_endpoint_find(ep->name) != ep)
            ok = 0, tap_ok(0, "%s is named twice", ep->name);
        if (ep->family == QVR_FAMILY_REST && strncmp(ep->path, "{prefix}/", 9) != 0)
            ok = 0, tap_ok(0, "%s: a REST path below the prefix", ep->name);
        if (ep->flags & QVR_EP_SECRET)
            secret++;
    }
    tap_ok(ok, "names are unique, REST paths start at the prefix");
    tap_ok(secret == 1 && (qvr_endpoint_find("login")->flags & QVR_EP_SECRET),
           "only the login carries a credential in its query");
    tap_ok(qvr_endpoint_find("logs")->flags & QVR_EP_LOGS_PORT, "logs are on the logs port");
    tap_ok(qvr_endpoint_find("camera.snapshot")->kind == QVR_KIND_REST_IMAGE &&
               qvr_endpoint_find("getliveimage")->kind == QVR_KIND_IMAGE &&
               qvr_endpoint_find("qplay.open")->kind == QVR_KIND_LINES &&
               qvr_endpoint_find("camera.recordingfile")->kind == QVR_KIND_REST_MEDIA,
           "answer kinds");
}

int main(void)
{
    test_every_endpoint();
    test_wire_order();
    test_encoding();
    test_errors();
    test_overflow();
    test_own_params();
    test_table();
    return tap_done();
}
