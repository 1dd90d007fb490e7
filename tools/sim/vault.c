/*
 * vault.c - the Metadata Vault ({prefix}/qvrip/...), docs/REST.md
 * "Metadata Vault".
 *
 * Vaults, their stored metadata and the retention settings are kept as cJSON
 * under the simulator lock, for the simulator's life.  Every answer is the
 * ReturnStatus envelope; errors are the 0xC4 family (signed decimal).
 * recvTestData/stopRecvData (a blocking test channel) are not simulated.
 */
#include "auth.h"
#include "http.h"
#include "rest.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define E_V_NO_BODY     0xC4000002u
#define E_V_MISSING     0xC4000003u
#define E_V_INVALID     0xC4000004u
#define E_V_AUTH        0xC4000005u
#define E_V_PERMISSION  0xC400000Au
#define E_V_CHANNEL     0xC400000Eu
#define E_V_JSON        0xC4000100u
#define E_V_FIELD       0xC4000101u
#define E_V_DISABLED    0xC4000402u
#define E_V_EXISTS      0xC4010000u
#define E_V_NO_VAULT    0xC4010001u
#define E_V_FULL        0xC4010002u
#define E_V_TOO_LARGE   0xC4050002u
#define MAX_VAULTS      128
#define MAX_METADATA    100000

static const char api_root[] = "/QVRIP//home/httpd/cgi-bin/qvrpro/apis/";

/* {"ReturnStatus": {"requestURL", "statusCode", "statusString"[, "extra"]}} */
static enum MHD_Result envelope(struct req *r, unsigned status, const char *area, uint32_t code,
                                const char *text, cJSON *extra)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", api_root, area);
    cJSON *root = cJSON_CreateObject();
    cJSON *rs = cJSON_AddObjectToObject(root, "ReturnStatus");
    cJSON_AddStringToObject(rs, "requestURL", url);
    cJSON_AddNumberToObject(rs, "statusCode", (int32_t)code);
    cJSON_AddStringToObject(rs, "statusString", text);
    if (extra)
        cJSON_AddItemToObject(rs, "extra", extra);
    return rest_json(r, status, root, true);
}

static enum MHD_Result ok(struct req *r, const char *area, cJSON *extra)
{
    return envelope(r, 200, area, 0, "OK", extra);
}

static enum MHD_Result fail(struct req *r, const char *area, uint32_t code, const char *text)
{
    unsigned status = code == E_V_AUTH || code == E_V_PERMISSION ? 401
                      : code == E_V_TOO_LARGE                    ? 413
                                                                 : 400;
    return envelope(r, status, area, code, text, NULL);
}

static bool refused(struct req *r, const char *area, enum MHD_Result *rc)
{
    const char *sid = req_param(r, "sid");
    r->user = auth_user_of_sid(r->sim, sid ? sid : req_param(r, "qsauth_token"));
    if (r->user < 0)
        *rc = fail(r, area, E_V_AUTH, "Authentication failed");
    else if (!r->sim->cfg.users[r->user].surveillance)
        *rc = fail(r, area, E_V_PERMISSION, "Insufficient permissions");
    else
        return false;
    return true;
}

/* The request body as JSON, or an error answered (rc set) and NULL. */
static cJSON *body_json(struct req *r, const char *area, const char *member, enum MHD_Result *rc)
{
    const char *text = rest_body(r);
    if (!*text) {
        *rc = fail(r, area, E_V_NO_BODY, "Missing request body");
        return NULL;
    }
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        *rc = fail(r, area, E_V_JSON, "Unable to parse incoming JSON text");
        return NULL;
    }
    if (member && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, member))) {
        cJSON_Delete(root);
        *rc = fail(r, area, E_V_FIELD, "Missing field");
        return NULL;
    }
    return root;
}

/* Lock held. */
static cJSON *find_vault(struct sim *s, const char *id)
{
    cJSON *v;
    cJSON_ArrayForEach(v, s->rest.vaults) {
        const cJSON *vid = cJSON_GetObjectItemCaseSensitive(v, "vault_id");
        if (id && cJSON_IsString(vid) && !strcmp(vid->valuestring, id))
            return v;
    }
    return NULL;
}

