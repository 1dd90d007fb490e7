/*
 * config.c - reads the users and cameras from JSON and validates them.
 */
#include "config.h"
#include "media.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ctx {
    char *err;
    size_t errlen;
    const char *dir;      /* the config file's directory ("" for the built-in one) */
};

static int fail(struct ctx *x, const char *fmt, const char *what, size_t idx)
{
    char msg[200];
    snprintf(msg, sizeof msg, fmt, what);
    snprintf(x->err, x->errlen, "config: item %zu: %s", idx, msg);
    return -1;
}

/* A string member, or def when absent; -1 when present but not a string or
 * too long. */
static int get_str(const cJSON *o, const char *key, const char *def, char *out, size_t n,
                   struct ctx *x, size_t idx)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (!def)
            return fail(x, "missing \"%s\"", key, idx);
        copy_str(out, n, def);
        return 0;
    }
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= n)
        return fail(x, "\"%s\" must be a (short enough) string", key, idx);
    copy_str(out, n, v->valuestring);
    return 0;
}

static int get_bool(const cJSON *o, const char *key, bool def, bool *out, struct ctx *x,
                    size_t idx)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsBool(v))
        return fail(x, "\"%s\" must be true or false", key, idx);
    *out = cJSON_IsTrue(v);
    return 0;
}

static bool all_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int load_user(struct user *u, const cJSON *o, struct ctx *x, size_t i)
{
    if (!cJSON_IsObject(o))
        return fail(x, "%s", "a user must be an object", i);
    if (get_str(o, "name", NULL, u->name, sizeof u->name, x, i) ||
        get_str(o, "password", NULL, u->password, sizeof u->password, x, i) ||
        get_bool(o, "admin", false, &u->admin, x, i) ||
        get_bool(o, "surveillance", u->admin, &u->surveillance, x, i))
        return -1;
    if (!u->name[0])
        return fail(x, "%s", "empty user name", i);
    return 0;
}

static int load_gaps(struct camera *c, const cJSON *o, struct ctx *x, size_t i)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "gaps");
    if (!g)
        return 0;
    if (!cJSON_IsArray(g))
        return fail(x, "%s", "\"gaps\" must be an array of [from, length]", i);
    int n = cJSON_GetArraySize(g);
    c->gaps = calloc((size_t)n + 1, sizeof *c->gaps);
    if (!c->gaps)
        return fail(x, "%s", "out of memory", i);
    const cJSON *e;
    cJSON_ArrayForEach(e, g) {
        const cJSON *a = cJSON_GetArrayItem(e, 0), *b = cJSON_GetArrayItem(e, 1);
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsNumber(a) ||
            !cJSON_IsNumber(b) || a->valuedouble < 0 || b->valuedouble <= 0)
            return fail(x, "%s", "a gap is [from_offset_seconds >= 0, length_seconds > 0]", i);
        struct gap *gp = &c->gaps[c->ngaps++];
        gp->from_ms = (int64_t)(a->valuedouble * 1000);
        gp->len_ms = (int64_t)(b->valuedouble * 1000);
    }
    for (size_t k = 1; k < c->ngaps; k++) /* insertion sort by start */
        for (size_t j = k; j > 0 && c->gaps[j].from_ms < c->gaps[j - 1].from_ms; j--) {
            struct gap t = c->gaps[j];
            c->gaps[j] = c->gaps[j - 1];
            c->gaps[j - 1] = t;
        }
    return 0;
}

static int parse_status(const char *s, enum cam_status *out)
{
    static const char *const names[] = {"connected", "disconnected", "idle", "unsupported"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *out = (enum cam_status)i;
            return 0;
        }
    return -1;
}

