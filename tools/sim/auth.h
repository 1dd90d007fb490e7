/*
 * auth.h - logins, sids and lockouts.
 *
 * Owns: authLogin.cgi (login, sid keep-alive, logout=1), authLogout.cgi,
 * base64 password checking, sid issue/refresh/expiry (8 lowercase
 * alphanumerics from the CSPRNG, --sid-idle seconds without use) and the
 * per-address lockout after --lockout failed logins in a row.
 */
#ifndef SIM_AUTH_H
#define SIM_AUTH_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sid_entry {
    char sid[9];
    int user;
    int64_t last_used_ms;
};

struct sid_table {
    struct sid_entry *v;
    size_t n, cap;
};

struct lockout_entry {
    char ip[64];
    int fails;            /* in a row */
    int64_t until_ms;     /* locked while now < until_ms */
};

struct lockout_table {
    struct lockout_entry *v;
    size_t n, cap;
};

struct sim;
struct req;

enum auth_result { AUTH_OK, AUTH_BAD_SID, AUTH_NO_PERMISSION };

/* Checks the request's sid (refreshing it) and, when need_surveillance, the
 * user's surveillance permission; sets r->user. */
enum auth_result auth_check(struct req *r, bool need_surveillance);

/* Validates and refreshes a sid; returns the user index or -1. */
int auth_user_of_sid(struct sim *s, const char *sid);

/* Lock held: drops expired sids; expires every sid. */
void auth_sweep(struct sim *s, int64_t now);
void auth_expire_all(struct sim *s);
void auth_free(struct sim *s);


/* Decodes standard base64 (padding optional); -1 on any other character. */
int base64_decode(const char *in, unsigned char *out, size_t outcap, size_t *outlen);

#endif
