/*
 * wire.h - decoding QVR Pro frames (plain C: no Lua, no curl).
 *
 * Owns: the one decode of the wire format qvr_wire.h lays out (see
 * docs/PROTOCOL.md, "Live stream frames"): a 56-byte frame header, its
 * 8-byte audio extension, where a frame ends for each audio layout, the text
 * lines of a JPEG-mode record, and the struct qvr_frame both readers hand
 * out.  The stream parser (parser.c, bytes arriving in chunks) and the dump
 * reader (dump.c, whole records) both decode through these functions;
 * neither reads a header field by itself.
 *
 * The decoders never read past the n bytes they are given and never
 * allocate; each returns QVR_WIRE_OK or the qvr_wire_status that says what
 * is wrong with the input.
 */
#ifndef QVR_WIRE_DECODE_H
#define QVR_WIRE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "qvr_wire.h"

#define QVR_JPEG_LINE_MAX 256u   /* longest text line of a JPEG-mode record */

enum qvr_wire_status {
    QVR_WIRE_OK = 0,
    QVR_WIRE_SHORT,       /* fewer bytes than the part needs (header, extension, lines) */
    QVR_WIRE_FOURCC,      /* a fourcc docs/PROTOCOL.md does not list */
    QVR_WIRE_LAYOUT,      /* an audio frame's extent asked with no (or an unknown) layout */
    QVR_WIRE_LINE_LONG,   /* a JPEG-mode text line over QVR_JPEG_LINE_MAX bytes */
    QVR_WIRE_TIMESTAMP,   /* a JPEG-mode timestamp that is neither ms nor a date */
    QVR_WIRE_LENGTH,      /* a JPEG-mode length that is not a decimal number */
    QVR_WIRE_ARG          /* a caller's mistake (a line kind that does not exist) */
};

/* How audio frames are laid out; AUTO detects it from the stream and then
 * keeps it (see docs/PROTOCOL.md, "Live stream frames"). */
enum qvr_audio_layout {
    QVR_AUDIO_AUTO = 0,
    QVR_AUDIO_EXT_THEN_SIZE,      /* 8-byte audio header, then `size` bytes (reserved 8 or 0) */
    QVR_AUDIO_SIZE_INCLUDES_EXT   /* `size` counts the 8-byte audio header too */
};

/* The fields of a 56-byte frame header. */
struct qvr_frame_header {
    char fourcc[5];            /* NUL-terminated, as the table spells it */
    enum qvr_media media;
    enum qvr_codec codec;
    uint32_t flags;            /* raw dwFlags */
    int key;                   /* flags bit 0 */
    uint32_t width, height;
    uint64_t timestamp;        /* ms since 1970 UTC */
    char osd[QVR_OSD_LEN + 1]; /* channel name, up to its first NUL */
    uint32_t reserved;         /* raw dwReserved */
    uint32_t size;             /* raw dwFrameDataSize */
};

/* Where a frame's parts lie on the wire, counted from its first byte. */
struct qvr_frame_extent {
    size_t header_len;         /* 56, or 64 with the audio extension */
    uint64_t data_off;         /* the payload: after the header and, for video, dwReserved bytes */
    uint64_t total;            /* the frame's bytes on the wire */
    size_t len;                /* payload bytes */
};

/* The three text lines of a JPEG-mode record ("name\n" "timestamp\n"
 * "length\n"). */
struct qvr_jpeg_header {
    char name[QVR_OSD_LEN + 1];   /* the name line, cut to QVR_OSD_LEN bytes */
    uint64_t timestamp;           /* ms since 1970 UTC */
    uint64_t length;              /* JPEG bytes that follow */
};

enum qvr_jpeg_line { QVR_JLINE_NAME = 0, QVR_JLINE_TIMESTAMP, QVR_JLINE_LENGTH };

