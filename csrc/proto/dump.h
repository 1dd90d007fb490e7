/*
 * dump.h - writing and reading `.qvr` dumps (plain C: no Lua, no curl).
 *
 * Owns: the writer and the reader of the format qvr_dump.h defines.  The
 * writer appends records, keeps the seek points in memory and writes the
 * index and trailer on finish; it can also reopen a file a killed writer
 * left behind and continue after its last complete record.  The reader walks
 * the records, decodes each frame with the stream parser's decoders (wire.h,
 * so its fields are those of the original stream), seeks by time with the index or by a
 * scan, and never reads or allocates past what the file really holds.
 *
 * Seek points: a record is one when it is a JPEG record, or a source record
 * flagged key whose fourcc is not audio (QVR streams flag every audio frame
 * as key, which would make an index of audio frames).  The index lists the
 * seek points; a dump without any lists every record, as the format says.
 */
#ifndef QVR_DUMP_IMPL_H
#define QVR_DUMP_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"
#include "qvr_dump.h"

#define QVR_DUMP_PAYLOAD_MAX (32u * 1024u * 1024u)
#define QVR_DUMP_HEAD_FIXED  (QVR_DUMP_MAGIC_LEN + 4)   /* magic + meta_len */
#define QVR_DUMP_INDEX_HEAD  (QVR_DUMP_MAGIC_LEN + 4)   /* magic + count */
#define QVR_DUMP_INDEX_ENTRY 16

enum qvr_dump_error {
    QVR_DERR_NONE = 0,
    QVR_DERR_IO,         /* the system refused: open, read, write, sync */
    QVR_DERR_FORMAT,     /* not a dump, or a corrupt part: magic, lengths, index */
    QVR_DERR_TRUNCATED,  /* the file ends inside the head, a record or the index */
    QVR_DERR_FRAME,      /* a record whose bytes are not the frame it claims */
    QVR_DERR_ARG,        /* a record the writer refuses (type, sizes) */
    QVR_DERR_NOMEM
};

struct qvr_dump_err {
    enum qvr_dump_error kind;
    char msg[256];
};

/* A record's head, where it starts and whether it is a seek point. */
struct qvr_dump_rec {
    unsigned type, flags;
    uint32_t header_len, payload_len;
    uint64_t timestamp;
    uint64_t offset;
    int seek_point;
};

/* The error name a binding shows for a kind: qvr_dump_error_name() in
 * errname.h. */

/* Whether a record (type, flags, first bytes of its header) is a seek point. */
int qvr_dump_is_seek_point(unsigned type, unsigned flags, const uint8_t *header, size_t hlen);

/* ---- writer ----------------------------------------------------------- */

typedef struct qvr_dump_writer qvr_dump_writer;

struct qvr_dump_wstats {
    uint64_t records;      /* records in the file, those found on append included */
    uint64_t bytes;        /* file size so far (head and records) */
    int64_t last_ts;       /* timestamp of the last record, -1 when none */
    int64_t first_ts;      /* timestamp of the first record, -1 when none */
};

/* A new dump at path (truncated if it exists), meta being a JSON object's
 * text.  NULL on failure, with *e set. */
qvr_dump_writer *qvr_dump_create(const char *path, const char *meta, size_t meta_len,
                                 struct qvr_dump_err *e);

/* Reopens a dump to add records: an index and trailer are dropped, bytes
 * after the last complete record (a killed writer's) are cut off.  A file
 * that is missing, or ends before its head is complete (so holds no record),
 * is created with meta as qvr_dump_create does.  Refuses files whose head or
 * records are corrupt (rather than cut short). */
qvr_dump_writer *qvr_dump_append(const char *path, const char *meta, size_t meta_len,
                                 struct qvr_dump_err *e);

/* Appends one record.  0, or -1 with the writer failed (see _error). */
int qvr_dump_write(qvr_dump_writer *w, unsigned type, unsigned flags, uint64_t ts,
                   const uint8_t *header, size_t header_len,
                   const uint8_t *payload, size_t payload_len);

/* Replaces the meta in place (a writer that learns more as it goes, e.g.
 * the gaps of a live stream that reconnects): len must not exceed the
 * file's meta length, the rest is padded with spaces (create the dump with
 * a padded meta to leave room).  0, or -1 (see _error; too long: ARG, the
 * writer goes on). */
int qvr_dump_set_meta(qvr_dump_writer *w, const char *meta, size_t len);

/* Hands buffered records to the system; with sync, waits for the disk. */
int qvr_dump_flush(qvr_dump_writer *w, int sync);

/* Writes the index and trailer, syncs and closes; frees w in every case.
 * 0, or -1 with *e set. */
int qvr_dump_finish(qvr_dump_writer *w, struct qvr_dump_err *e);

const struct qvr_dump_wstats *qvr_dump_writer_stats(const qvr_dump_writer *w);
const struct qvr_dump_err *qvr_dump_writer_error(const qvr_dump_writer *w);
/* The meta text of the file (for append: the one found in it). */
const char *qvr_dump_writer_meta(const qvr_dump_writer *w, size_t *len);

/* ---- reader ----------------------------------------------------------- */

typedef struct qvr_dump_reader qvr_dump_reader;

struct qvr_dump_summary {
    uint64_t count;        /* complete records */
    int64_t first_ts, last_ts;   /* -1 when there are none */
    uint64_t end;          /* offset after the last complete record */
    int complete;          /* index and trailer present */
    enum qvr_dump_error stop;    /* why the scan stopped early (NONE: clean end) */
};

qvr_dump_reader *qvr_dump_open(const char *path, struct qvr_dump_err *e);
void qvr_dump_close(qvr_dump_reader *r);

/* The meta text (NUL-terminated). */
const char *qvr_dump_meta(const qvr_dump_reader *r, size_t *len);
/* Whether the file has a (valid) index; the number of its entries. */
int qvr_dump_indexed(const qvr_dump_reader *r, uint64_t *entries);

/* The next record as it is stored: 1 with *rec and *bytes (header then
 * payload, valid until the next call), 0 at the end, -1 on error. */
int qvr_dump_next_record(qvr_dump_reader *r, struct qvr_dump_rec *rec, const uint8_t **bytes);

/* The next frame, decoded as the stream parser decodes it: 1, 0 at the end, -1 on
 * error.  out's pointers are valid until the next call. */
int qvr_dump_next(qvr_dump_reader *r, struct qvr_frame *out);

/* Positions the reader at the last seek point at or before ts (the first
 * record when there is none), with the index when there is one.  0 or -1. */
int qvr_dump_seek(qvr_dump_reader *r, uint64_t ts);

/* Counts the records by walking their heads (cached after the first call);
 * the reading position does not move. */
int qvr_dump_summarize(qvr_dump_reader *r, struct qvr_dump_summary *s);

const struct qvr_dump_err *qvr_dump_reader_error(const qvr_dump_reader *r);

#endif