static int load_media_fields(struct camera *c, const cJSON *o, struct ctx *x, size_t i)
{
    char video[32], audio[32], status[32], vf[8], af[8];
    if (get_str(o, "video", "h264_360p", video, sizeof video, x, i) ||
        get_str(o, "audio", "none", audio, sizeof audio, x, i) ||
        get_str(o, "status", "connected", status, sizeof status, x, i))
        return -1;
    if ((c->video = video_kind_by_name(video)) < 0)
        return fail(x, "unknown video \"%s\" (h264_720p, h264_360p, mjpeg)", video, i);
    if ((c->audio = audio_kind_by_name(audio)) < 0)
        return fail(x, "unknown audio \"%s\" (aac, g711, g726, none)", audio, i);
    if (parse_status(status, &c->status) != 0)
        return fail(x, "unknown status \"%s\"", status, i);
    const cJSON *fps = cJSON_GetObjectItemCaseSensitive(o, "fps");
    c->fps = cJSON_IsNumber(fps) ? fps->valueint : 10;
    if (fps && (!cJSON_IsNumber(fps) || c->fps <= 0 || 1000 % c->fps != 0))
        return fail(x, "%s", "\"fps\" must divide 1000", i);
    c->video_ms = 1000 / c->fps;
    c->audio_ms = audio_kinds[c->audio].interval_ms;
    if (get_str(o, "video_fourcc", video_kinds[c->video].fourcc, vf, sizeof vf, x, i) ||
        get_str(o, "audio_fourcc", audio_kinds[c->audio].fourcc, af, sizeof af, x, i))
        return -1;
    if (strlen(vf) != 4 || (c->audio != AUDIO_NONE && strlen(af) != 4))
        return fail(x, "%s", "fourccs have 4 characters", i);
    memcpy(c->video_fourcc, vf, 5);
    memcpy(c->audio_fourcc, af, 5);
    return 0;
}

/* "dump": a path, relative to the config file's directory unless absolute. */
static int load_dump_path(struct camera *c, const cJSON *o, struct ctx *x, size_t i)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "dump");
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return fail(x, "%s", "\"dump\" must be the path of a .qvr file", i);
    const char *p = v->valuestring;
    size_t n = strlen(x->dir) + strlen(p) + 2;
    if (!(c->dump_path = malloc(n)))
        return fail(x, "%s", "out of memory", i);
    if (p[0] == '/' || !x->dir[0])
        copy_str(c->dump_path, n, p);
    else
        snprintf(c->dump_path, n, "%s/%s", x->dir, p);
    return 0;
}

static int load_camera(struct camera *c, const cJSON *o, struct ctx *x, size_t i)
{
    char def[64];
    if (!cJSON_IsObject(o))
        return fail(x, "%s", "a camera must be an object", i);
    c->index = (int)i;
    snprintf(def, sizeof def, "Camera %zu", i + 1);
    if (get_str(o, "name", def, c->name, sizeof c->name, x, i) ||
        get_str(o, "guid", NULL, c->guid, sizeof c->guid, x, i) ||
        get_str(o, "umsid", NULL, c->umsid, sizeof c->umsid, x, i) ||
        get_str(o, "brand", "Generic", c->brand, sizeof c->brand, x, i) ||
        get_str(o, "model", "Model", c->model, sizeof c->model, x, i) ||
        get_str(o, "ver", "1.0", c->ver, sizeof c->ver, x, i) ||
        get_str(o, "port", "80", c->port, sizeof c->port, x, i) ||
        get_str(o, "rec_state", "RECORDING", c->rec_state, sizeof c->rec_state, x, i) ||
        get_bool(o, "ptz", false, &c->ptz, x, i) ||
        get_bool(o, "alarm_output", false, &c->alarm_output, x, i))
        return -1;
    snprintf(def, sizeof def, "00:08:9B:00:00:%02X", (unsigned)(i & 0xFF));
    if (get_str(o, "mac", def, c->mac, sizeof c->mac, x, i))
        return -1;
    snprintf(def, sizeof def, "10.0.0.%zu", 100 + i % 150);
    if (get_str(o, "ip", def, c->ip, sizeof c->ip, x, i))
        return -1;
    if (!all_hex(c->guid, 32))
        return fail(x, "%s", "\"guid\" must be 32 hex characters", i);
    if (strlen(c->umsid) != 16)
        return fail(x, "%s", "\"umsid\" must be 16 characters", i);
    const cJSON *snap = cJSON_GetObjectItemCaseSensitive(o, "snapshot");
    c->snapshot = cJSON_IsNumber(snap) ? snap->valueint : (int)(i % SNAPSHOT_FILES);
    if (c->snapshot < 0 || c->snapshot >= SNAPSHOT_FILES)
        return fail(x, "%s", "\"snapshot\" is 0..3 (snapN.jpg)", i);
    return load_media_fields(c, o, x, i) || load_gaps(c, o, x, i) ||
           load_dump_path(c, o, x, i);
}