/* Lock held. */
static bool name_taken(struct sim *s, const char *name, const char *except)
{
    cJSON *v;
    cJSON_ArrayForEach(v, s->rest.vaults) {
        const char *n = cJSON_GetObjectItemCaseSensitive(v, "vault_name")->valuestring;
        if (!strcmp(n, name) && !(except && !strcmp(n, except)))
            return true;
    }
    return false;
}

static enum MHD_Result check_name(struct req *r)
{
    const char *name = req_param(r, "vault_name");
    if (!name || !*name)
        return fail(r, "Vault", E_V_MISSING, "missing parameter");
    pthread_mutex_lock(&r->sim->lock);
    bool taken = name_taken(r->sim, name, req_param(r, "original_name"));
    pthread_mutex_unlock(&r->sim->lock);
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddNumberToObject(extra, "repeated", taken ? 1 : 0);
    return ok(r, "Vault", extra);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *event_path(struct req *r)
{
    char host[256];
    int port;
    rest_host(r, host, sizeof host, &port);
    cJSON *e = cJSON_CreateObject();
    cJSON *ips = cJSON_AddArrayToObject(e, "local_ip_list");
    cJSON_AddItemToArray(ips, cJSON_CreateString(host));
    cJSON_AddNumberToObject(e, "forceSSL", 0);
    cJSON_AddNumberToObject(e, "port", port);
    cJSON_AddNumberToObject(e, "sslPort", 443);
    cJSON_AddNumberToObject(e, "extPort", port);
    cJSON_AddNumberToObject(e, "extSslPort", 443);
    cJSON_AddNumberToObject(e, "ipv6Enable", 0);
    return e;
}

static cJSON *new_vault(struct sim *s, const cJSON *in, const char *id)
{
    cJSON *v = cJSON_CreateObject();
    cJSON *oid = cJSON_AddObjectToObject(v, "_id");
    char hex[25];
    if (random_string(hex, 24, "0123456789abcdef") != 0)
        copy_str(hex, sizeof hex, "000000000000000000000000");
    cJSON_AddStringToObject(oid, "$oid", hex);
    cJSON_AddStringToObject(v, "vault_id", id);
    cJSON_AddStringToObject(v, "type", "GENERIC");
    cJSON_AddStringToObject(v, "brand", "--");
    cJSON_AddStringToObject(v, "vault_name", str_of(in, "vault_name"));
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(in, "enable");
    cJSON_AddBoolToObject(v, "enable", !cJSON_IsBool(en) || cJSON_IsTrue(en));
    const char *desc = str_of(in, "description");
    cJSON_AddStringToObject(v, "description", desc ? desc : "");
    cJSON_AddNumberToObject(v, "index", ++s->rest.vault_seq);
    cJSON_AddArrayToObject(v, "filter");
    cJSON_AddArrayToObject(v, "channel_guid_list");
    cJSON_AddNumberToObject(v, "warring_interval", 600);
    cJSON *st = cJSON_AddObjectToObject(v, "status");
    cJSON_AddStringToObject(st, "last_recv_time_str", "");
    return v;
}

static enum MHD_Result add_vault(struct req *r)
{
    enum MHD_Result rc;
    cJSON *root = body_json(r, "Vault", "vault", &rc);
    if (!root)
        return rc;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "vault");
    const char *type = str_of(in, "type"), *name = str_of(in, "vault_name");
    uint32_t code = !type || !name || !*name ? E_V_MISSING
                    : strcasecmp(type, "GENERIC") ? E_V_INVALID : 0;
    char id[35] = "ID";
    if (!code && random_string(id + 2, 32, "0123456789ABCDEF") != 0)
        code = E_V_INVALID;
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    if (!code && name_taken(s, name, NULL))
        code = E_V_EXISTS;
    if (!code && cJSON_GetArraySize(s->rest.vaults) >= MAX_VAULTS)
        code = E_V_FULL;
    if (!code)
        cJSON_AddItemToArray(s->rest.vaults, new_vault(s, in, id));
    pthread_mutex_unlock(&s->lock);
    cJSON_Delete(root);
    if (code)
        return fail(r, "Vault", code, code == E_V_EXISTS ? "vault already exist"
                                      : code == E_V_FULL ? "Vault list was full(128)"
                                      : code == E_V_MISSING ? "missing parameter"
                                                            : "invalid argument");
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "vault_id", id);
    cJSON_AddStringToObject(extra, "mycloudnas_hn", "");
    cJSON_AddStringToObject(extra, "ddns_hn", "");
    cJSON_AddStringToObject(extra, "external_ip", "");
    cJSON_AddItemToObject(extra, "event_path", event_path(r));
    return ok(r, "Vault", extra);
}

