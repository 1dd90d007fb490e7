/*
 * mux.h - writing frames into a container with FFmpeg's libavformat (plain
 * C: no Lua).
 *
 * Owns: one output file (Matroska, MP4, ...) and its streams.  Packets take
 * their timestamps from the frames' millisecond clock (time base 1/1000,
 * relative to a zero point), so a gap in the recording stays a gap in time;
 * each packet's duration is the distance to the stream's next packet (a gap
 * is not stretched over: such a packet keeps the stream's usual duration).
 * AAC frames with ADTS headers are written raw with the AudioSpecificConfig
 * as extradata; H.264 goes in as Annex B with its parameter sets as Annex B
 * extradata, which libavformat's Matroska and MP4 muxers turn into avcC.
 * The header is written with the first packet, the trailer on close.
 */
#ifndef QVR_MUX_H
#define QVR_MUX_H

#include <stddef.h>
#include <stdint.h>

#include "qvr_wire.h"

typedef struct qvr_mux qvr_mux;

struct qvr_mux_opts {
    const char *format;          /* libavformat's short name: "matroska", "mp4", ... */
    int fragmented;              /* MP4: fragments at key frames, resilient to a kill */
    int has_zero;
    int64_t zero;                /* ms mapped to 0; default: the first packet's time */
    const char *const *metadata; /* key, value, key, value, ..., NULL */
    /* Matroska only: the file is written through our own I/O, packets go
     * out at once (no interleaving queue) and the muxer is bit-exact, so
     * that every cluster end is a sync point (qvr_mux_sync) where the file
     * can be cut and continued by another muxer (qvr_mux_resume). */
    int resumable;
};

/* The caller's tag of a packet (qvr_mux_write_tagged), handed back with the
 * sync point that commits it. */
#define QVR_MUX_TAG 4

/* One stream at a sync point: what of it is in the file. */
struct qvr_mux_commit {
    uint64_t packets;            /* packets of the stream in the file */
    int64_t last_pts;            /* the last one's pts (ms after the zero point) */
    int64_t usual;               /* the usual duration after it (mux.c's gap rule) */
    int64_t tag[QVR_MUX_TAG];    /* the caller's tag of the last one (all 0: none) */
};

/* A sync point: the file's first `offset` bytes are the header and whole
 * clusters holding exactly the committed packets of each stream. */
struct qvr_mux_sync {
    uint64_t seq;                /* moves on at every new sync point; 0: none yet */
    uint64_t offset;
    uint64_t header_len;         /* bytes before the first cluster */
    int64_t zero;
    int n;
    struct qvr_mux_commit s[8];
};

struct qvr_mux_stream {
    enum qvr_codec codec;
    int alaw;                    /* G.711: A-law (fourcc A711) rather than mu-law */
    unsigned width, height;      /* video */
    unsigned sample_rate, channels, bits;   /* audio; bits: G.726 bits per sample */
    const uint8_t *extradata;
    size_t extradata_len;
    int adts;                    /* AAC: strip ADTS headers from the packets */
    int aac;                     /* G.711/G.726/PCM: write as AAC (libavcodec, aacenc.h) */
};

struct qvr_mux_stats {
    uint64_t packets;            /* handed to libavformat */
    uint64_t bytes;              /* written to the file so far */
    uint64_t adjusted;           /* packets whose time was moved forward (non-increasing) */
};

/* Creates the file.  0 with *out, or -1 with err filled. */
int qvr_mux_open(qvr_mux **out, const char *path, const struct qvr_mux_opts *o,
                 char *err, size_t errlen);

/* Adds a stream before the first packet: its index (0-based), or -1. */
int qvr_mux_add_stream(qvr_mux *m, const struct qvr_mux_stream *s);

/* One frame: payload, time in ms (absolute: the zero point is taken off),
 * key flag.  0, or -1 (the muxer then stays failed). */
int qvr_mux_write(qvr_mux *m, int stream, const uint8_t *d, size_t n, int64_t ts_ms, int key);

/* qvr_mux_write with a tag for the packet (resumable muxers). */
int qvr_mux_write_tagged(qvr_mux *m, int stream, const uint8_t *d, size_t n, int64_t ts_ms,
                         int key, const int64_t tag[QVR_MUX_TAG]);

/* The latest sync point of a resumable muxer, its bytes handed to the
 * system first (so the file holds them when the caller records it).  0, or
 * -1 (failed, or not resumable). */
int qvr_mux_sync(qvr_mux *m, struct qvr_mux_sync *out);

/* Continues a file a resumable muxer wrote: call after the streams are
 * added (the same as then, with the same zero point and metadata).  The
 * file must be Matroska, `offset` a cluster boundary of it (or its end), and
 * the header this muxer writes `header_len` bytes long, as the first run's
 * was; the header is then written again over the first (undoing what a
 * trailer filled in), the file cut at `offset`, and packets go on there,
 * each stream's state being `c[i]`.  0, or -1 with nothing in the file
 * changed. */
int qvr_mux_resume(qvr_mux *m, uint64_t offset, uint64_t header_len,
                   const struct qvr_mux_commit *c, int n);

/* Writes the held packets and the trailer, closes and fsyncs the file.
 * 0 or -1.  The muxer must still be freed. */
int qvr_mux_finish(qvr_mux *m);

void qvr_mux_free(qvr_mux *m);

const char *qvr_mux_error(const qvr_mux *m);
const struct qvr_mux_stats *qvr_mux_stats(qvr_mux *m);
int qvr_mux_streams(const qvr_mux *m);

#endif
