/*
 * sim.h - the simulator context every handler receives.
 *
 * Owns: struct sim, the one object holding the configuration, the media,
 * and (under `lock`) all mutable state: sids, lockouts, logs, qplay
 * sessions, manual recording, switches and counters.  There are no mutable
 * globals: MHD threads reach the state only through this context.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "auth.h"
#include "config.h"
#include "logs.h"
#include "media.h"
#include "options.h"
#include "qplay.h"
#include "rest.h"
#include "stats.h"
#include "switches.h"

struct sim {
    struct options opt;
    struct config cfg;
    struct media media;
    int64_t t0_ms;              /* startup wall clock */
    int64_t archive_start_ms;   /* t0 - archive hours, whole second */
    char cuid[33];
    FILE *reqlog;
    atomic_int stopping;        /* set on SIGTERM/SIGINT: streams end */
    bool lock_ready;

    pthread_mutex_t lock;       /* guards everything below */
    bool *manual_rec;           /* per camera */
    int *live_by_user;          /* open live streams per config user */
    struct sid_table sids;
    struct lockout_table lockouts;
    struct log_store logs;
    struct qplay_table qplay;
    struct rest_state rest;     /* REST family (rest.h); the RTSP server is its own */
    struct switches sw;
    struct stats stats;
};

static inline bool sim_stopping(const struct sim *s)
{
    return atomic_load(&((struct sim *)s)->stopping) != 0;
}

#endif