static enum MHD_Result remove_vault(struct req *r)
{
    enum MHD_Result rc;
    cJSON *root = body_json(r, "Vault", "vault", &rc);
    if (!root)
        return rc;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "vault"), "vault_id_list");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return fail(r, "Vault", E_V_MISSING, "missing parameter");
    }
    cJSON *extra = cJSON_CreateObject();
    cJSON *fails = cJSON_AddArrayToObject(extra, "fail_list");
    struct sim *s = r->sim;
    const cJSON *id;
    pthread_mutex_lock(&s->lock);
    cJSON_ArrayForEach(id, list) {
        cJSON *v = cJSON_IsString(id) ? find_vault(s, id->valuestring) : NULL;
        if (v)
            cJSON_Delete(cJSON_DetachItemViaPointer(s->rest.vaults, v));
        else
            cJSON_AddItemToArray(fails, cJSON_Duplicate(id, true));
    }
    pthread_mutex_unlock(&s->lock);
    cJSON_Delete(root);
    return ok(r, "Vault", extra);
}

/* Lock held.  channel_guid_list entries whose guid is a camera; false when
 * one is not. */
static bool bind_channels(struct sim *s, cJSON *v, const cJSON *list)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const struct camera *c = config_camera_by_guid(&s->cfg, str_of(e, "guid"));
        if (!c) {
            cJSON_Delete(out);
            return false;
        }
        cJSON *ch = cJSON_CreateObject();
        cJSON_AddNumberToObject(ch, "channel_index", c->index);
        cJSON_AddStringToObject(ch, "guid", c->guid);
        cJSON_AddStringToObject(ch, "channel_name", c->name);
        cJSON_AddItemToArray(out, ch);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(v, "channel_guid_list", out);
    return true;
}

/* Lock held. */
static uint32_t modify(struct sim *s, const cJSON *in)
{
    cJSON *v = find_vault(s, str_of(in, "vault_id"));
    if (!v)
        return E_V_NO_VAULT;
    const char *name = str_of(in, "vault_name"), *desc = str_of(in, "description");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(in, "enable");
    const cJSON *chans = cJSON_GetObjectItemCaseSensitive(in, "channel_guid_list");
    if (name && name_taken(s, name, str_of(v, "vault_name")))
        return E_V_EXISTS;
    if (chans && (!cJSON_IsArray(chans) || !bind_channels(s, v, chans)))
        return E_V_CHANNEL;
    if (name)
        cJSON_ReplaceItemInObjectCaseSensitive(v, "vault_name", cJSON_CreateString(name));
    if (desc)
        cJSON_ReplaceItemInObjectCaseSensitive(v, "description", cJSON_CreateString(desc));
    if (cJSON_IsBool(en))
        cJSON_ReplaceItemInObjectCaseSensitive(v, "enable", cJSON_CreateBool(cJSON_IsTrue(en)));
    return 0;
}

