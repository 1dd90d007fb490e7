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
 *
 * A camera backed by a dump (dump.h) has the dump's records instead, in
 * file order, over the dump's time span, without gaps: its order key is a
 * record's position in the dump.  Its live stream is stream.c's loop.
 */
#ifndef SIM_ARCHIVE_H
#define SIM_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dump.h"
#include "media.h"

struct sim;

struct arc_frame {
    int64_t ts;
    int64_t order;              /* its order key: the next frame is from order + 1 */
    bool audio;
    bool key;
    const struct clip_frame *cf;/* fixture payload (NULL for a dump record) */
    const struct dump_rec *rec; /* dump record (NULL for a fixture frame) */
};

enum {
    ARC_AUDIO = 1,        /* include audio frames */
    ARC_KEYONLY = 2,      /* video key frames only (no audio) */
    ARC_LIVE = 4,         /* ignore gaps */
    ARC_JPEG = 8,         /* a dump's JPEG records (type 2) instead of its source frames */
};

static inline int64_t arc_key(int64_t ts, bool audio)
{
    return ts * 2 + (audio ? 1 : 0);
}

/* The order key of the first frame at or after ts (a dump: the first
 * record in file order with a timestamp >= ts). */
int64_t arc_key_at(const struct sim *s, const struct camera *c, int64_t ts);

/* The first frame whose order key is >= from_key and whose timestamp is
 * <= hi; false when there is none. */
bool arc_next(const struct sim *s, const struct camera *c, int64_t from_key, int64_t hi,
              unsigned flags, struct arc_frame *out);

/* The last video frame (key frame with ARC_KEYONLY, JPEG record with
 * ARC_JPEG) whose order key is < before_key and timestamp >= lo; false when
 * there is none. */
bool arc_prev_video(const struct sim *s, const struct camera *c, int64_t before_key, int64_t lo,
                    unsigned flags, struct arc_frame *out);

/* First timestamp of the camera's recording (the archive start; a dump's
 * first timestamp). */
int64_t arc_begin(const struct sim *s, const struct camera *c);
/* Last instant with recordings: now, or startup for a camera that is not
 * connected; a dump's last timestamp. */
int64_t arc_end(const struct sim *s, const struct camera *c, int64_t now);

/* ts falls into one of the camera's gaps; *gap_end gets its end. */
bool arc_in_gap(const struct sim *s, const struct camera *c, int64_t ts, int64_t *gap_end);

#endif
