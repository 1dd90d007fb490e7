/*
 * parser.h - incremental parser for QVR Pro media streams (plain C, no Lua,
 * no curl).
 *
 * Owns: turning the bytes of a getstream.cgi body or a qplay.cgi `get` body
 * into frames.  Feed it chunks of any size with qvr_parser_feed() (or lend
 * them: qvr_parser_lend()), then call qvr_parser_next() until it stops
 * returning QVR_PARSE_FRAME.  A frame's payload points into the parser's
 * buffer (or the lent chunk) and stays valid until the next call to
 * qvr_parser_feed(), qvr_parser_lend(), qvr_parser_settle() or
 * qvr_parser_free().
 *
 * The stream starts with a result-code line ("0\n" is success, a negative
 * number is a 32-bit server code printed signed); an optional leading blank
 * or version line is skipped.  Then come either source frames (56-byte
 * header, see qvr_wire.h; decoded by wire.h) or, in JPEG mode (qplay data_type=0), records of
 * "name\n" "timestamp\n" "length\n" and `length` bytes of JPEG.
 */
#ifndef QVR_PARSER_H
#define QVR_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"   /* struct qvr_frame, enum qvr_audio_layout, the decoders */

#define QVR_PARSER_DEFAULT_MAX_SIZE (32u * 1024u * 1024u)

enum qvr_parse_mode {
    QVR_MODE_SOURCE = 0,  /* getstream.cgi, qplay get with data_type=1 */
    QVR_MODE_JPEG = 1     /* qplay get with data_type=0 */
};

enum qvr_parse_status {
    QVR_PARSE_NEED_MORE = 0,  /* no complete frame buffered: feed more bytes */
    QVR_PARSE_FRAME = 1,      /* *out holds a frame */
    QVR_PARSE_END = 2,        /* qvr_parser_finish() was called and all is consumed */
    QVR_PARSE_ERROR = -1      /* see qvr_parser_error(); the parser stays failed */
};

enum qvr_parse_error {
    QVR_PERR_NONE = 0,
    QVR_PERR_CODE_LINE,     /* garbage where the result-code line should be */
    QVR_PERR_SERVER_CODE,   /* the code line carried a failure code */
    QVR_PERR_TOO_BIG,       /* a size or offset field over the configured maximum */
    QVR_PERR_FOURCC,        /* a frame header with an unknown fourcc */
    QVR_PERR_RECORD,        /* a malformed JPEG-mode record header */
    QVR_PERR_TRUNCATED,     /* the stream ended inside a frame */
    QVR_PERR_NOMEM          /* an allocation failed */
};

struct qvr_parser_opts {
    enum qvr_parse_mode mode;
    uint32_t max_size;             /* 0: QVR_PARSER_DEFAULT_MAX_SIZE */
    enum qvr_audio_layout audio;   /* QVR_AUDIO_AUTO unless forced */
};

typedef struct qvr_parser qvr_parser;

/* NULL opts means the defaults (source mode, 32 MiB, auto audio layout). */
qvr_parser *qvr_parser_new(const struct qvr_parser_opts *opts);
void qvr_parser_free(qvr_parser *p);

/* Append bytes.  Returns 0, or -1 when out of memory (the parser then fails
 * with QVR_PERR_NOMEM).  The buffer never holds more than one frame plus the
 * chunk being fed, whatever the stream's length. */
int qvr_parser_feed(qvr_parser *p, const uint8_t *buf, size_t len);

/* No more bytes will come: the next qvr_parser_next() returns the remaining
 * frames, then END, or ERROR/TRUNCATED if bytes of an incomplete frame remain
 * (and ERROR/CODE_LINE if not even the code line arrived). */
void qvr_parser_finish(qvr_parser *p);

/* Zero-copy feeding: lends len bytes at buf to the parser, which reads
 * them in place (a frame begun in an earlier chunk is completed in the
 * parser's own buffer with a copy of its rest only; an unfinished text line,
 * the code line or a JPEG record's, takes the rest of the chunk instead).  Frames that
 * qvr_parser_next() returns may point into buf; they stay valid until
 * qvr_parser_settle(), the next feed or lend, or qvr_parser_free().  The
 * caller keeps buf unchanged until it calls qvr_parser_settle(), which
 * copies the bytes not yet returned as frames into the parser's buffer and
 * ends the loan (0, or -1 when out of memory: the parser then fails with
 * QVR_PERR_NOMEM).  Lending and then settling gives the same frames as
 * feeding the same bytes.  A failed or finished parser ignores the loan. */
void qvr_parser_lend(qvr_parser *p, const uint8_t *buf, size_t len);
int qvr_parser_settle(qvr_parser *p);

/* Gives back the frame qvr_parser_next() just returned: the next call
 * returns it again.  Only right after QVR_PARSE_FRAME (no feed, lend or
 * settle in between); otherwise it does nothing. */
void qvr_parser_unread(qvr_parser *p);

enum qvr_parse_status qvr_parser_next(qvr_parser *p, struct qvr_frame *out);

/* Reads only as far as the result-code line, never a frame (a stream that
 * is opening checks the code before handing out frames): 1 once a success
 * code line was read, -1 when the parser failed (bad or failure code line,
 * or no code line at finish; see qvr_parser_error()), 0 while more bytes are
 * needed. */
int qvr_parser_poll_code(qvr_parser *p);

/* After the code line: 1 and *code set; before: 0. */
int qvr_parser_result_code(const qvr_parser *p, int32_t *code);

enum qvr_parse_error qvr_parser_error(const qvr_parser *p);
/* A human-readable message for the current error ("" when none). */
const char *qvr_parser_message(const qvr_parser *p);
/* The 32-bit server code for QVR_PERR_SERVER_CODE. */
uint32_t qvr_parser_server_code(const qvr_parser *p);

/* Bytes buffered (or lent) but not yet returned as frames. */
size_t qvr_parser_buffered(const qvr_parser *p);
/* The audio layout detected so far (QVR_AUDIO_AUTO while undecided). */
enum qvr_audio_layout qvr_parser_audio_layout(const qvr_parser *p);

#endif
