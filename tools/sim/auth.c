/*
 * auth.c - authLogin.cgi / authLogout.cgi, sids and lockouts.
 */
#include "auth.h"
#include "answer.h"
#include "http.h"
#include "logs.h"
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sid_alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int base64_decode(const char *in, unsigned char *out, size_t outcap, size_t *outlen)
{
    size_t n = strlen(in), o = 0;
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (strlen(in) - n > 2 || n % 4 == 1)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outcap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *outlen = o;
    return 0;
}

/* ---- sid table (lock held) ---- */

void auth_sweep(struct sim *s, int64_t now)
{
    int64_t idle = (int64_t)s->opt.sid_idle * 1000;
    size_t k = 0;
    for (size_t i = 0; i < s->sids.n; i++)
        if (now - s->sids.v[i].last_used_ms < idle)
            s->sids.v[k++] = s->sids.v[i];
    s->sids.n = k;
}

void auth_expire_all(struct sim *s)
{
    s->sids.n = 0;
}

void auth_free(struct sim *s)
{
    free(s->sids.v);
    free(s->lockouts.v);
}

static struct sid_entry *find_sid(struct sim *s, const char *sid)
{
    for (size_t i = 0; sid && i < s->sids.n; i++)
        if (!strcmp(s->sids.v[i].sid, sid))
            return &s->sids.v[i];
    return NULL;
}

int auth_user_of_sid(struct sim *s, const char *sid)
{
    if (!sid || !*sid)
        return -1;
    pthread_mutex_lock(&s->lock);
    int64_t now = now_ms();
    auth_sweep(s, now);
    struct sid_entry *e = find_sid(s, sid);
    int user = -1;
    if (e) {
        e->last_used_ms = now;
        user = e->user;
    }
    pthread_mutex_unlock(&s->lock);
    return user;
}

enum auth_result auth_check(struct req *r, bool need_surveillance)
{
    r->user = auth_user_of_sid(r->sim, req_param(r, "sid"));
    if (r->user < 0)
        return AUTH_BAD_SID;
    if (need_surveillance && !r->sim->cfg.users[r->user].surveillance)
        return AUTH_NO_PERMISSION;
    return AUTH_OK;
}

/* Lock held.  A fresh sid for user, or NULL when out of memory/entropy. */
static const char *new_sid(struct sim *s, int user)
{
    if (s->sids.n == s->sids.cap) {
        size_t cap = s->sids.cap ? s->sids.cap * 2 : 16;
        struct sid_entry *v = realloc(s->sids.v, cap * sizeof *v);
        if (!v)
            return NULL;
        s->sids.v = v;
        s->sids.cap = cap;
    }
    struct sid_entry *e = &s->sids.v[s->sids.n];
    do {
        if (random_string(e->sid, 8, sid_alphabet) != 0)
            return NULL;
    } while (find_sid(s, e->sid));
    e->user = user;
    e->last_used_ms = now_ms();
    s->sids.n++;
    return e->sid;
}

/* ---- lockout (lock held) ---- */

static struct lockout_entry *lockout_for(struct sim *s, const char *ip, bool create)
{
    for (size_t i = 0; i < s->lockouts.n; i++)
        if (!strcmp(s->lockouts.v[i].ip, ip))
            return &s->lockouts.v[i];
    if (!create)
        return NULL;
    if (s->lockouts.n == s->lockouts.cap) {
        size_t cap = s->lockouts.cap ? s->lockouts.cap * 2 : 8;
        struct lockout_entry *v = realloc(s->lockouts.v, cap * sizeof *v);
        if (!v)
            return NULL;
        s->lockouts.v = v;
        s->lockouts.cap = cap;
    }
    struct lockout_entry *e = &s->lockouts.v[s->lockouts.n++];
    memset(e, 0, sizeof *e);
    copy_str(e->ip, sizeof e->ip, ip);
    return e;
}

static bool locked_out(struct sim *s, const char *ip, int64_t now)
{
    struct lockout_entry *e = lockout_for(s, ip, false);
    if (!e || s->opt.lockout <= 0)
        return false;
    if (e->until_ms && now >= e->until_ms) { /* lockout over: start afresh */
        e->until_ms = 0;
        e->fails = 0;
    }
    return e->until_ms != 0;
}

static void note_failure(struct sim *s, const char *ip, int64_t now)
{
    struct lockout_entry *e = lockout_for(s, ip, true);
    if (!e || s->opt.lockout <= 0 || e->until_ms)
        return;
    if (++e->fails >= s->opt.lockout)
        e->until_ms = now + (int64_t)s->opt.lockout_time * 1000;
}

static void note_success(struct sim *s, const char *ip)
{
    struct lockout_entry *e = lockout_for(s, ip, false);
    if (e)
        e->fails = 0;
}

/* ---- answers ---- */

static enum MHD_Result send_xml(struct req *r, struct buf *b)
{
    buf_adds(b, r->sw.xml_mismatch ? "</DocRoot>\n" : "</QDocRoot>\n");
    enum MHD_Result rc = http_reply(r, 200, "Content-type", "text/xml", b->p, b->len);
    buf_free(b);
    return rc;
}

