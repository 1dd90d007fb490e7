/*
 * clip_audio.h - the audio track of recordingfile MP4s (docs/REST.md
 * "camera/recordingfile"), with libavformat/libavcodec.
 *
 * Owns: the MP4 audio stream of a camera with audio and what goes into it.
 * AAC is copied (the ADTS header stripped, its AudioSpecificConfig as the
 * stream's extradata); G.711 µ-law and G.726, which an MP4 cannot carry,
 * are decoded and encoded to AAC-LC at the camera's sample rate (the
 * encoder's priming packet dropped, so the first packet is the first
 * sample; samples short of a whole AAC frame at the end are left out, so
 * the audio never outlasts the video).  HLS segments (hls.c) take a span
 * of the camera's audio clock instead (clip_audio_span).
 */
#ifndef SIM_CLIP_AUDIO_H
#define SIM_CLIP_AUDIO_H

#include <stdint.h>

struct AVFormatContext;
struct camera;
struct clip;
struct clip_frame;
struct clip_audio;

/* Adds the audio stream of camera c (its fixture clip: clip) to oc, before
 * the header is written; *out stays NULL for a camera without audio.
 * 0 on success. */
int clip_audio_open(struct clip_audio **out, struct AVFormatContext *oc,
                    const struct camera *c, const struct clip *clip);

/* Writes the audio frame cf that starts pts_ms after the file's first
 * frame (frames come in order, without holes). */
int clip_audio_frame(struct clip_audio *a, const struct clip_frame *cf, int64_t pts_ms);

/* HLS segments (hls.c): the track of the span [t0_ms, t1_ms) of the
 * camera's audio clock, stamped relative to base_ms, to be joined with the
 * spans before and after it.  Copying, it is the fixture frames j0..j1-1
 * (those starting in the span).  Encoding, AAC frame m holds the camera's
 * samples m*1024.. (sample 0 at time 0): the track gets the frames starting
 * in the span, the encoder fed from one frame before to one frame after
 * them, so they decode on from the neighbours' frames; feed the fixture
 * frames j0..j1-1 (their pts is then ignored).  Call once, before any
 * frame. */
void clip_audio_span(struct clip_audio *a, int64_t t0_ms, int64_t t1_ms, int64_t base_ms,
                     int64_t *j0, int64_t *j1);

/* Writes what the encoder still holds (nothing when copying). */
int clip_audio_finish(struct clip_audio *a);

void clip_audio_free(struct clip_audio *a);

#endif
