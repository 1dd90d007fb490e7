/*
 * rest.h - the REST family of QVR Pro API 1.x (docs/REST.md).
 *
 * Owns: recognising REST paths below the prefix, the --api mode (a REST
 * path on an old NVR answers 404), the method check (405), the checks every
 * 0xB1 call shares (sid, surveillance permission, `ver`), the 0xB1 error
 * body, the StreamingOutput error body, and the shared streaming state
 * (published HLS/RTMP tokens, the RTSP server).  The endpoints themselves
 * are in rest_camera.c, rest_stream.c and vault.c (clip.c and rtsp.c behind
 * them).
 */
#ifndef SIM_REST_H
#define SIM_REST_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct req;
struct camera;
struct cJSON;
struct rtsp_server;

/* the 0xB1 family (docs/REST.md "Errors") */
#define E_REST_VERSION      0xB1000000u
#define E_REST_AUTH         0xB1000001u
#define E_REST_PERMISSION   0xB1000002u
#define E_REST_PARAM        0xB1000003u
#define E_REST_REQUEST      0xB1000004u
#define E_REST_NOMEM        0xB1000005u
#define E_REST_SNAPSHOT     0xB1000006u
#define E_REST_ALARM        0xB1000020u

enum so_protocol { SO_RTSP, SO_HLS, SO_RTMP };

/* A published HLS/RTMP live stream (StreamingOutput). */
struct so_share {
    int cam;
    int stream;
    enum so_protocol proto;
    char token[33];
    int64_t since_ms;   /* published at (HLS: where its playlist starts, hls.c) */
};

struct rest_state {
    struct so_share *shares;    /* under sim->lock */
    size_t nshares, cap;
    bool *alarm_on;             /* per camera, under sim->lock */
    struct rtsp_server *rtsp;   /* NULL when not started */
    int rtsp_port;
    /* the Metadata Vault (vault.c), under sim->lock */
    struct cJSON *vaults, *metadata, *retention;
    int vault_seq;
};

/* A path (below the prefix) of the REST family. */
bool rest_is_path(const char *sub);

/* Answers a request whose path below the prefix is `sub` (rest_is_path). */
enum MHD_Result rest_handle(struct req *r, const char *sub);

/* ---- shared by the REST files ---- */

/* The path split on '/': at most 12 segments, each NUL-terminated. */
struct segs {
    char buf[512];
    const char *s[12];
    int n;
};

/* 0xB1 error: {"success":false,"error_code":CODE,"error_message":MSG} (403). */
enum MHD_Result rest_error(struct req *r, uint32_t code, const char *message);

/* Checks sid, permission and `ver` in the 0xB1 family; answers the error
 * and returns true when the request is refused. */
bool rest_refused(struct req *r, enum MHD_Result *rc);

/* A JSON text answer, "Content-Type: application/json", status as given. */
enum MHD_Result rest_json_text(struct req *r, unsigned status, const char *text);
/* cJSON root printed (tabs when formatted), freed. */
enum MHD_Result rest_json(struct req *r, unsigned status, struct cJSON *root, bool formatted);

/* The camera whose guid is the segment (case-insensitive), or NULL. */
const struct camera *rest_camera(const struct req *r, const char *guid);

/* Host part of the request's Host header ("127.0.0.1", "[::1]"), and its
 * port (or the listener's when the header has none). */
void rest_host(const struct req *r, char *host, size_t n, int *port);

/* The request body (POST/PUT/DELETE), NUL-terminated, possibly empty. */
const char *rest_body(struct req *r);

/* Handlers (rest_camera.c, rest_stream.c). */
enum MHD_Result rest_camera_list(struct req *r);
enum MHD_Result rest_capability(struct req *r);
enum MHD_Result rest_support(struct req *r);
enum MHD_Result rest_search(struct req *r);
enum MHD_Result rest_test(struct req *r);
enum MHD_Result rest_snapshot(struct req *r, const char *guid);
enum MHD_Result rest_mrec(struct req *r, const char *guid, const char *action);
enum MHD_Result rest_alarm(struct req *r, const char *guid, const char *action);
enum MHD_Result rest_ptz(struct req *r, const char *guid, const char *action);
enum MHD_Result rest_recordingfile(struct req *r, const char *guid, const char *stream);
enum MHD_Result rest_so_channels(struct req *r);
enum MHD_Result rest_so_streams(struct req *r, const char *guid);
enum MHD_Result rest_so_live(struct req *r, const char *guid, const char *stream, bool del);

/* The Metadata Vault: the path below "qvrip/" (vault.c). */
enum MHD_Result vault_handle(struct req *r, const char *sub);

struct sim;
int vault_init(struct sim *s);
void vault_free(struct sim *s);
int rest_init(struct sim *s);
void rest_free(struct sim *s);

#endif