static enum MHD_Result modify_vault(struct req *r)
{
    enum MHD_Result rc;
    cJSON *root = body_json(r, "Vault", "vault", &rc);
    if (!root)
        return rc;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "vault");
    char id[64];
    copy_str(id, sizeof id, str_of(in, "vault_id") ? str_of(in, "vault_id") : "");
    pthread_mutex_lock(&r->sim->lock);
    uint32_t code = id[0] ? modify(r->sim, in) : E_V_FIELD;
    pthread_mutex_unlock(&r->sim->lock);
    cJSON_Delete(root);
    if (code)
        return fail(r, "Vault", code, code == E_V_NO_VAULT ? "vault does not exist"
                                      : code == E_V_CHANNEL
                                          ? "invalid channel or channel license required"
                                      : code == E_V_EXISTS ? "vault already exist"
                                                           : "Unable to get json object vault_id");
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "vault_id", id);
    return ok(r, "Vault", extra);
}

static enum MHD_Result vault_list(struct req *r, const char *id)
{
    const char *type = req_param(r, "type");
    if (type && *type && strcasecmp(type, "GENERIC") && strcasecmp(type, "ALL"))
        return fail(r, "Vault", E_V_INVALID, "invalid argument");
    cJSON *extra = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(extra, "vault_list");
    pthread_mutex_lock(&r->sim->lock);
    cJSON *v;
    cJSON_ArrayForEach(v, r->sim->rest.vaults)
        if (!id || !strcmp(str_of(v, "vault_id"), id))
            cJSON_AddItemToArray(list, cJSON_Duplicate(v, true));
    pthread_mutex_unlock(&r->sim->lock);
    if (id && !cJSON_GetArraySize(list)) {
        cJSON_Delete(extra);
        return fail(r, "Vault", E_V_NO_VAULT, "vault does not exist");
    }
    return ok(r, "Vault", extra);
}

/* ---- metadata ---- */

static void iso_date(int64_t ms, char out[48])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || !gmtime_r(&t, &tm)) {
        copy_str(out, 48, "--");
        return;
    }
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 48, "%s.%03dZ", day, (int)(ms % 1000));
}

/* Lock held.  One stored record. */
static void store(struct sim *s, cJSON *v, int64_t utc, const char *tz, cJSON *metadata)
{
    char num[24], date[48];
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "vault_id", str_of(v, "vault_id"));
    cJSON_AddItemToObject(m, "channel_guid_list",
                          cJSON_Duplicate(cJSON_GetObjectItem(v, "channel_guid_list"), true));
    cJSON_AddStringToObject(m, "type", "GENERIC");
    cJSON_AddStringToObject(m, "brand", "--");
    cJSON_AddStringToObject(m, "vault_name", str_of(v, "vault_name"));
    snprintf(num, sizeof num, "%lld", (long long)utc);
    cJSON_AddStringToObject(m, "utc_time", num);
    cJSON_AddStringToObject(m, "timezone", tz);
    iso_date(utc, date);
    cJSON_AddStringToObject(m, "date", date);
    cJSON_AddItemToObject(m, "metadata", metadata);
    if (cJSON_GetArraySize(s->rest.metadata) >= MAX_METADATA)
        cJSON_DeleteItemFromArray(s->rest.metadata, 0);
    cJSON_AddItemToArray(s->rest.metadata, m);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(v, "status"), "last_recv_time_str",
                                           cJSON_CreateString(num));
}

/* Lock held.  Standard format {eventObjects: [...]}, else the whole body as
 * one record stamped now (timezone "--"). */
static void store_body(struct sim *s, cJSON *v, const char *text)
{
    cJSON *root = cJSON_Parse(text);
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(root, "eventObjects");
    if (!cJSON_IsArray(events)) {
        store(s, v, now_ms(), "--", root ? root : cJSON_CreateString(text));
        return;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, events) {
        int64_t utc;
        const char *ts = str_of(e, "utc_time"), *tz = str_of(e, "timezone");
        const cJSON *num = cJSON_GetObjectItemCaseSensitive(e, "utc_time");
        if (!(ts && parse_i64(ts, &utc)))
            utc = cJSON_IsNumber(num) ? (int64_t)num->valuedouble : now_ms();
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(e, "metadata");
        store(s, v, utc, tz ? tz : "--", md ? cJSON_Duplicate(md, true) : cJSON_CreateObject());
    }
    cJSON_Delete(root);
}

