/*
 * errname.c - the names of the errors qvrpro reports itself; see errname.h.
 */
#include "errname.h"

static const char *const names[QVR_E_COUNT] = {
    [QVR_E_NONE] = "NONE",
    [QVR_E_PARSE_ERROR] = "PARSE_ERROR",
    [QVR_E_BAD_CODE_LINE] = "BAD_CODE_LINE",
    [QVR_E_SERVER_ERROR] = "SERVER_ERROR",
    [QVR_E_FRAME_TOO_BIG] = "FRAME_TOO_BIG",
    [QVR_E_BAD_FOURCC] = "BAD_FOURCC",
    [QVR_E_BAD_RECORD] = "BAD_RECORD",
    [QVR_E_TRUNCATED] = "TRUNCATED",
    [QVR_E_NO_MEMORY] = "NO_MEMORY",
    [QVR_E_IO_ERROR] = "IO_ERROR",
    [QVR_E_BAD_DUMP] = "BAD_DUMP",
    [QVR_E_BAD_FRAME] = "BAD_FRAME",
    [QVR_E_BAD_ARGUMENT] = "BAD_ARGUMENT",
    [QVR_E_DNS] = "DNS",
    [QVR_E_REFUSED] = "REFUSED",
    [QVR_E_TIMEOUT] = "TIMEOUT",
    [QVR_E_TLS] = "TLS",
    [QVR_E_NETWORK] = "NETWORK",
    [QVR_E_TOO_BIG] = "TOO_BIG",
    [QVR_E_CONNECTION_LOST] = "CONNECTION_LOST",
    [QVR_E_HTTP_ERROR] = "HTTP_ERROR",
    [QVR_E_TOO_MANY_FILES] = "TOO_MANY_FILES",
    [QVR_E_BAD_RESPONSE] = "BAD_RESPONSE",
    [QVR_E_BAD_IMAGE] = "BAD_IMAGE",
    [QVR_E_AUTH_FAILED] = "AUTH_FAILED",
    [QVR_E_LOGS_ERROR] = "LOGS_ERROR",
    [QVR_E_NOT_SUPPORTED] = "NOT_SUPPORTED",
    [QVR_E_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [QVR_E_NOT_FOUND] = "NOT_FOUND",
    [QVR_E_ALREADY_PUBLISHED] = "ALREADY_PUBLISHED",
    [QVR_E_BAD_MEDIA] = "BAD_MEDIA",
};

const char *qvr_err_name(enum qvr_err e)
{
    return (unsigned)e < QVR_E_COUNT && names[e] ? names[e] : "ERROR";
}

const char *qvr_parse_error_name(enum qvr_parse_error e)
{
    switch (e) {
    case QVR_PERR_CODE_LINE: return qvr_err_name(QVR_E_BAD_CODE_LINE);
    case QVR_PERR_SERVER_CODE: return qvr_err_name(QVR_E_SERVER_ERROR);
    case QVR_PERR_TOO_BIG: return qvr_err_name(QVR_E_FRAME_TOO_BIG);
    case QVR_PERR_FOURCC: return qvr_err_name(QVR_E_BAD_FOURCC);
    case QVR_PERR_RECORD: return qvr_err_name(QVR_E_BAD_RECORD);
    case QVR_PERR_TRUNCATED: return qvr_err_name(QVR_E_TRUNCATED);
    case QVR_PERR_NOMEM: return qvr_err_name(QVR_E_NO_MEMORY);
    case QVR_PERR_NONE: break;
    }
    return qvr_err_name(QVR_E_PARSE_ERROR);
}

const char *qvr_dump_error_name(enum qvr_dump_error kind)
{
    switch (kind) {
    case QVR_DERR_NONE: return qvr_err_name(QVR_E_NONE);
    case QVR_DERR_IO: return qvr_err_name(QVR_E_IO_ERROR);
    case QVR_DERR_TRUNCATED: return qvr_err_name(QVR_E_TRUNCATED);
    case QVR_DERR_FRAME: return qvr_err_name(QVR_E_BAD_FRAME);
    case QVR_DERR_ARG: return qvr_err_name(QVR_E_BAD_ARGUMENT);
    case QVR_DERR_NOMEM: return qvr_err_name(QVR_E_NO_MEMORY);
    case QVR_DERR_FORMAT: return qvr_err_name(QVR_E_BAD_DUMP);
    }
    return qvr_err_name(QVR_E_BAD_DUMP);
}
