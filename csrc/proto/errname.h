/*
 * errname.h - the names of the errors qvrpro reports itself (plain C).
 *
 * Owns: one table of the stable error names scripts see in `err.name` for
 * failures that are not a server code (those are in errors.h): stream
 * parser, dump reader/writer, HTTP transport and answer verdicts.  Each
 * layer maps its own error enum onto this one, so a name is spelled once.
 */
#ifndef QVR_ERRNAME_H
#define QVR_ERRNAME_H

#include "dump.h"
#include "parser.h"

enum qvr_err {
    QVR_E_NONE = 0,
    /* the stream parser */
    QVR_E_PARSE_ERROR,      /* generic parser failure */
    QVR_E_BAD_CODE_LINE,    /* garbage where the result-code line should be */
    QVR_E_SERVER_ERROR,     /* a server code that is not in the code table */
    QVR_E_FRAME_TOO_BIG,
    QVR_E_BAD_FOURCC,
    QVR_E_BAD_RECORD,
    QVR_E_TRUNCATED,        /* bytes ended inside a frame, record or body */
    QVR_E_NO_MEMORY,
    /* dumps */
    QVR_E_IO_ERROR,
    QVR_E_BAD_DUMP,
    QVR_E_BAD_FRAME,
    QVR_E_BAD_ARGUMENT,
    /* HTTP transport */
    QVR_E_DNS,
    QVR_E_REFUSED,
    QVR_E_TIMEOUT,
    QVR_E_TLS,
    QVR_E_NETWORK,
    QVR_E_TOO_BIG,          /* a response body over the request's bound */
    QVR_E_CONNECTION_LOST,  /* a stream cut after it started */
    QVR_E_HTTP_ERROR,       /* an HTTP error status without a readable answer */
    QVR_E_TOO_MANY_FILES,   /* no descriptor left for a connection (RLIMIT_NOFILE) */
    /* answer verdicts */
    QVR_E_BAD_RESPONSE,     /* an answer that could not be read */
    QVR_E_BAD_IMAGE,        /* an image call answered with something else */
    QVR_E_AUTH_FAILED,      /* login refused, or the sid is not valid */
    QVR_E_LOGS_ERROR,       /* the logs API refused a query */
    /* REST verdicts (rest.h) */
    QVR_E_NOT_SUPPORTED,    /* the NVR lacks the call: 404/405 page, 0xB1000000 */
    QVR_E_PERMISSION_DENIED,/* StreamingOutput's 403 "Insufficient permission." */
    QVR_E_NOT_FOUND,        /* StreamingOutput's 404: no such channel, stream or token */
    QVR_E_ALREADY_PUBLISHED,/* StreamingOutput's 409 */
    QVR_E_BAD_MEDIA,        /* a media call answered with something else */
    QVR_E_COUNT
};

/* "PARSE_ERROR", "TIMEOUT", ...; "ERROR" for a value out of range. */
const char *qvr_err_name(enum qvr_err e);

/* The name for a stream parser error (QVR_PERR_SERVER_CODE: SERVER_ERROR;
 * the caller names server codes from the code table). */
const char *qvr_parse_error_name(enum qvr_parse_error e);

/* The name for a dump error ("IO_ERROR", "BAD_DUMP", ...). */
const char *qvr_dump_error_name(enum qvr_dump_error kind);

#endif