/* No sid: the vault id is the key. */
static enum MHD_Result recv_notify(struct req *r, const char *id)
{
    char area[128];
    snprintf(area, sizeof area, "Event/recvNotify/Generic/%s", id);
    if (r->body_truncated)
        return fail(r, area, E_V_TOO_LARGE, "Request entity too large");
    const char *text = rest_body(r);
    if (!*text)
        return fail(r, area, E_V_NO_BODY, "missing request body");
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    cJSON *v = find_vault(s, id);
    bool enabled = v && cJSON_IsTrue(cJSON_GetObjectItem(v, "enable"));
    if (enabled)
        store_body(s, v, text);
    pthread_mutex_unlock(&s->lock);
    if (!v)
        return fail(r, area, E_V_NO_VAULT, "vault doesn't exist");
    if (!enabled)
        return fail(r, area, E_V_DISABLED, "vault is disable");
    return ok(r, area, NULL);
}

static bool any_string(const cJSON *list, const char *value, bool partial)
{
    if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list))
        return true; /* no condition */
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
        if (cJSON_IsString(e) && value &&
            (partial ? contains_nocase(value, e->valuestring) : !strcmp(value, e->valuestring)))
            return true;
    return false;
}

static bool matches(const cJSON *m, const cJSON *q)
{
    int64_t t = 0, from, to;
    const char *ts = str_of(m, "utc_time");
    if (ts)
        parse_i64(ts, &t);
    const char *a = str_of(q, "start_time_stamp"), *b = str_of(q, "end_time_stamp");
    if ((a && parse_i64(a, &from) && t < from) || (b && parse_i64(b, &to) && t > to))
        return false;
    if (!any_string(cJSON_GetObjectItem(q, "vault_name"), str_of(m, "vault_name"), true) ||
        !any_string(cJSON_GetObjectItem(q, "vault_id_list"), str_of(m, "vault_id"), false))
        return false;
    const cJSON *guids = cJSON_GetObjectItem(q, "channel_guid_list");
    if (cJSON_IsArray(guids) && cJSON_GetArraySize(guids)) {
        bool hit = false;
        const cJSON *ch;
        cJSON_ArrayForEach(ch, cJSON_GetObjectItem(m, "channel_guid_list"))
            hit = hit || any_string(guids, str_of(ch, "guid"), false);
        if (!hit)
            return false;
    }
    const cJSON *words = cJSON_GetObjectItem(q, "keyword_list");
    if (cJSON_IsArray(words) && cJSON_GetArraySize(words)) {
        char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(m, "metadata"));
        bool hit = text && any_string(words, text, true);
        free(text);
        return hit;
    }
    return true;
}

static enum MHD_Result query(struct req *r)
{
    int64_t start = 0, limit = 20, timeout = 120;
    if (req_int(r, "start", &start) < 0 || req_int(r, "limit", &limit) < 0 ||
        req_int(r, "timeout", &timeout) < 0 || start < 0 || limit < 1 || limit > 100 ||
        timeout < 1 || timeout > 600)
        return fail(r, "Metadata", E_V_INVALID, "invalid argument");
    enum MHD_Result rc;
    cJSON *root = body_json(r, "Metadata", "metadata", &rc);
    if (!root)
        return rc;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    cJSON *extra = cJSON_CreateObject();
    cJSON *count = cJSON_AddNumberToObject(extra, "count", 0);
    cJSON *list = cJSON_AddArrayToObject(extra, "metadata_list");
    int64_t n = 0;
    pthread_mutex_lock(&r->sim->lock);
    const cJSON *m;
    cJSON_ArrayForEach(m, r->sim->rest.metadata)
        if (matches(m, q) && n++ >= start && n <= start + limit)
            cJSON_AddItemToArray(list, cJSON_Duplicate(m, true));
    pthread_mutex_unlock(&r->sim->lock);
    cJSON_SetNumberValue(count, (double)cJSON_GetArraySize(list));
    cJSON_Delete(root);
    return ok(r, "Metadata", extra);
}

