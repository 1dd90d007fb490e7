/*
 * qplay.h - playback sessions (qplay.cgi, SDK section 4.2).
 *
 * Owns: the session table (30-character ids from the CSPRNG, a limit per
 * user, expiry after --qplay-idle seconds without a command), every command
 * of section 4.2 and the `get` stream that plays the archive from the
 * session's position.
 */
#ifndef SIM_QPLAY_H
#define SIM_QPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QPLAY_ID_LEN 30

struct qplay_session {
    char id[QPLAY_ID_LEN + 1];
    int user;
    int cam;                /* channel index */
    int data_type;          /* 0 JPEG records, 1 source frames */
    int64_t lo, hi;         /* window: start_time (clamped) .. end_time inclusive */
    int64_t pos_key;        /* order key of the next frame going forward */
    int64_t back_key;       /* rewinding: next frame's order key is below this */
    int64_t last_video_key; /* order key of the last video frame sent, -1 before */
    int speed;              /* 1..160, 10 = real time */
    int dir;                /* 1 forward (play/ff), -1 rewind */
    bool paused, skip, timecontrol, playclose;
    int steps;              /* frames next_frame/prev_frame still owe */
    unsigned epoch;         /* bumped by every command that moves playback */
    int64_t last_cmd_ms;
    bool closing;           /* closed/expired/ended while a get is attached */
    int gets;               /* attached get streams */
};

struct qplay_table {
    struct qplay_session **v;
    size_t n, cap;
};

struct sim;

/* Lock held: expires idle sessions, frees closed ones nobody streams. */
void qplay_sweep(struct sim *s, int64_t now);
/* Lock held: sessions not closing. */
size_t qplay_open_count(const struct sim *s);
void qplay_free_all(struct sim *s);

#endif
