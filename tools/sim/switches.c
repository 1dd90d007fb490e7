/*
 * switches.c - parses quirk and fault specs; describes the current set.
 */
#include "switches.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum kind { K_BOOL, K_TEXT, K_ENUM, K_INT };

struct quirk_def {
    const char *name;
    enum kind kind;
    size_t flag;            /* offset of the bool */
    size_t val;             /* offset of the value (text buffer, enum or int) */
    size_t vallen;          /* text buffer size */
    const char *def;        /* default value text */
    const char *const *choices;
};

static const char *const code_formats[] = {"signed", "unsigned", "hex", NULL};
static const char *const layouts[] = {"ext8", "ext0", "sizeinc", NULL};

#define OFF(f) offsetof(struct switches, f)
static const struct quirk_def quirk_defs[] = {
    {"json_malformed", K_BOOL, OFF(json_malformed), 0, 0, NULL, NULL},
    {"code_format", K_ENUM, 0, OFF(code_format), 0, "signed", code_formats},
    {"success_string", K_BOOL, OFF(success_string), 0, 0, NULL, NULL},
    {"logs_item", K_BOOL, OFF(logs_item), 0, 0, NULL, NULL},
    {"qplay_version_line", K_TEXT, OFF(qplay_version_line), OFF(qplay_version),
     sizeof(((struct switches *)0)->qplay_version), "1.1.0", NULL},
    {"qplay_doc_layout", K_BOOL, OFF(qplay_doc_layout), 0, 0, NULL, NULL},
    {"getstream_leading_line", K_TEXT, OFF(getstream_leading_line), OFF(leading_line),
     sizeof(((struct switches *)0)->leading_line), "", NULL},
    {"audio_layout", K_ENUM, 0, OFF(audio_layout), 0, "ext8", layouts},
    {"xml_mismatch", K_BOOL, OFF(xml_mismatch), 0, 0, NULL, NULL},
    {"content_length", K_BOOL, OFF(content_length), 0, 0, NULL, NULL},
    {"numbers_as_strings", K_BOOL, OFF(numbers_as_strings), 0, 0, NULL, NULL},
    {"snapshot_error_4xx", K_INT, OFF(snapshot_error_4xx), OFF(snapshot_status), 0, "404",
     NULL},
};

struct fault_def {
    const char *name;
    size_t off;
    bool needs_value;
    const char *def;
};

static const struct fault_def fault_defs[] = {
    {"drop_after", OFF(drop_after), true, NULL},
    {"stall_after", OFF(stall_after), true, NULL},
    {"chunks", OFF(chunks), false, "random"},
    {"http500", OFF(http500), false, NULL},
    {"slow", OFF(slow), true, NULL},
    {"garbage", OFF(garbage), false, NULL},
    {"bigsize", OFF(bigsize), false, NULL},
    {"truncate", OFF(truncate), true, NULL},
    {"transcode_busy", OFF(transcode_busy), false, NULL},
    {"ddos", OFF(ddos), false, NULL},
    {"get_frames", OFF(get_frames), true, NULL},
    {"get_cut", OFF(get_cut), true, NULL},
    {"get_wait", OFF(get_wait), true, NULL},
};
#undef OFF

#define NQUIRKS (sizeof quirk_defs / sizeof quirk_defs[0])
#define NFAULTS (sizeof fault_defs / sizeof fault_defs[0])

void switches_clear_quirks(struct switches *sw)
{
    sw->json_malformed = sw->success_string = sw->logs_item = false;
    sw->getstream_leading_line = sw->xml_mismatch = sw->qplay_doc_layout = false;
    sw->qplay_version_line = true; /* real servers' layout: version, code, session */
    sw->content_length = sw->numbers_as_strings = sw->snapshot_error_4xx = false;
    sw->code_format = CODE_SIGNED;
    sw->audio_layout = LAYOUT_EXT8;
    copy_str(sw->qplay_version, sizeof sw->qplay_version, "v1");
    sw->leading_line[0] = '\0';
    sw->snapshot_status = 404;
}

void switches_clear_faults(struct switches *sw)
{
    for (size_t i = 0; i < NFAULTS; i++)
        memset((char *)sw + fault_defs[i].off, 0, sizeof(struct fault));
}

void switches_init(struct switches *sw)
{
    memset(sw, 0, sizeof *sw);
    switches_clear_quirks(sw);
    switches_clear_faults(sw);
}

static bool is_off(const char *v)
{
    return v && (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "false"));
}

static int set_enum(const struct quirk_def *d, struct switches *sw, const char *v, char *err,
                    size_t errlen)
{
    for (int i = 0; d->choices[i]; i++)
        if (!strcmp(d->choices[i], v ? v : d->def)) {
            *(int *)(void *)((char *)sw + d->val) = i;
            return 0;
        }
    snprintf(err, errlen, "quirk %s: unknown value '%s'", d->name, v ? v : "");
    return -1;
}

