/*
 * logs.c - the log store and the logs query API.
 */
#include "logs.h"
#include "answer.h"
#include "http.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SYNTH_STEP_MS (4 * 60 * 1000)   /* one synthetic entry every ~4 minutes */
#define MAX_LIST 64

struct templ {
    int type, level;
    bool camera;          /* about a camera: content names it, channel set */
    bool by_user;         /* done by a user (else "System") */
    const char *text;
};

static const struct templ templates[] = {
    {3, 0, true, false, "[%s] Camera connected"},
    {3, 1, true, false, "[%s] Camera disconnected"},
    {2, 0, true, false, "[%s] Motion detected"},
    {2, 0, true, false, "[%s] Recording started"},
    {2, 2, true, false, "[%s] Recording failed: storage write error"},
    {1, 0, true, true, "[%s] Camera settings changed"},
    {1, 1, true, true, "[%s] Recording schedule disabled"},
    {4, 0, false, false, "Recording space check completed"},
    {4, 1, false, false, "Recording space is almost full"},
    {4, 2, false, false, "Disk volume error detected"},
    {5, 0, false, true, "Login OK"},
    {5, 1, false, true, "Login failed"},
};
#define NTEMPL (sizeof templates / sizeof templates[0])

static struct log_entry *new_entry(struct log_store *st)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 1024;
        struct log_entry *v = realloc(st->v, cap * sizeof *v);
        if (!v)
            return NULL;
        st->v = v;
        st->cap = cap;
    }
    struct log_entry *e = &st->v[st->n++];
    memset(e, 0, sizeof *e);
    e->log_id = ++st->next_id;
    return e;
}

static void fill_synthetic(const struct sim *s, struct log_entry *e, uint64_t i)
{
    uint64_t h = hash64(i * 7919 + 17);
    const struct templ *t = &templates[h % NTEMPL];
    e->log_type = t->type;
    e->level = t->level;
    e->channel = -1;
    copy_str(e->user, sizeof e->user, "System");
    copy_str(e->source_ip, sizeof e->source_ip, "127.0.0.1");
    copy_str(e->source_name, sizeof e->source_name, "QVR Pro");
    if (t->by_user) {
        copy_str(e->user, sizeof e->user, s->cfg.users[(h >> 8) % s->cfg.nusers].name);
        snprintf(e->source_ip, sizeof e->source_ip, "10.0.0.%u", (unsigned)(2 + (h >> 16) % 5));
        copy_str(e->source_name, sizeof e->source_name, "QVR Pro Client");
    }
    if (t->camera) {
        const struct camera *c = &s->cfg.cameras[(h >> 24) % s->cfg.ncameras];
        e->channel = c->index;
        copy_str(e->source_name, sizeof e->source_name, c->name);
        snprintf(e->content, sizeof e->content, t->text, c->name);
    } else {
        copy_str(e->content, sizeof e->content, t->text);
    }
}

int logs_init(struct sim *s)
{
    struct log_store *st = &s->logs;
    for (uint64_t i = 0;; i++) {
        int64_t ts = s->archive_start_ms + (int64_t)i * SYNTH_STEP_MS +
                     (int64_t)(hash64(i) % 120000);
        if (ts >= s->t0_ms)
            break;
        struct log_entry *e = new_entry(st);
        if (!e)
            return -1;
        e->utc_ms = ts;
        fill_synthetic(s, e, i);
    }
    return 0;
}

void logs_free(struct sim *s)
{
    free(s->logs.v);
    memset(&s->logs, 0, sizeof s->logs);
}

void logs_append(struct sim *s, int type, int level, int channel, const char *user,
                 const char *ip, const char *content)
{
    struct log_entry *e = new_entry(&s->logs);
    if (!e)
        return;
    e->utc_ms = now_ms();
    e->log_type = type;
    e->level = level;
    e->channel = channel;
    copy_str(e->user, sizeof e->user, user);
    copy_str(e->source_ip, sizeof e->source_ip, ip);
    copy_str(e->source_name, sizeof e->source_name,
             channel >= 0 ? s->cfg.cameras[channel].name : "QVR Pro API");
    copy_str(e->content, sizeof e->content, content);
}

/* ---- query ---- */

struct int_list {
    bool on;
    size_t n;
    int64_t v[MAX_LIST];
};

struct str_list {
    bool on;
    size_t n;
    char v[MAX_LIST][40];
};

