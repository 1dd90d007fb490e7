/*
 * exportloop.h - the export's per-frame work in C (plain C: no Lua): a
 * frame of the playback is trimmed to the export's range, dropped when it
 * repeats one already written (a continued or resumed playback), checked
 * against the streams, counted, tracked for gaps and written to the muxer
 * with a tag that tells, at the muxer's sync points, where each medium's
 * committed frames end (mux.h, qvr_mux_sync).
 *
 * Owns: the counts, the per-medium cursors (last timestamp and how many
 * frames at it), the skip cursors and the gap lists of one export.  The
 * muxer belongs to the caller.  Lua's qvrpro.export does the job around it
 * (exportobj.c binds it).
 */
#ifndef QVR_EXPORTLOOP_H
#define QVR_EXPORTLOOP_H

#include <stddef.h>
#include <stdint.h>

#include "mux.h"
#include "parser.h"

enum qvr_xmedia { QVR_XVIDEO = 0, QVR_XAUDIO = 1, QVR_XMEDIA = 2 };

/* A frame's fate. */
enum qvr_xstatus { QVR_X_WRITTEN, QVR_X_DROPPED, QVR_X_END, QVR_X_ERROR };

struct qvr_xgap { int64_t from, to; };

struct qvr_xtrack {
    int stream;                  /* muxer stream (0-based), -1: none */
    int skipped;                 /* no stream on purpose: frames left out */
    enum qvr_codec codec;        /* the stream's codec */
    uint64_t written;            /* frames written to the muxer */
    int64_t cur_ts;              /* last frame taken (-1: none) ... */
    uint32_t cur_n;              /* ... and how many at that timestamp */
    int64_t skip_ts;             /* drop frames before this (-1: none) ... */
    uint32_t skip_n;             /* ... and the first skip_n at it */
    int64_t gprev, ginterval;    /* the gap tracker (-1: none yet) */
    struct qvr_xgap *gaps;
    size_t ngaps, capgaps;
};

struct qvr_xloop {
    qvr_mux *m;
    int64_t from, to, floor;     /* frames in [floor, to] are the export's */
    struct qvr_xtrack t[QVR_XMEDIA];
    uint64_t taken;              /* frames taken (written or left out) */
    int64_t first_ts, last_ts;   /* of the frames written, -1 */
    char err_name[32];
    char err[256];
};

void qvr_xloop_init(struct qvr_xloop *x, qvr_mux *m, int64_t from, int64_t to, int64_t floor);
void qvr_xloop_free(struct qvr_xloop *x);

/* Appends a gap to a medium's list (restoring state); 0 or -1 (memory). */
int qvr_xloop_add_gap(struct qvr_xloop *x, int media, int64_t from, int64_t to);

/* Arms the skip cursors from the per-medium cursors: a playback that starts
 * again at or before them drops what was taken already. */
void qvr_xloop_arm_skip(struct qvr_xloop *x);

/* One frame of the playback. */
enum qvr_xstatus qvr_xloop_frame(struct qvr_xloop *x, const struct qvr_frame *f);

/* The tag layout of the packets it writes (mux.h, QVR_MUX_TAG). */
enum { QVR_XTAG_TS, QVR_XTAG_N, QVR_XTAG_GAPS, QVR_XTAG_INTERVAL };

#endif