static int check_unique(const struct config *c, struct ctx *x)
{
    for (size_t i = 0; i < c->ncameras; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(c->cameras[i].guid, c->cameras[j].guid))
                return fail(x, "duplicate guid %s", c->cameras[i].guid, i);
    for (size_t i = 0; i < c->nusers; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->users[i].name, c->users[j].name))
                return fail(x, "duplicate user %s", c->users[i].name, i);
    return 0;
}

static int load_array(const cJSON *root, const char *key, size_t elem, void **out, size_t *n,
                      struct ctx *x)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0) {
        snprintf(x->err, x->errlen, "config: \"%s\" must be a non-empty array", key);
        return -1;
    }
    *n = (size_t)cJSON_GetArraySize(a);
    *out = calloc(*n, elem);
    if (!*out) {
        snprintf(x->err, x->errlen, "config: out of memory");
        return -1;
    }
    return 0;
}

static int config_parse(struct config *c, const char *text, struct ctx *x)
{
    cJSON *root = cJSON_Parse(text);
    if (!cJSON_IsObject(root)) {
        snprintf(x->err, x->errlen, "config: not a JSON object");
        cJSON_Delete(root);
        return -1;
    }
    int rc = load_array(root, "users", sizeof *c->users, (void **)&c->users, &c->nusers, x);
    if (rc == 0)
        rc = load_array(root, "cameras", sizeof *c->cameras, (void **)&c->cameras,
                        &c->ncameras, x);
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(root, "users");
    const cJSON *cams = cJSON_GetObjectItemCaseSensitive(root, "cameras");
    for (size_t i = 0; rc == 0 && i < c->nusers; i++)
        rc = load_user(&c->users[i], cJSON_GetArrayItem(users, (int)i), x, i);
    for (size_t i = 0; rc == 0 && i < c->ncameras; i++)
        rc = load_camera(&c->cameras[i], cJSON_GetArrayItem(cams, (int)i), x, i);
    if (rc == 0)
        rc = check_unique(c, x);
    cJSON_Delete(root);
    return rc;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    struct ctx x = {err, errlen, ""};
    memset(c, 0, sizeof *c);
    if (!path)
        return config_parse(c, default_config_json, &x);
    uint8_t *text;
    size_t len;
    if (read_file(path, &text, &len) != 0) {
        snprintf(err, errlen, "config: cannot read %s", path);
        return -1;
    }
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    x.dir = !dir ? "" : slash ? dir : ".";
    int rc = config_parse(c, (const char *)text, &x);
    free(dir);
    free(text);
    return rc;
}

/* Appends the camera the JSON object text describes, as a config's camera. */
static int append_camera(struct config *c, const char *text, struct ctx *x)
{
    struct camera *v = realloc(c->cameras, (c->ncameras + 1) * sizeof *v);
    if (!v)
        return fail(x, "%s", "out of memory", c->ncameras);
    c->cameras = v;
    size_t i = c->ncameras;
    cJSON *o = cJSON_Parse(text);
    memset(&c->cameras[i], 0, sizeof c->cameras[i]);
    int rc = o ? load_camera(&c->cameras[i], o, x, i) : fail(x, "%s", "out of memory", i);
    cJSON_Delete(o);
    c->ncameras++; /* freed with the others, also on failure */
    return rc;
}

/* A camera named name, backed by a dump: the built-in defaults, a guid and
 * umsid derived from the name. */