struct query {
    struct int_list log_type, level, channel;
    struct str_list guid;
    const char *user, *source_ip, *source_name;
    bool has_start, has_end;
    int64_t start_time, end_time, start, max;
    int sort;             /* 0 log_id, 1 log_type, 2 level, 3 time */
    bool asc;
};

/* Splits "a,b" or "a, b" into trimmed tokens; calls add() for each. */
static int split_list(const char *v, void *list,
                      int (*add)(void *list, const char *tok, size_t n))
{
    while (*v) {
        while (*v == ' ')
            v++;
        size_t n = strcspn(v, ",");
        size_t m = n;
        while (m > 0 && v[m - 1] == ' ')
            m--;
        if (m == 0 || add(list, v, m) != 0)
            return -1;
        v += n;
        if (*v == ',')
            v++;
    }
    return 0;
}

static int add_int(void *list, const char *tok, size_t n)
{
    struct int_list *l = list;
    char buf[24];
    if (n >= sizeof buf || l->n >= MAX_LIST)
        return -1;
    memcpy(buf, tok, n);
    buf[n] = '\0';
    return parse_i64(buf, &l->v[l->n++]) ? 0 : -1;
}

static int add_str(void *list, const char *tok, size_t n)
{
    struct str_list *l = list;
    if (n >= sizeof l->v[0] || l->n >= MAX_LIST)
        return -1;
    memcpy(l->v[l->n], tok, n);
    l->v[l->n++][n] = '\0';
    return 0;
}

static int parse_int_list(const struct req *r, const char *name, struct int_list *l)
{
    const char *v = req_param(r, name);
    if (!v || !*v)
        return 0;
    l->on = true;
    return split_list(v, l, add_int);
}

static int parse_num(const struct req *r, const char *name, bool *has, int64_t *out)
{
    int rc = req_int(r, name, out);
    if (has)
        *has = rc == 1;
    return rc < 0 || (rc == 1 && *out < 0) ? -1 : 0;
}

/* NULL, or the name of the bad parameter. */
static const char *parse_sort(const struct req *r, struct query *q)
{
    static const char *const fields[] = {"log_id", "log_type", "level", "time"};
    const char *f = req_param(r, "sort_field"), *d = req_param(r, "dir");
    q->sort = 3;
    if (f && *f) {
        q->sort = -1;
        for (int i = 0; i < 4; i++)
            if (!strcmp(f, fields[i]))
                q->sort = i;
        if (q->sort < 0)
            return "sort_field";
    }
    q->asc = d && !strcasecmp(d, "ASC");
    if (d && *d && !q->asc && strcasecmp(d, "DESC"))
        return "dir";
    return NULL;
}

static const char *empty_null(const char *v)
{
    return v && *v ? v : NULL;
}

/* Fills q from the request; returns NULL or the name of the bad parameter. */
static const char *parse_query(const struct req *r, struct query *q)
{
    memset(q, 0, sizeof *q);
    q->max = 10;
    if (parse_int_list(r, "log_type", &q->log_type)) return "log_type";
    if (parse_int_list(r, "level", &q->level)) return "level";
    if (parse_int_list(r, "channel_id", &q->channel)) return "channel_id";
    const char *g = req_param(r, "global_channel_id");
    if (g && *g && (q->guid.on = true, split_list(g, &q->guid, add_str))) return "global_channel_id";
    q->user = empty_null(req_param(r, "user"));
    q->source_ip = empty_null(req_param(r, "source_ip"));
    q->source_name = empty_null(req_param(r, "source_name"));
    if (parse_num(r, "start_time", &q->has_start, &q->start_time)) return "start_time";
    if (parse_num(r, "end_time", &q->has_end, &q->end_time)) return "end_time";
    if (parse_num(r, "start", NULL, &q->start)) return "start";
    const char *maxname = req_param(r, "max_results") ? "max_results" : "max_result";
    if (parse_num(r, maxname, NULL, &q->max)) return maxname;
    return parse_sort(r, q);
}

static bool in_int_list(const struct int_list *l, int64_t v)
{
    if (!l->on)
        return true;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == v)
            return true;
    return false;
}

static bool matches(const struct sim *s, const struct query *q, const struct log_entry *e)
{
    if (!in_int_list(&q->log_type, e->log_type) || !in_int_list(&q->level, e->level) ||
        !in_int_list(&q->channel, e->channel))
        return false;
    if (q->guid.on) {
        bool hit = false;
        for (size_t i = 0; i < q->guid.n && e->channel >= 0; i++)
            hit |= !strcasecmp(q->guid.v[i], s->cfg.cameras[e->channel].guid);
        if (!hit)
            return false;
    }
    if ((q->user && strcmp(q->user, e->user)) || (q->source_ip && strcmp(q->source_ip, e->source_ip)) ||
        (q->source_name && strcmp(q->source_name, e->source_name)))
        return false;
    return (!q->has_start || e->utc_ms >= q->start_time) && (!q->has_end || e->utc_ms <= q->end_time);
}

