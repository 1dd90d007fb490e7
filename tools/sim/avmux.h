/*
 * avmux.h - a camera's video track and its audio (clip_audio.c) muxed by
 * libavformat into memory: what recordingfile MP4s (clip.c) and HLS
 * segments (hls.c) share.
 *
 * Owns: writing one video packet (pts in ms) and closing the muxer (the
 * audio finished, the trailer written, the I/O and format contexts freed).
 * The caller opens it: its container, its video stream and its I/O.
 */
#ifndef SIM_AVMUX_H
#define SIM_AVMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct AVFormatContext;
struct AVStream;
struct clip_audio;

struct avmux {
    struct AVFormatContext *oc;
    struct AVStream *st;        /* the video stream */
    struct clip_audio *audio;   /* NULL: no audio */
    bool header;                /* the header is written: a trailer is due */
};

/* Writes the video frame data[0..len) at pts_ms (also its dts), lasting
 * dur ms.  0 on success. */
int avmux_video(struct avmux *m, const uint8_t *data, size_t len, bool key, int64_t pts_ms,
                int64_t dur);

/* Finishes (when ok: the audio, then the trailer) and frees what m holds;
 * 0 when ok and all of it was written. */
int avmux_close(struct avmux *m, bool ok);

#endif
