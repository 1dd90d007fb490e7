/*
 * dump.h - a `.qvr` dump (csrc/proto/qvr_dump.h) as a camera's recording.
 *
 * Owns: loading a dump at startup (mapped read-only, never copied) and
 * validating it: a bad magic or head is an error; a truncated or corrupt
 * tail is cut off with a warning and the complete records before it are
 * served; an index that does not match the records is ignored with a
 * warning.  Also: the table of records in file order, seeking by time
 * (through the dump's index when it is sound, by a scan otherwise), the
 * figures the camera list shows, and writing dumps (--write-dump).
 *
 * A dump camera's recording is its records in file order; an order key
 * (see archive.h) is a record's position in the table.
 */
#ifndef SIM_DUMP_H
#define SIM_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dump_rec {
    const uint8_t *hdr;     /* header_len bytes: the raw frame header, or the JPEG lines */
    const uint8_t *data;    /* payload_len bytes */
    uint64_t off;           /* the record's offset in the file */
    int64_t ts;
    uint32_t len;
    uint16_t hdr_len;
    uint8_t type;           /* QVR_DUMP_SOURCE or QVR_DUMP_JPEG */
    bool key;               /* flags bit 0 */
    bool audio;             /* a source record of an audio fourcc (or a 64-byte header) */
    char fourcc[5];         /* source records: the header's fourcc */
};

struct dump_index_entry {
    int64_t ts;
    size_t rec;             /* position in the record table */
};

struct dump {
    char *path;
    uint8_t *map;
    size_t size;
    struct dump_rec *rec;
    size_t n;
    size_t nsource, nvideo, naudio, njpeg;
    struct dump_index_entry *index;  /* NULL: no sound index, seek by scanning */
    size_t nindex;
    int64_t t_min, t_max;   /* the recording's span: every record's ts is inside */
    int64_t period;         /* the live loop: t_max - t_min + one frame spacing */
    /* for the camera list, from the first video record */
    char video_fourcc[5];
    uint32_t width, height;
    int fps;                /* estimated from the video records' spacing */
    double bit_rate;        /* payload bits per second over the span */
};

/* Loads and validates PATH; warnings go to stderr.  0, or -1 with err set. */
int dump_load(struct dump *d, const char *path, char *err, size_t errlen);
void dump_free(struct dump *d);

/* Position of the first record (in file order) with ts >= t, or d->n. */
size_t dump_seek(const struct dump *d, int64_t t);

/* Position of the first record whose offset into the live loop
 * (ts - t_min) is >= rel, or d->n. */
size_t dump_loop_seek(const struct dump *d, int64_t rel);

/* The JPEG record shown at loop offset rel (the last at or before it, else
 * the first), or NULL when the dump has none. */
const struct dump_rec *dump_jpeg_at(const struct dump *d, int64_t rel);

/* The camera list's codec name for the dump's video ("H.264", ...). */
const char *dump_codec_setting(const struct dump *d);

struct sim;
struct camera;

struct dump_write_opts {
    const char *path;
    int64_t from, to;       /* absolute ms, both inclusive */
    bool with_jpeg;         /* add a JPEG record (the snapshot) at every video key frame */
    bool with_index;        /* write the key-frame index and the trailer */
};

/* Writes the frames camera c's playback would give for [from, to] as a
 * dump; prints a summary on stdout.  0, or -1 with err set. */
int dump_write(struct sim *s, const struct camera *c, const struct dump_write_opts *o,
               char *err, size_t errlen);

#endif