static enum MHD_Result retention(struct req *r, bool set)
{
    struct sim *s = r->sim;
    cJSON *root = NULL;
    if (set) {
        enum MHD_Result rc;
        if (!(root = body_json(r, "Metadata", "metadata_configure", &rc)))
            return rc;
        const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "metadata_configure"), *e;
        cJSON_ArrayForEach(e, in)
            if (!cJSON_IsNumber(e) && !cJSON_IsBool(e)) {
                cJSON_Delete(root);
                return fail(r, "Metadata", E_V_INVALID, "invalid argument");
            }
    }
    char url[128];
    snprintf(url, sizeof url, "%sMetadata", api_root);
    cJSON *out = cJSON_CreateObject();
    cJSON *rs = cJSON_AddObjectToObject(out, "ReturnStatus");
    pthread_mutex_lock(&s->lock);
    const cJSON *e;
    if (root)
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "metadata_configure"))
            if (cJSON_GetObjectItem(s->rest.retention, e->string))
                cJSON_ReplaceItemInObjectCaseSensitive(s->rest.retention, e->string,
                                                       cJSON_Duplicate(e, true));
    cJSON_AddItemToObject(rs, "metadata_configure", cJSON_Duplicate(s->rest.retention, true));
    pthread_mutex_unlock(&s->lock);
    cJSON_AddStringToObject(rs, "requestURL", url);
    cJSON_AddNumberToObject(rs, "statusCode", 0);
    cJSON_AddStringToObject(rs, "statusString", "OK");
    cJSON_Delete(root);
    return rest_json(r, 200, out, true);
}

/* ---- filters ---- */

/* Applies rule_list (0 hide, 1 newline, 2 replace) to text. */
static char *apply_rules(const char *text, const cJSON *rules)
{
    struct buf b = {0};
    buf_adds(&b, text);
    buf_add(&b, "", 1);
    const cJSON *rule;
    cJSON_ArrayForEach(rule, rules) {
        const char *target = str_of(rule, "target"), *result = str_of(rule, "result");
        const cJSON *type = cJSON_GetObjectItem(rule, "type");
        if (!target || !*target || !cJSON_IsNumber(type))
            continue;
        const char *with = type->valueint == 0 ? "" : type->valueint == 1 ? "\n"
                           : result ? result : "";
        struct buf o = {0};
        const char *p = (const char *)b.p, *hit;
        while ((hit = strstr(p, target))) {
            buf_add(&o, p, (size_t)(hit - p));
            buf_adds(&o, with);
            p = hit + strlen(target);
        }
        buf_adds(&o, p);
        buf_add(&o, "", 1);
        buf_free(&b);
        b = o;
    }
    return (char *)b.p;
}

static enum MHD_Result filter(struct req *r, bool test)
{
    enum MHD_Result rc;
    cJSON *root = body_json(r, "Filter", "filter", &rc);
    if (!root)
        return rc;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "filter");
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(in, "rule_list");
    const char *id = str_of(in, "vault_id"), *md = str_of(in, "metadata");
    uint32_t code = !cJSON_IsArray(rules) || (test && !md) ? E_V_MISSING : 0;
    pthread_mutex_lock(&r->sim->lock);
    cJSON *v = id ? find_vault(r->sim, id) : NULL;
    if (!code && !test && !v)
        code = E_V_NO_VAULT;
    if (!code && !test)
        cJSON_ReplaceItemInObjectCaseSensitive(v, "filter", cJSON_Duplicate(rules, true));
    pthread_mutex_unlock(&r->sim->lock);
    cJSON *extra = NULL;
    if (!code && test) {
        char *out = apply_rules(md, rules);
        extra = cJSON_CreateObject();
        cJSON_AddStringToObject(extra, "filter", out ? out : "");
        free(out);
    }
    cJSON_Delete(root);
    if (code)
        return fail(r, "Filter", code, code == E_V_NO_VAULT ? "vault does not exist"
                                                           : "missing parameter");
    return ok(r, "Filter", extra);
}

