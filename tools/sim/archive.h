/*
 * archive.h - the deterministic recording timeline of every camera.
 *
 * Owns: which frames exist and when.  Video frame k of a camera has the
 * timestamp k * (1000 / fps) ms (absolute, aligned to the epoch), the
 * payload of fixture frame k mod N of its clip and that frame's key flag;
 * audio frame k likewise at k * audio_ms.  Frames are ordered by timestamp,
 * video before audio at equal timestamps, which the "order key"
 * ts * 2 + (audio ? 1 : 0) expresses.  Recordings exist from the archive
 * start to now (to startup for a camera that is not connected), minus the
 * camera's configured gaps; live streams ignore both bounds and gaps.
 */
#ifndef SIM_ARCHIVE_H
#define SIM_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "media.h"

struct sim;

struct arc_frame {
    int64_t ts;
    bool audio;
    bool key;
    const struct clip_frame *cf;
};

enum {
    ARC_AUDIO = 1,        /* include audio frames */
    ARC_KEYONLY = 2,      /* video key frames only (no audio) */
    ARC_LIVE = 4,         /* ignore gaps */
};

static inline int64_t arc_key(int64_t ts, bool audio)
{
    return ts * 2 + (audio ? 1 : 0);
}

/* The first frame whose order key is >= from_key and whose timestamp is
 * <= hi; false when there is none. */
bool arc_next(const struct sim *s, const struct camera *c, int64_t from_key, int64_t hi,
              unsigned flags, struct arc_frame *out);

/* The last video frame (key frame with ARC_KEYONLY) with timestamp < before
 * and >= lo; false when there is none. */
bool arc_prev_video(const struct sim *s, const struct camera *c, int64_t before, int64_t lo,
                    unsigned flags, struct arc_frame *out);

/* First timestamp of the archive (before any camera-specific alignment). */
int64_t arc_begin(const struct sim *s);
/* Last instant with recordings: now, or startup for a camera that is not
 * connected. */
int64_t arc_end(const struct sim *s, const struct camera *c, int64_t now);

/* ts falls into one of the camera's gaps; *gap_end gets its end. */
bool arc_in_gap(const struct sim *s, const struct camera *c, int64_t ts, int64_t *gap_end);

#endif
