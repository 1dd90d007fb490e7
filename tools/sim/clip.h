/*
 * clip.h - recordings cut by the NVR itself, with libavformat/libavcodec
 * (docs/REST.md "camera/recordingfile", "camera/snapshot image_ts").
 *
 * Owns: the recording-file boundaries (one file per UTC minute, a gap ends
 * a file), remuxing a range of the archive into an MP4 in memory (the audio
 * track through clip_audio.h), and the recorded picture at a time as a JPEG
 * (the MJPEG frame itself, or the H.264 frame decoded and encoded as JPEG).
 */
#ifndef SIM_CLIP_H
#define SIM_CLIP_H

#include <stdint.h>

#include "util.h"

struct sim;
struct camera;

#define REC_FILE_MS 60000   /* a recording file spans one UTC minute */

enum clip_result { CLIP_OK = 0, CLIP_NO_DATA = -1, CLIP_FAILED = -2 };

/* Quiets libav's informational messages (its errors still reach stderr). */
void clip_init(void);

/* The MP4 of the camera's video (and audio, clip_audio.h) in [from, to)
 * limited to the recording file holding `from`; starts at the key frame at
 * or before `from` (inside that file).  first_ts and end_ts get the range
 * actually served. */
enum clip_result clip_mp4(const struct sim *s, const struct camera *c, int64_t from, int64_t to,
                          struct buf *out, int64_t *first_ts, int64_t *end_ts);

/* A JPEG of the video frame recorded at ts (the last frame at or before
 * it). */
enum clip_result clip_jpeg_at(const struct sim *s, const struct camera *c, int64_t ts,
                              struct buf *out);

#endif