static int64_t sort_key(const struct log_entry *e, int field)
{
    switch (field) {
    case 0: return e->log_id;
    case 1: return e->log_type;
    case 2: return e->level;
    default: return e->utc_ms;
    }
}

static int cmp_field(const struct log_entry *a, const struct log_entry *b, int field)
{
    int64_t x = sort_key(a, field), y = sort_key(b, field);
    if (x != y)
        return x < y ? -1 : 1;
    return a->log_id < b->log_id ? -1 : a->log_id > b->log_id;
}

static int cmp_id(const void *a, const void *b) { return cmp_field(a, b, 0); }
static int cmp_type(const void *a, const void *b) { return cmp_field(a, b, 1); }
static int cmp_level(const void *a, const void *b) { return cmp_field(a, b, 2); }
static int cmp_time(const void *a, const void *b) { return cmp_field(a, b, 3); }

static int (*const comparators[4])(const void *, const void *) = {cmp_id, cmp_type, cmp_level,
                                                                  cmp_time};

static cJSON *item_json(const struct sim *s, const struct log_entry *e)
{
    char when[32];
    time_t t = (time_t)(e->utc_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "UTC_time", (double)e->utc_ms);
    cJSON_AddNumberToObject(o, "log_type", e->log_type);
    cJSON_AddNumberToObject(o, "log_id", e->log_id);
    cJSON_AddNumberToObject(o, "level", e->level);
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddStringToObject(o, "timezone", "UTC");
    cJSON_AddStringToObject(o, "user", e->user);
    cJSON_AddStringToObject(o, "source_ip", e->source_ip);
    cJSON_AddStringToObject(o, "source_name", e->source_name);
    cJSON_AddStringToObject(o, "nas_ip", s->opt.bind);
    cJSON_AddStringToObject(o, "nas_name", "QVRSIM");
    cJSON_AddStringToObject(o, "content", e->content);
    cJSON_AddNumberToObject(o, "channel_id", e->channel);
    cJSON_AddStringToObject(o, "global_channel_id",
                            e->channel >= 0 ? s->cfg.cameras[e->channel].guid : "");
    return o;
}

static cJSON *run_query(struct sim *s, const struct query *q, const char *items_key)
{
    pthread_mutex_lock(&s->lock);
    struct log_entry *hits = malloc((s->logs.n + 1) * sizeof *hits);
    size_t n = 0;
    for (size_t i = 0; hits && i < s->logs.n; i++)
        if (matches(s, q, &s->logs.v[i]))
            hits[n++] = s->logs.v[i];
    pthread_mutex_unlock(&s->lock);
    if (!hits)
        return NULL;
    qsort(hits, n, sizeof *hits, comparators[q->sort]);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "code", 200);
    cJSON_AddStringToObject(root, "mesg", "OK");
    cJSON *items = cJSON_AddArrayToObject(root, items_key);
    size_t count = 0;
    for (int64_t k = q->start; k < (int64_t)n && (int64_t)count < q->max; k++, count++) {
        size_t idx = q->asc ? (size_t)k : n - 1 - (size_t)k;
        cJSON_AddItemToArray(items, item_json(s, &hits[idx]));
    }
    cJSON_AddNumberToObject(root, "responseItems", (double)count);
    cJSON_AddNumberToObject(root, "totalItems", (double)n);
    free(hits);
    return root;
}

static enum MHD_Result logs_fail(struct req *r, const char *mesg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "code", 400);
    cJSON_AddStringToObject(o, "mesg", mesg);
    return answer_json(r, o);
}

enum MHD_Result handle_logs(struct req *r)
{
    if (auth_user_of_sid(r->sim, req_param(r, "sid")) < 0)
        return logs_fail(r, "Authorization failed");
    struct query q;
    const char *bad = parse_query(r, &q);
    if (bad) {
        char mesg[96];
        snprintf(mesg, sizeof mesg, "Invalid parameter: %s", bad);
        return logs_fail(r, mesg);
    }
    cJSON *root = run_query(r->sim, &q, r->sw.logs_item ? "item" : "items");
    if (!root)
        return logs_fail(r, "Internal error");
    return answer_json(r, root);
}
