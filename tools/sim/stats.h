/*
 * stats.h - counters served by /sim/stats.
 *
 * Owns: the endpoint list (names used in logs and stats) and the counters.
 * Updated under the simulator lock.
 */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdint.h>

enum endpoint {
    EP_LOGIN, EP_LOGOUT, EP_QVRENTRY, EP_CAMERA_STATUS, EP_LIVEIMAGE, EP_MREC, EP_LOGS,
    EP_GETSTREAM, EP_QPLAY, EP_REST, EP_SIM, EP_OTHER, EP_COUNT
};

extern const char *const endpoint_names[EP_COUNT];

struct stats {
    uint64_t logins_ok, logins_failed;
    uint64_t *logins_by_user;       /* one per config user */
    uint64_t requests[EP_COUNT];
    uint64_t requests_total;
    uint64_t qplay_opened_total, qplay_closed_total, qplay_expired_total;
    int64_t live_streams_open;
    int64_t qplay_gets_open;
};

#endif
