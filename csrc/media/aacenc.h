/*
 * aacenc.h - camera audio (G.711, G.726, PCM) to AAC with libavcodec (plain
 * C: no Lua), for containers that take AAC only (MP4).
 *
 * Owns: the decoder, FFmpeg's native AAC encoder and the samples between
 * them.  Each AAC packet is handed to a sink with the ms time of the input
 * frame its first sample came from, so gaps stay gaps.
 */
#ifndef QVR_AACENC_H
#define QVR_AACENC_H

#include <stddef.h>
#include <stdint.h>

#include "qvr_wire.h"

typedef struct qvr_aacenc qvr_aacenc;

/* Receives one AAC packet (raw, no ADTS) and its time in ms; 0 or -1. */
typedef int (*qvr_aac_sink)(void *ctx, const uint8_t *d, size_t n, int64_t ts_ms);

/* codec: QVR_CODEC_G711 (alaw: A-law), QVR_CODEC_G726 (bits 2..5) or
 * QVR_CODEC_PCM (s16le).  0 with *out, or -1 with err filled. */
int qvr_aacenc_open(qvr_aacenc **out, enum qvr_codec codec, int alaw, int bits, unsigned rate,
                    unsigned channels, char *err, size_t errlen);

/* The AudioSpecificConfig for the container. */
const uint8_t *qvr_aacenc_extradata(const qvr_aacenc *a, size_t *n);
unsigned qvr_aacenc_rate(const qvr_aacenc *a);
unsigned qvr_aacenc_channels(const qvr_aacenc *a);

/* One input frame; the packets that became complete go to sink.  0 or -1. */
int qvr_aacenc_feed(qvr_aacenc *a, const uint8_t *d, size_t n, int64_t ts_ms, qvr_aac_sink sink,
                    void *ctx);

/* The last samples and the encoder's delay, to sink.  0 or -1. */
int qvr_aacenc_flush(qvr_aacenc *a, qvr_aac_sink sink, void *ctx);

const char *qvr_aacenc_error(const qvr_aacenc *a);
void qvr_aacenc_free(qvr_aacenc *a);

#endif
