/*
 * test_http.c - unit tests of csrc/net/http.c (TAP) against a local server:
 * a session's proxy decision is the environment's when the session was made
 * (struct qvr_http_opts.proxy_env), not the environment's when a handle is
 * configured again (after a logout or a remote close, for a playback).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "loopback.h"
#include "tap.h"

/* --- a local server: answers `conns` connections with 200 "ok" ---------- */

struct server {
    int lfd, port, conns;
};

static void *serve(void *arg)
{
    struct server *s = arg;
    char buf[2048];
    for (int i = 0; i < s->conns; i++) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        if (recv(fd, buf, sizeof buf, 0) > 0) {
            const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
            send(fd, a, strlen(a), MSG_NOSIGNAL);
        }
        close(fd);
    }
    return NULL;
}

static int start_server(struct server *s, pthread_t *t)
{
    s->lfd = loopback_listen(&s->port);
    return s->lfd < 0 ? -1 : pthread_create(t, NULL, serve, s);
}

/* GET http://127.0.0.1:port/ on c: the status, or -1 with the error's name */
static long get(CURL *c, int port, const char **err)
{
    char url[64];
    struct qvr_http_resp r = {0};
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    int rc = qvr_http_get(c, url, &r);
    *err = rc ? r.error_name : NULL;
    long status = rc ? -1 : r.status;
    qvr_http_resp_free(&r);
    return status;
}

/* port 1 on the loopback: no proxy listens there */
#define DEAD_PROXY "http://127.0.0.1:1"

static void test_proxy_decided_once(void)
{
    struct server s = {.conns = 2};
    pthread_t t;
    const char *err;
    static const char *const names[] = {"http_proxy", "HTTP_PROXY", "https_proxy",
                                        "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                                        "no_proxy", "NO_PROXY", NULL};
    for (int i = 0; names[i]; i++)
        unsetenv(names[i]);
    struct qvr_http_opts o = {.timeout_ms = 5000, .verify = 1};
    o.proxy_env = qvr_http_proxy_in_env();
    tap_ok(o.proxy_env == 0, "no proxy in a cleared environment");
    tap_ok(start_server(&s, &t) == 0, "a local server");
    setenv("http_proxy", DEAD_PROXY, 1);
    tap_ok(qvr_http_proxy_in_env() == 1, "the environment names a proxy now");
    CURL *c = qvr_http_new(&o);        /* a handle made after, with the session's options */
    tap_ok(get(c, s.port, &err) == 200, "a session made without one does not use it");
    qvr_http_configure(c, &o);          /* as after a logout or a remote close */
    tap_ok(get(c, s.port, &err) == 200, "nor after its handle is configured again");
    qvr_http_free(c);
    shutdown(s.lfd, SHUT_RDWR);         /* a server still waiting (a failed check) stops */
    pthread_join(t, NULL);
    close(s.lfd);

    o.proxy_env = qvr_http_proxy_in_env();
    c = qvr_http_new(&o);
    long st = get(c, s.port, &err);
    tap_ok(st == -1 && err && strcmp(err, "REFUSED") == 0,
           "a session made with one sends its requests to it (REFUSED here)");
    qvr_http_free(c);
    unsetenv("http_proxy");
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    test_proxy_decided_once();
    curl_global_cleanup();
    return tap_done();
}