static int set_quirk(const struct quirk_def *d, struct switches *sw, const char *v, char *err,
                     size_t errlen)
{
    bool *flag = (bool *)((char *)sw + d->flag);
    if (d->kind == K_ENUM)
        return set_enum(d, sw, v, err, errlen);
    if (is_off(v)) {
        *flag = false;
        return 0;
    }
    if (d->kind == K_BOOL && v && strcmp(v, "1") && strcmp(v, "on") && strcmp(v, "true")) {
        snprintf(err, errlen, "quirk %s takes no value (or 0/1)", d->name);
        return -1;
    }
    if (d->kind == K_TEXT) {
        const char *text = v ? v : d->def;
        if (strlen(text) >= d->vallen || strpbrk(text, "\r\n")) {
            snprintf(err, errlen, "quirk %s: value too long or multi-line", d->name);
            return -1;
        }
        copy_str((char *)sw + d->val, d->vallen, text);
    }
    if (d->kind == K_INT) {
        int64_t x = 404;
        if (v && (!parse_i64(v, &x) || x < 400 || x > 599)) {
            snprintf(err, errlen, "quirk %s wants an HTTP status 400..599", d->name);
            return -1;
        }
        *(int *)(void *)((char *)sw + d->val) = (int)x;
    }
    *flag = true;
    return 0;
}

/* Splits "NAME[=VALUE]" into name (in buf) and value (or NULL). */
static const char *split_spec(const char *spec, char *name, size_t n)
{
    const char *eq = strchr(spec, '=');
    size_t len = eq ? (size_t)(eq - spec) : strlen(spec);
    snprintf(name, n, "%.*s", (int)(len < n ? len : n - 1), spec);
    return eq ? eq + 1 : NULL;
}

int quirk_apply(struct switches *sw, const char *spec, char *err, size_t errlen)
{
    char name[64];
    const char *v = split_spec(spec, name, sizeof name);
    for (size_t i = 0; i < NQUIRKS; i++)
        if (!strcmp(quirk_defs[i].name, name))
            return set_quirk(&quirk_defs[i], sw, v, err, errlen);
    snprintf(err, errlen, "unknown quirk '%s'", name);
    return -1;
}

static int set_fault(const struct fault_def *d, struct switches *sw, const char *v,
                     const char *target, char *err, size_t errlen)
{
    struct fault *f = (struct fault *)(void *)((char *)sw + d->off);
    if (is_off(v)) {
        memset(f, 0, sizeof *f);
        return 0;
    }
    int64_t x = 0;
    if (d->needs_value && (!v || !parse_i64(v, &x) || x < 0)) {
        snprintf(err, errlen, "fault %s wants =N (N >= 0)", d->name);
        return -1;
    }
    if (!d->needs_value && v && strcmp(v, d->def ? d->def : "1") && strcmp(v, "1")) {
        snprintf(err, errlen, "fault %s: unknown value '%s'", d->name, v);
        return -1;
    }
    if (strlen(target) >= sizeof f->target) {
        snprintf(err, errlen, "fault %s: target too long", d->name);
        return -1;
    }
    f->on = true;
    f->value = x;
    copy_str(f->target, sizeof f->target, target);
    return 0;
}

int fault_apply(struct switches *sw, const char *spec, bool *expire_sids, char *err,
                size_t errlen)
{
    char body[160];
    copy_str(body, sizeof body, spec);
    char *colon = strrchr(body, ':');
    const char *target = "";
    if (colon) {
        *colon = '\0';
        target = colon + 1;
    }
    char name[64];
    const char *v = split_spec(body, name, sizeof name);
    if (!strcmp(name, "expire_sids")) {
        *expire_sids = !is_off(v);
        return 0;
    }
    for (size_t i = 0; i < NFAULTS; i++)
        if (!strcmp(fault_defs[i].name, name))
            return set_fault(&fault_defs[i], sw, v, target, err, errlen);
    snprintf(err, errlen, "unknown fault '%s'", name);
    return -1;
}

bool fault_hits(const struct fault *f, const char *path)
{
    return f->on && (!f->target[0] || (path && strstr(path, f->target)));
}

bool qplay_version_first(const struct switches *sw)
{
    return sw->qplay_version_line && !sw->qplay_doc_layout;
}

static void add_quirk_json(cJSON *q, const struct quirk_def *d, const struct switches *sw)
{
    const char *base = (const char *)sw;
    if (d->kind == K_ENUM) {
        int v = *(const int *)(const void *)(base + d->val);
        cJSON_AddStringToObject(q, d->name, d->choices[v]);
    } else if (!*(const bool *)(base + d->flag)) {
        cJSON_AddFalseToObject(q, d->name);
    } else if (d->kind == K_TEXT) {
        cJSON_AddStringToObject(q, d->name, base + d->val);
    } else if (d->kind == K_INT) {
        cJSON_AddNumberToObject(q, d->name, *(const int *)(const void *)(base + d->val));
    } else {
        cJSON_AddTrueToObject(q, d->name);
    }
}

cJSON *switches_json(const struct switches *sw)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *q = cJSON_AddObjectToObject(root, "quirks");
    cJSON *f = cJSON_AddObjectToObject(root, "faults");
    for (size_t i = 0; i < NQUIRKS; i++)
        add_quirk_json(q, &quirk_defs[i], sw);
    for (size_t i = 0; i < NFAULTS; i++) {
        const struct fault *x = (const struct fault *)(const void *)((const char *)sw +
                                                                    fault_defs[i].off);
        if (!x->on) {
            cJSON_AddFalseToObject(f, fault_defs[i].name);
            continue;
        }
        cJSON *o = cJSON_AddObjectToObject(f, fault_defs[i].name);
        if (fault_defs[i].needs_value)
            cJSON_AddNumberToObject(o, "value", (double)x->value);
        cJSON_AddStringToObject(o, "target", x->target);
    }
    return root;
}