static int add_dump_camera(struct config *c, const char *name, struct ctx *x)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = name; *p; p++)
        h = hash64(h ^ (unsigned char)*p);
    char text[160];
    snprintf(text, sizeof text,
             "{\"guid\": \"%016llX%016llX\", \"umsid\": \"%016llX\", \"brand\": \"qvrsim\", "
             "\"model\": \"qvr dump\"}", (unsigned long long)h,
             (unsigned long long)hash64(h), (unsigned long long)hash64(h + 1));
    int rc = append_camera(c, text, x);
    if (rc == 0)
        copy_str(c->cameras[c->ncameras - 1].name, sizeof c->cameras[0].name, name);
    return rc;
}

/* --extra-camera NAME: cameras the default config leaves out, so that the
 * camera lists the specs count stay as they are. */
static const char *const extra_cameras[][2] = {
    {"g726", "{\"name\": \"Side Gate\", \"guid\": \"6726A0D10C0A4B1E9F2E3D4C5B6A0004\", "
             "\"umsid\": \"0000000500600031\", \"brand\": \"DAHUA\", "
             "\"model\": \"IPC-HFW1230\", \"mac\": \"3C:EF:8C:10:20:30\", "
             "\"ver\": \"2.800.0000000.9.R\", \"ip\": \"10.64.104.147\", \"port\": \"80\", "
             "\"video\": \"h264_360p\", \"audio\": \"g726\", \"fps\": 10, "
             "\"status\": \"connected\", \"rec_state\": \"RECORDING\", \"gaps\": []}"},
};

bool config_extra_known(const char *name)
{
    for (size_t i = 0; i < sizeof extra_cameras / sizeof extra_cameras[0]; i++)
        if (!strcmp(extra_cameras[i][0], name))
            return true;
    return false;
}

int config_extra_camera(struct config *c, const char *name, char *err, size_t errlen)
{
    struct ctx x = {err, errlen, ""};
    for (size_t i = 0; i < sizeof extra_cameras / sizeof extra_cameras[0]; i++)
        if (!strcmp(extra_cameras[i][0], name))
            return append_camera(c, extra_cameras[i][1], &x) || check_unique(c, &x);
    snprintf(err, errlen, "unknown extra camera '%s' (g726)", name);
    return -1;
}

int config_dump_camera(struct config *c, const char *spec, char *err, size_t errlen)
{
    struct ctx x = {err, errlen, ""};
    const char *eq = strchr(spec, '=');
    char name[64];
    if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= sizeof name) {
        snprintf(err, errlen, "--dump-camera wants NAME=FILE (a name of 1..63 bytes), got '%s'",
                 spec);
        return -1;
    }
    snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
    struct camera *cam = NULL;
    for (size_t i = 0; i < c->ncameras; i++)
        if (!strcmp(c->cameras[i].name, name))
            cam = &c->cameras[i];
    if (!cam) {
        if (add_dump_camera(c, name, &x) != 0 || check_unique(c, &x) != 0)
            return -1;
        cam = &c->cameras[c->ncameras - 1];
    }
    free(cam->dump_path);
    if (!(cam->dump_path = strdup(eq + 1))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void config_free(struct config *c)
{
    for (size_t i = 0; c->cameras && i < c->ncameras; i++) {
        free(c->cameras[i].gaps);
        free(c->cameras[i].dump_path);
    }
    free(c->cameras);
    free(c->users);
    memset(c, 0, sizeof *c);
}

const struct camera *config_camera_by_guid(const struct config *c, const char *guid)
{
    if (!guid)
        return NULL;
    for (size_t i = 0; i < c->ncameras; i++)
        if (!strcasecmp(c->cameras[i].guid, guid))
            return &c->cameras[i];
    return NULL;
}

int config_user_by_name(const struct config *c, const char *name)
{
    for (size_t i = 0; i < c->nusers; i++)
        if (!strcmp(c->users[i].name, name))
            return (int)i;
    return -1;
}
