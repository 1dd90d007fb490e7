/*
 * loop.h - the transfer loop: libcurl's multi interface driven by
 * curl_multi_socket_action over epoll and libcurl's timer (plain C, no Lua).
 *
 * Owns: the multi handle, one epoll descriptor holding every socket libcurl
 * asks to watch (CURLMOPT_SOCKETFUNCTION), libcurl's next deadline
 * (CURLMOPT_TIMERFUNCTION), and ready lists (one per reader): the members that
 * have something to hand out (bytes fed, an end, a failure).  A turn of the
 * loop visits only the sockets epoll reports and the transfers whose timer
 * is due, so its cost follows the traffic, not the number of transfers;
 * adding a transfer costs O(1) (plus libcurl's own bookkeeping).
 *
 * The epoll descriptor is readable whenever a socket needs work: it is the
 * pollfd() a program's own event loop (cqueues, luv, ...) watches, with
 * qvr_loop_timeout_ms() as its timeout.
 */
#ifndef QVR_LOOP_H
#define QVR_LOOP_H

#include <curl/curl.h>

struct qvr_loop_group;

/* A member of the loop (embedded in a stream): on the list of all members
 * and, while it has something to hand out, on its group's ready list. */
struct qvr_loop_member {
    struct qvr_loop_member *prev, *next;           /* all members */
    struct qvr_loop_member *rprev, *rnext;         /* its group's ready list */
    int queued;                                    /* on the ready list */
    int linked;                                    /* on the list of members */
    struct qvr_loop_group *group;                  /* who reads it (NULL: nobody) */
};

struct qvr_loop;

/* Called for every transfer that ended during a turn (CURLMSG_DONE); the
 * handle is still in the multi handle. */
typedef void (*qvr_loop_done_fn)(CURL *easy, CURLcode rc);

/* A new loop, or NULL (no memory, no epoll descriptor). */
struct qvr_loop *qvr_loop_new(void);
void qvr_loop_free(struct qvr_loop *lp);

/* Adds a transfer (0), or -1.  Removing one that is not there is harmless. */
int qvr_loop_add(struct qvr_loop *lp, CURL *easy);
void qvr_loop_remove(struct qvr_loop *lp, CURL *easy);

/* The epoll descriptor (readable when a socket needs work). */
int qvr_loop_fd(const struct qvr_loop *lp);

/* Milliseconds until libcurl's timer is due (0: now), or -1: no timer. */
long qvr_loop_timeout_ms(const struct qvr_loop *lp);

/* One turn: waits up to wait_ms (0: not at all; never past libcurl's
 * timer) for a socket, acts on every socket epoll reports and on the timer
 * when due, then reports the ended transfers to done.  Returns the number
 * of socket events handled (0 when only the timer ran or nothing did). */
int qvr_loop_run(struct qvr_loop *lp, int wait_ms, qvr_loop_done_fn done);

/* Transfers in the multi handle. */
int qvr_loop_transfers(const struct qvr_loop *lp);

/* Members: join once, leave when the transfer is gone (off the ready list
 * too; its group stays: qvr_loop_set_group(m, NULL) before its memory goes). */
void qvr_loop_join(struct qvr_loop *lp, struct qvr_loop_member *m);
void qvr_loop_leave(struct qvr_loop *lp, struct qvr_loop_member *m);
/* The first member after m (NULL: the first), NULL after the last. */
struct qvr_loop_member *qvr_loop_member_next(struct qvr_loop *lp, struct qvr_loop_member *m);

/* Groups: the members one reader (a qvr.each) takes frames from, with
 * their ready list (FIFO).  A group lives while its reader or a member
 * holds it (reference counts); a dead reader's list costs nothing. */
struct qvr_loop_group *qvr_loop_group_new(void);      /* one reference; NULL: no memory */
void qvr_loop_group_unref(struct qvr_loop_group *g);
/* Moves m into group g (NULL: none), off any ready list. */
void qvr_loop_set_group(struct qvr_loop_member *m, struct qvr_loop_group *g);

/* Queues m on its group's ready list (nothing without a group, or when
 * queued already); takes it off. */
void qvr_loop_ready(struct qvr_loop_member *m);
void qvr_loop_unready(struct qvr_loop_member *m);
/* Takes the first member off g's ready list (NULL: none). */
struct qvr_loop_member *qvr_loop_take_ready(struct qvr_loop_group *g);
/* Members on g's ready list. */
int qvr_loop_ready_count(const struct qvr_loop_group *g);

#endif
