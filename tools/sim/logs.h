/*
 * logs.h - the QVR Pro event log.
 *
 * Owns: the log store (a deterministic synthetic history across the archive
 * window plus entries appended by logins, failed logins, logouts and mrec)
 * and {prefix}/logs/logs with every filter, paging and sort option of
 * section 3.1 and the 1.3.1 API description.
 */
#ifndef SIM_LOGS_H
#define SIM_LOGS_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

struct log_entry {
    int64_t utc_ms;
    int log_type;         /* 1..5 as section 3.1 numbers them */
    int log_id;
    int level;            /* 0 information, 1 warning, 2 error */
    int channel;          /* channel_index, -1 when not about a camera */
    char user[64];
    char source_ip[48];
    char source_name[64];
    char content[160];
};

struct log_store {
    struct log_entry *v;
    size_t n, cap;
    int next_id;
};

struct sim;
struct req;

/* Builds the synthetic history (one entry every few minutes from the
 * archive start to startup).  0 on success. */
int logs_init(struct sim *s);
void logs_free(struct sim *s);

/* Lock held: appends an entry stamped now. */
void logs_append(struct sim *s, int type, int level, int channel, const char *user,
                 const char *ip, const char *content);


#endif
