/*
 * frame.h - frames on the wire (SDK section 4.1.2, qvr_wire.h).
 *
 * Owns: writing a frame of the archive as a 56-byte header (+ the 8-byte
 * audio header) + payload, the audio_layout quirk, the garbage/bigsize
 * faults, the data_type=0 playback record (name, timestamp, length,
 * JPEG), and a dump's records as recorded (live: re-stamped).
 */
#ifndef SIM_FRAME_H
#define SIM_FRAME_H

#include "archive.h"
#include "switches.h"
#include "util.h"

enum frame_damage { DAMAGE_NONE, DAMAGE_GARBAGE, DAMAGE_BIGSIZE };

/* Appends the frame f of camera c in the live-stream format. */
int frame_encode(struct buf *out, const struct camera *c, const struct arc_frame *f,
                 enum audio_layout layout, enum frame_damage damage, uint64_t *rng);

/* Appends a dump record as recorded: its header and payload.  restamp >= 0
 * rewrites the timestamp field of a source record's 56-byte header (the
 * live loop); the damage applies to source records. */
int frame_record(struct buf *out, const struct dump_rec *r, int64_t restamp,
                 enum frame_damage damage, uint64_t *rng);

/* Appends a data_type=0 record: "name\ntimestamp\nlength\n" + JPEG. */
int frame_jpeg_record(struct buf *out, const struct camera *c, int64_t ts,
                      const struct clip *jpeg);

#endif