/* A frame as the stream parser and the dump reader hand it out. */
struct qvr_frame {
    char fourcc[5];            /* NUL-terminated; "JPEG" in JPEG mode */
    enum qvr_media media;
    enum qvr_codec codec;
    uint32_t flags;            /* raw dwFlags */
    int key;                   /* flags bit 0 (always 1 in JPEG mode) */
    uint32_t width, height;
    uint64_t timestamp;        /* ms since 1970 UTC */
    char osd[QVR_OSD_LEN + 1]; /* channel name (NUL-terminated); JPEG mode: the name line */
    uint32_t reserved;         /* raw dwReserved */
    uint32_t size;             /* raw dwFrameDataSize */
    uint32_t sample_rate;      /* audio only */
    uint16_t bits, channels;   /* audio only */
    const uint8_t *header;     /* the raw header bytes as received (56 or 64 in source mode) */
    size_t header_len;
    const uint8_t *data;       /* payload */
    size_t len;                /* payload length */
};

/* Decodes the frame header at p (n bytes available): QVR_WIRE_OK with *out,
 * QVR_WIRE_SHORT when n < QVR_HDR_SIZE, QVR_WIRE_FOURCC when the first 4
 * bytes are no fourcc of the table (*out untouched in both cases).  The
 * sizes are as the header declares them: callers hold them to their limits. */
int qvr_wire_decode_header(const uint8_t *p, size_t n, struct qvr_frame_header *out);

/* The same, for a reader of many headers: hints[0] and hints[1] (table
 * entries or NULL, kept by the caller from one header to the next; NULL at
 * first) are tried before the table, and the entry found becomes the hint
 * of its media (1 audio, 0 the rest). */
int qvr_wire_decode_header_hinted(const uint8_t *p, size_t n,
                                  const struct qvr_fourcc_info **hints,
                                  struct qvr_frame_header *out);

/* Where the frame whose header is h ends: video frames carry dwReserved
 * bytes between header and payload; audio frames need a layout (AUTO gives
 * QVR_WIRE_LAYOUT).  With QVR_AUDIO_SIZE_INCLUDES_EXT the extension is there
 * only when both dwReserved and the size are at least 8. */
int qvr_wire_extent(const struct qvr_frame_header *h, enum qvr_audio_layout layout,
                    struct qvr_frame_extent *x);

/* The source frame at p, whose header h and extent x were decoded from it:
 * fills *f with pointers into p (n bytes; QVR_WIRE_SHORT when n < x->total),
 * the audio extension decoded when x->header_len says it is there. */
int qvr_wire_source_frame(const uint8_t *p, size_t n, const struct qvr_frame_header *h,
                          const struct qvr_frame_extent *x, struct qvr_frame *f);

/* One text line of a JPEG-mode record, without its '\n' (a trailing '\r' is
 * dropped; spaces and tabs around numbers are allowed): the name is kept
 * (cut to QVR_OSD_LEN bytes), the timestamp is ms or a date
 * (qvr_parse_datetime), the length decimal digits.  QVR_WIRE_LINE_LONG,
 * QVR_WIRE_TIMESTAMP or QVR_WIRE_LENGTH on bad input. */
int qvr_wire_jpeg_line(enum qvr_jpeg_line which, const uint8_t *s, size_t n,
                       struct qvr_jpeg_header *out);

/* The text lines of a JPEG-mode record at p (n bytes: the lines only, the
 * JPEG not included): blank lines before the name are skipped (*skip: their
 * bytes), then the three lines are read; *used is the bytes up to and
 * including the length line's '\n'.  QVR_WIRE_SHORT when the three lines do
 * not all end within n, else as qvr_wire_jpeg_line. */
int qvr_wire_decode_jpeg_header(const uint8_t *p, size_t n, struct qvr_jpeg_header *out,
                                size_t *skip, size_t *used);

/* The JPEG-mode frame whose lines (hlen bytes at header) were decoded into
 * jh and whose jh->length JPEG bytes are at data: fills *f (fourcc "JPEG",
 * key, the picture's size read from its SOFn segment). */
void qvr_wire_jpeg_frame(const struct qvr_jpeg_header *jh, const uint8_t *header, size_t hlen,
                         const uint8_t *data, struct qvr_frame *f);

/* Readable names: "h264", ..., "unknown"; "video", "audio", "unknown";
 * the wire status ("ok", "short input", ...). */
const char *qvr_codec_name(enum qvr_codec c);
const char *qvr_media_name(enum qvr_media m);
const char *qvr_wire_status_text(int status);

#endif
