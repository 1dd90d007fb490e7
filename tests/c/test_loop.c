/*
 * test_loop.c - unit tests of the transfer loop (csrc/net/loop.c, TAP):
 * ready lists per group (FIFO, no double queueing, a group outliving its
 * reader), the members list, and transfers against a local server: a body
 * in slices reaches the write callback, the epoll descriptor turns readable,
 * a turn with nothing to do does not wait past its time, and the end is
 * reported once.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "loopback.h"
#include "tap.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void test_ready_lists(void)
{
    struct qvr_loop *lp = qvr_loop_new();
    struct qvr_loop_member m[3];
    struct qvr_loop_group *g = qvr_loop_group_new(), *h = qvr_loop_group_new();
    memset(m, 0, sizeof m);
    tap_ok(lp && g && h, "a loop and two groups");
    for (int i = 0; i < 3; i++)
        qvr_loop_join(lp, &m[i]);
    tap_ok(qvr_loop_member_next(lp, NULL) == &m[0] && qvr_loop_member_next(lp, &m[2]) == NULL,
           "members in the order they joined");
    qvr_loop_ready(&m[0]);
    tap_ok(!m[0].queued, "a member without a group is never queued");
    qvr_loop_set_group(&m[0], g);
    qvr_loop_set_group(&m[1], g);
    qvr_loop_set_group(&m[2], h);
    qvr_loop_ready(&m[1]);
    qvr_loop_ready(&m[0]);
    qvr_loop_ready(&m[1]);
    qvr_loop_ready(&m[2]);
    tap_ok(qvr_loop_ready_count(g) == 2 && qvr_loop_ready_count(h) == 1,
           "queued once each, on their own group's list");
    tap_ok(qvr_loop_take_ready(g) == &m[1] && qvr_loop_take_ready(g) == &m[0] &&
           qvr_loop_take_ready(g) == NULL, "FIFO, then empty");
    qvr_loop_ready(&m[0]);
    qvr_loop_set_group(&m[0], h);
    tap_ok(!m[0].queued && qvr_loop_ready_count(g) == 0, "moving to another group unqueues");
    qvr_loop_group_unref(h);              /* the reader goes; members still hold h */
    qvr_loop_ready(&m[0]);
    tap_ok(qvr_loop_ready_count(h) == 2, "a group outlives its reader while members hold it");
    qvr_loop_leave(lp, &m[1]);
    tap_ok(qvr_loop_member_next(lp, &m[0]) == &m[2], "leaving unlinks");
    for (int i = 0; i < 3; i++) {
        qvr_loop_leave(lp, &m[i]);
        qvr_loop_set_group(&m[i], NULL);  /* the last reference to h frees it */
    }
    qvr_loop_group_unref(g);
    tap_ok(qvr_loop_member_next(lp, NULL) == NULL, "no member left");
    qvr_loop_free(lp);
}

/* --- a local server: one connection, a body in slices with pauses -------- */

struct server {
    int lfd, port;
    int slices;
};

static void *serve(void *arg)
{
    struct server *s = arg;
    char buf[2048], body[64];
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    if (recv(fd, buf, sizeof buf, 0) > 0) {
        const char *head = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
        send(fd, head, strlen(head), MSG_NOSIGNAL);
        for (int i = 0; i < s->slices; i++) {
            usleep(50000);
            int n = snprintf(body, sizeof body, "slice %d\n", i);
            send(fd, body, (size_t)n, MSG_NOSIGNAL);
        }
    }
    close(fd);
    return NULL;
}

static int start_server(struct server *s, pthread_t *t)
{
    s->lfd = loopback_listen(&s->port);
    return s->lfd < 0 ? -1 : pthread_create(t, NULL, serve, s);
}

struct sink {
    char data[256];
    size_t len;
    int writes;
};

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    struct sink *k = ud;
    size_t len = size * n, room = sizeof k->data - 1 - k->len;
    memcpy(k->data + k->len, p, len < room ? len : room);
    k->len += len < room ? len : room;
    k->data[k->len] = '\0';
    k->writes++;
    return len;
}

static int done_calls;
static CURLcode done_rc;
static CURL *done_easy;

static void on_done(CURL *easy, CURLcode rc)
{
    done_calls++;
    done_rc = rc;
    done_easy = easy;
}

static void test_transfer(void)
{
    struct server s = {.slices = 4};
    struct sink k = {{0}, 0, 0};
    pthread_t t;
    struct qvr_loop *lp = qvr_loop_new();
    CURL *c = curl_easy_init();
    char url[64];
    int readable = 0, turns = 0;
    double t0;
    tap_ok(start_server(&s, &t) == 0, "a local server");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
    tap_ok(qvr_loop_add(lp, c) == 0 && qvr_loop_transfers(lp) == 1, "a transfer added");
    tap_ok(qvr_loop_timeout_ms(lp) >= 0, "libcurl's timer is set for the new transfer");
    t0 = now_ms();
    while (done_calls == 0 && now_ms() - t0 < 5000) {
        struct pollfd p = {.fd = qvr_loop_fd(lp), .events = POLLIN};
        long to = qvr_loop_timeout_ms(lp);
        if (poll(&p, 1, to < 0 || to > 100 ? 100 : (int)to) > 0 && (p.revents & POLLIN))
            readable++;
        qvr_loop_run(lp, 0, on_done);        /* never waits */
        turns++;
    }
    pthread_join(t, NULL);
    close(s.lfd);
    tap_ok(done_calls == 1 && done_rc == CURLE_OK && done_easy == c, "the end reported once");
    tap_ok(strcmp(k.data, "slice 0\nslice 1\nslice 2\nslice 3\n") == 0, "the whole body, in order");
    tap_ok(k.writes >= 2, "delivered as it came (%d writes)", k.writes);
    tap_ok(readable >= 2, "the epoll descriptor turned readable (%d times)", readable);
    tap_ok(turns < 500, "turns follow the traffic, not a busy loop (%d)", turns);
    qvr_loop_remove(lp, c);
    tap_ok(qvr_loop_transfers(lp) == 0, "removed");
    qvr_loop_remove(lp, c);
    tap_ok(qvr_loop_transfers(lp) == 0, "removing twice is harmless");
    t0 = now_ms();
    tap_ok(qvr_loop_run(lp, 0, on_done) == 0 && now_ms() - t0 < 1000,
           "a turn with nothing to do and no wait returns at once");
    curl_easy_cleanup(c);
    qvr_loop_free(lp);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_ready_lists();
    test_transfer();
    curl_global_cleanup();
    return tap_done();
}
