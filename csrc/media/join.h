/*
 * join.h - joining MP4 pieces into one file with libavformat (plain C: no
 * Lua).
 *
 * Owns: stream copy of several files of the same camera (the pieces an NVR
 * cuts with camera/recordingfile, docs/REST.md) into one container, each
 * piece placed at its own time on one millisecond timeline, packets that
 * overlap what was already written dropped, packets at or after an end
 * time dropped; and measuring a file's packet span.
 */
#ifndef QVR_JOIN_H
#define QVR_JOIN_H

#include <stddef.h>
#include <stdint.h>

struct qvr_join_piece {
    const char *path;
    int64_t at_ms;         /* output time of the piece's earliest packet */
};

struct qvr_join_stats {
    uint64_t packets, dropped;
    int64_t first_ms, end_ms;   /* output span written (end: last pts + duration) */
    int streams;
};

/* Writes pieces[0..n) into `out` (format: libavformat short name, NULL:
 * from the file name), keeping packets with output time < end_ms (end_ms
 * <= 0: all).  Every piece must have the streams of the first (same media
 * type and codec, in any order).  0, or -1 with err filled. */
int qvr_join(const struct qvr_join_piece *pieces, size_t n, const char *out,
             const char *format, int64_t end_ms, struct qvr_join_stats *st,
             char *err, size_t errlen);

/* The span of a file's packets in ms on its own timeline: earliest pts and
 * the latest pts + duration, over all streams.  0, or -1 with err filled. */
int qvr_media_span(const char *path, int64_t *start_ms, int64_t *end_ms,
                   char *err, size_t errlen);

#endif