/* ---- dispatch ---- */

static enum MHD_Result method_not_allowed(struct req *r)
{
    static const char text[] = "405 Method Not Allowed\n";
    return http_reply(r, 405, "Content-Type", "text/plain", text, sizeof text - 1);
}

static bool is(const struct req *r, const char *m)
{
    return !strcmp(r->method, m) || (!strcmp(m, "GET") && !strcmp(r->method, "HEAD"));
}

/* Path below "qvrip/". */
enum MHD_Result vault_handle(struct req *r, const char *sub)
{
    static const char recv[] = "Event/recvNotify/";
    if (!strncmp(sub, recv, sizeof recv - 1)) { /* Generic and GENERIC */
        const char *rest = sub + sizeof recv - 1;
        if (strncasecmp(rest, "Generic/", 8) || !rest[8] || strchr(rest + 8, '/'))
            return http_reply(r, 404, "Content-Type", "text/plain", "404 Not Found\n", 14);
        return is(r, "POST") ? recv_notify(r, rest + 8) : method_not_allowed(r);
    }
    static const struct {
        const char *path, *method;
    } table[] = {
        {"Vault/checkVaultName", "GET"}, {"Vault/addVault", "POST"},
        {"Vault/removeVault", "POST"},   {"Vault/modifyVault", "PUT"},
        {"Vault/getVaultList", "GET"},   {"Filter/modifyFilter", "POST"},
        {"Filter/testFilter", "POST"},   {"Metadata/Query", "POST"},
    };
    static const char info[] = "Vault/getVaultInfo/";
    bool is_info = !strncmp(sub, info, sizeof info - 1) && sub[sizeof info - 1] &&
                   !strchr(sub + sizeof info - 1, '/');
    int k = -1;
    for (int i = 0; i < (int)(sizeof table / sizeof table[0]); i++)
        if (!strcmp(sub, table[i].path))
            k = i;
    bool ret = !strcmp(sub, "Metadata/configure_retention");
    if (k < 0 && !is_info && !ret)
        return http_reply(r, 404, "Content-Type", "text/plain", "404 Not Found\n", 14);
    if ((k >= 0 && !is(r, table[k].method)) || (is_info && !is(r, "GET")) ||
        (ret && !is(r, "GET") && !is(r, "POST")))
        return method_not_allowed(r);
    enum MHD_Result rc;
    if (refused(r, ret ? "Metadata" : k >= 5 ? (k == 7 ? "Metadata" : "Filter") : "Vault", &rc))
        return rc;
    if (is_info)
        return vault_list(r, sub + sizeof info - 1);
    if (ret)
        return retention(r, is(r, "POST"));
    switch (k) {
    case 0: return check_name(r);
    case 1: return add_vault(r);
    case 2: return remove_vault(r);
    case 3: return modify_vault(r);
    case 4: return vault_list(r, NULL);
    case 5: return filter(r, false);
    case 6: return filter(r, true);
    default: return query(r);
    }
}

int vault_init(struct sim *s)
{
    s->rest.vaults = cJSON_CreateArray();
    s->rest.metadata = cJSON_CreateArray();
    s->rest.retention = cJSON_CreateObject();
    if (!s->rest.vaults || !s->rest.metadata || !s->rest.retention)
        return -1;
    cJSON_AddNumberToObject(s->rest.retention, "metadata_ai_max_count", 500000);
    cJSON_AddNumberToObject(s->rest.retention, "metadata_max_count", 300000);
    cJSON_AddTrueToObject(s->rest.retention, "sync_storage_retention");
    return 0;
}

void vault_free(struct sim *s)
{
    cJSON_Delete(s->rest.vaults);
    cJSON_Delete(s->rest.metadata);
    cJSON_Delete(s->rest.retention);
}
