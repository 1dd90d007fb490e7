/*
 * loop.c - the transfer loop over curl_multi_socket_action, epoll and
 * libcurl's timer (plain C, no Lua; see loop.h).
 *
 * libcurl says which sockets to watch for what (socket callback: epoll_ctl)
 * and when it next needs to run (timer callback: a deadline); a turn waits
 * on epoll up to that deadline and hands libcurl only the sockets that are
 * ready, and the timer when it is due.  The callbacks only record; nothing
 * here calls back into a script.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define MAX_EVENTS 256

struct qvr_loop {
    CURLM *multi;
    int epfd;
    double deadline;            /* libcurl's timer (monotonic ms), < 0: none */
    int transfers;
    struct qvr_loop_member members;   /* sentinel of the list of members */
};

struct qvr_loop_group {
    struct qvr_loop_member ready;     /* sentinel of the ready list */
    int nready;
    int refs;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what libcurl asks, or stop. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *ud, void *sockp)
{
    struct qvr_loop *lp = ud;
    struct epoll_event ev = {0};
    (void)easy;
    (void)sockp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(lp->epfd, EPOLL_CTL_DEL, s, NULL);   /* gone already: fine */
        return 0;
    }
    ev.data.fd = s;
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (epoll_ctl(lp->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
        epoll_ctl(lp->epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: record libcurl's next deadline. */
static int on_timer(CURLM *multi, long timeout_ms, void *ud)
{
    struct qvr_loop *lp = ud;
    (void)multi;
    lp->deadline = timeout_ms < 0 ? -1.0 : now_ms() + (double)timeout_ms;
    return 0;
}

struct qvr_loop *qvr_loop_new(void)
{
    struct qvr_loop *lp = calloc(1, sizeof *lp);
    if (!lp)
        return NULL;
    lp->deadline = -1.0;
    lp->members.next = lp->members.prev = &lp->members;
    lp->epfd = epoll_create1(EPOLL_CLOEXEC);
    lp->multi = lp->epfd >= 0 ? curl_multi_init() : NULL;
    if (!lp->multi) {
        if (lp->epfd >= 0)
            close(lp->epfd);
        free(lp);
        return NULL;
    }
    curl_multi_setopt(lp->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(lp->multi, CURLMOPT_SOCKETDATA, lp);
    curl_multi_setopt(lp->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(lp->multi, CURLMOPT_TIMERDATA, lp);
    return lp;
}

void qvr_loop_free(struct qvr_loop *lp)
{
    if (!lp)
        return;
    curl_multi_cleanup(lp->multi);
    close(lp->epfd);
    free(lp);
}

int qvr_loop_add(struct qvr_loop *lp, CURL *easy)
{
    if (curl_multi_add_handle(lp->multi, easy) != CURLM_OK)
        return -1;
    lp->transfers++;
    return 0;
}

void qvr_loop_remove(struct qvr_loop *lp, CURL *easy)
{
    if (curl_multi_remove_handle(lp->multi, easy) == CURLM_OK && lp->transfers > 0)
        lp->transfers--;
}

int qvr_loop_fd(const struct qvr_loop *lp)
{
    return lp->epfd;
}

long qvr_loop_timeout_ms(const struct qvr_loop *lp)
{
    double left;
    if (lp->deadline < 0)
        return -1;
    left = lp->deadline - now_ms();
    return left <= 0 ? 0 : (long)left + 1;
}

int qvr_loop_transfers(const struct qvr_loop *lp)
{
    return lp->transfers;
}

static void collect(struct qvr_loop *lp, qvr_loop_done_fn done)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(lp->multi, &left)) != NULL)
        if (m->msg == CURLMSG_DONE && done)
            done(m->easy_handle, m->data.result);
}

int qvr_loop_run(struct qvr_loop *lp, int wait_ms, qvr_loop_done_fn done)
{
    struct epoll_event ev[MAX_EVENTS];
    int running, n;
    long t = qvr_loop_timeout_ms(lp);
    if (wait_ms < 0)
        wait_ms = 0;
    if (t >= 0 && t < wait_ms)
        wait_ms = (int)t;
    n = epoll_wait(lp->epfd, ev, MAX_EVENTS, wait_ms);
    for (int i = 0; i < n; i++) {
        int what = (ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                   (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                   (ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(lp->multi, ev[i].data.fd, what, &running);
    }
    if (lp->deadline >= 0 && now_ms() >= lp->deadline) {
        lp->deadline = -1.0;     /* libcurl sets the next one */
        curl_multi_socket_action(lp->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    collect(lp, done);
    return n > 0 ? n : 0;
}

/* --- members and the ready list ----------------------------------------- */

void qvr_loop_join(struct qvr_loop *lp, struct qvr_loop_member *m)
{
    if (m->linked)
        return;
    m->prev = lp->members.prev;
    m->next = &lp->members;
    lp->members.prev->next = m;
    lp->members.prev = m;
    m->linked = 1;
}

void qvr_loop_leave(struct qvr_loop *lp, struct qvr_loop_member *m)
{
    (void)lp;
    qvr_loop_unready(m);
    if (!m->linked)
        return;
    m->prev->next = m->next;
    m->next->prev = m->prev;
    m->prev = m->next = NULL;
    m->linked = 0;
}

struct qvr_loop_member *qvr_loop_member_next(struct qvr_loop *lp, struct qvr_loop_member *m)
{
    struct qvr_loop_member *n = m ? m->next : lp->members.next;
    return n == &lp->members ? NULL : n;
}

struct qvr_loop_group *qvr_loop_group_new(void)
{
    struct qvr_loop_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->ready.rnext = g->ready.rprev = &g->ready;
    g->refs = 1;
    return g;
}

void qvr_loop_group_unref(struct qvr_loop_group *g)
{
    if (g && --g->refs == 0)
        free(g);
}

void qvr_loop_set_group(struct qvr_loop_member *m, struct qvr_loop_group *g)
{
    qvr_loop_unready(m);
    if (g)
        g->refs++;
    qvr_loop_group_unref(m->group);
    m->group = g;
}

void qvr_loop_ready(struct qvr_loop_member *m)
{
    struct qvr_loop_group *g = m->group;
    if (m->queued || !g)
        return;
    m->rprev = g->ready.rprev;
    m->rnext = &g->ready;
    g->ready.rprev->rnext = m;
    g->ready.rprev = m;
    m->queued = 1;
    g->nready++;
}

void qvr_loop_unready(struct qvr_loop_member *m)
{
    if (!m->queued)
        return;
    m->rprev->rnext = m->rnext;
    m->rnext->rprev = m->rprev;
    m->rprev = m->rnext = NULL;
    m->queued = 0;
    m->group->nready--;
}

struct qvr_loop_member *qvr_loop_take_ready(struct qvr_loop_group *g)
{
    struct qvr_loop_member *m = g->ready.rnext;
    if (m == &g->ready)
        return NULL;
    qvr_loop_unready(m);
    return m;
}

int qvr_loop_ready_count(const struct qvr_loop_group *g)
{
    return g->nready;
}
