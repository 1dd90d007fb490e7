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
 * the audio never outlasts the video).
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

/* Writes what the encoder still holds (nothing when copying). */
int clip_audio_finish(struct clip_audio *a);

void clip_audio_free(struct clip_audio *a);

#endif