static void xml_head(struct buf *b)
{
    buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<QDocRoot version=\"1.0\">\n");
    xml_cdata(b, "doQuick", "");
    xml_cdata(b, "is_booting", "0");
    xml_cdata(b, "mediaReady", "1");
    xml_cdata(b, "SMBFW", "1");
}

static enum MHD_Result login_failed(struct req *r)
{
    struct buf b = {0};
    xml_head(&b);
    xml_cdata(&b, "authPassed", "0");
    buf_adds(&b, "<errorValue>-1</errorValue>\n");
    xml_cdata(&b, "nss_need_reboot", "0");
    return send_xml(r, &b);
}

static enum MHD_Result login_passed(struct req *r, const char *sid, const struct user *u)
{
    struct buf b = {0};
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)(now_ms() / 1000));
    xml_head(&b);
    xml_cdata(&b, "authPassed", "1");
    xml_cdata(&b, "authSid", sid);
    xml_cdata(&b, "pw_status", "0");
    xml_cdata(&b, "isAdmin", u->admin ? "1" : "0");
    xml_cdata(&b, "username", u->name);
    xml_cdata(&b, "groupname", u->admin ? "administrators" : "everyone");
    xml_cdata(&b, "ts", ts);
    xml_cdata(&b, "fwNotice", "0");
    xml_cdata(&b, "title", "");
    xml_cdata(&b, "content", "");
    xml_cdata(&b, "psType", "1");
    xml_cdata(&b, "standard_massage", "");
    xml_cdata(&b, "standard_color", "#ffffff");
    xml_cdata(&b, "standard_size", "12px");
    xml_cdata(&b, "standard_bg_style", "fill");
    xml_cdata(&b, "showVersion", "0");
    xml_cdata(&b, "show_link", "1");
    xml_cdata(&b, "cuid", r->sim->cuid);
    xml_cdata(&b, "nss_need_reboot", "0");
    return send_xml(r, &b);
}

/* The user whose base64 password matches, or -1. */
static int check_password(const struct sim *s, const char *user, const char *pwd)
{
    int u = config_user_by_name(&s->cfg, user);
    unsigned char plain[256];
    size_t n;
    if (u < 0 || base64_decode(pwd, plain, sizeof plain, &n) != 0)
        return -1;
    const char *want = s->cfg.users[u].password;
    if (n != strlen(want) || memcmp(plain, want, n) != 0)
        return -1;
    return u;
}

static bool service_ok(const struct req *r)
{
    const char *k = req_param(r, "serviceKey");
    if (!k)
        k = req_param(r, "service");
    return k && !strcmp(k, "1");
}

static enum MHD_Result do_login(struct req *r, const char *user, const char *pwd)
{
    struct sim *s = r->sim;
    int64_t now = now_ms();
    pthread_mutex_lock(&s->lock);
    bool blocked = locked_out(s, r->ip, now);
    int u = blocked || !service_ok(r) ? -1 : check_password(s, user, pwd);
    const char *sid = u >= 0 ? new_sid(s, u) : NULL;
    char sidcopy[9] = "";
    if (sid) {
        copy_str(sidcopy, sizeof sidcopy, sid);
        note_success(s, r->ip);
        s->stats.logins_ok++;
        s->stats.logins_by_user[u]++;
        logs_append(s, 5, 0, -1, user, r->ip, "Login OK");
    } else {
        if (!blocked)
            note_failure(s, r->ip, now);
        s->stats.logins_failed++;
        logs_append(s, 5, 1, -1, user, r->ip,
                    blocked ? "Login failed: address temporarily blocked" : "Login failed");
    }
    pthread_mutex_unlock(&s->lock);
    return sid ? login_passed(r, sidcopy, &s->cfg.users[u]) : login_failed(r);
}

static enum MHD_Result keep_alive(struct req *r, const char *sid)
{
    int u = auth_user_of_sid(r->sim, sid);
    if (u < 0)
        return login_failed(r);
    return login_passed(r, sid, &r->sim->cfg.users[u]);
}

static enum MHD_Result logout(struct req *r, const char *sid)
{
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    struct sid_entry *e = find_sid(s, sid);
    if (e) {
        logs_append(s, 5, 0, -1, s->cfg.users[e->user].name, r->ip, "Logout");
        *e = s->sids.v[--s->sids.n];
    }
    pthread_mutex_unlock(&s->lock);
    struct buf b = {0};
    xml_head(&b);
    xml_cdata(&b, "authPassed", "0");
    xml_cdata(&b, "logout", e ? "1" : "0");
    return send_xml(r, &b);
}

enum MHD_Result handle_login(struct req *r)
{
    const char *sid = req_param(r, "sid");
    const char *lo = req_param(r, "logout");
    if (lo && !strcmp(lo, "1"))
        return logout(r, sid ? sid : "");
    const char *user = req_param(r, "user");
    const char *pwd = req_param(r, "pwd");
    if (!user && sid)
        return keep_alive(r, sid);
    if (!user || !pwd)
        return login_failed(r);
    return do_login(r, user, pwd);
}

enum MHD_Result handle_logout(struct req *r)
{
    const char *sid = req_param(r, "sid");
    return logout(r, sid ? sid : "");
}
