/*
 * codec.h - codec parameters read from frame payloads (plain C: no Lua, no
 * FFmpeg).
 *
 * Owns: what a container needs to know about a stream that only its bytes
 * tell: the H.264 parameter sets of a key frame (Annex B), the ADTS header
 * of an AAC frame and the AudioSpecificConfig it implies, the MPEG-4
 * Visual configuration (VOS/VO/VOL) before a key frame's first VOP, and the
 * size of a JPEG picture (its SOFn segment); and the date form the servers
 * print in JPEG-mode records ("YYYY-MM-DD HH:MM:SS[.mmm][Z]", UTC).
 */
#ifndef QVR_CODEC_H
#define QVR_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* The SPS and PPS NAL units of an Annex B access unit, copied to out with
 * 4-byte start codes (the form libavformat takes as H.264 extradata).
 * Returns the length, 0 when the unit lacks an SPS or a PPS or out is too
 * small. */
size_t qvr_h264_parameter_sets(const uint8_t *d, size_t n, uint8_t *out, size_t cap);

struct qvr_adts {
    unsigned header_len;      /* 7, or 9 with a CRC */
    unsigned frame_len;       /* header included */
    unsigned object_type;     /* AAC audio object type (profile + 1) */
    unsigned freq_index;
    unsigned sample_rate;     /* 0 for a reserved index */
    unsigned channels;        /* channel configuration */
    unsigned blocks;          /* raw data blocks in the frame */
};

/* Reads the ADTS header at d: 0, or -1 when d does not start with one. */
int qvr_adts_parse(const uint8_t *d, size_t n, struct qvr_adts *a);

/* The 2-byte AudioSpecificConfig of an ADTS stream. */
void qvr_aac_config(const struct qvr_adts *a, uint8_t asc[2]);

/* The length of the MPEG-4 Visual configuration at the start of d (the
 * bytes before the first VOP start code 00 00 01 B6), 0 when there is none. */
size_t qvr_mpeg4_config(const uint8_t *d, size_t n);

/* Width and height of a JPEG picture from its first SOF0/SOF1/SOF2 segment,
 * walking the marker chain within the first QVR_JPEG_SCAN_MAX bytes; both 0
 * when d is not a JPEG or no such segment comes in time. */
#define QVR_JPEG_SCAN_MAX (64u * 1024u)
void qvr_jpeg_dims(const uint8_t *d, size_t n, uint32_t *w, uint32_t *h);

/* "YYYY-MM-DD HH:MM:SS" (or 'T' between date and time), then optionally ".m"
 * to ".mmm" and 'Z', read as UTC (years 1970 to 9999, real calendar days):
 * 1 with *ms (ms since 1970), 0 for anything else (*ms untouched). */
int qvr_parse_datetime(const uint8_t *s, size_t n, uint64_t *ms);

#endif
