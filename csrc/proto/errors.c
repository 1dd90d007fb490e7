/*
 * errors.c - the QVR Pro server error-code table (plain C).
 *
 * Owns: one sorted table of every code the 2017 SDK document and the 1.3.1
 * API description list, looked up by binary search, and reading a code from
 * the forms servers print it in (signed decimal, unsigned decimal, hex).
 *
 * Names are stable identifiers for scripts: codes that mean the same thing
 * share a name (every "authorization failed" is AUTH_FAILED, whichever CGI
 * family it comes from).  Messages follow the documents' wording, with their
 * spelling slips fixed ("infomation", "crete").  Where the 1.3.1 description
 * prints a signed decimal that does not match its hex code (a copy-paste
 * slip, e.g. "0xB1000003 (-1325400064)"), the hex code is taken.
 */
#include <stdio.h>

#include "errors.h"

static const struct qvr_code_info table[] = {
    {0x00000000u, "SUCCESS", "Success"},

    /* getstream.cgi (SDK 2017 4.1.1, API 1.3.1) */
    {0x93000000u, "BAD_PARAMETER", "Illegal Args"},
    {0x93000001u, "CONNECTION_REJECTED", "Reject Connection (DDOS)"},
    {0x93000002u, "MAX_CONNECTIONS", "Exceed Max Connection no"},
    {0x93000003u, "STREAM_NOT_READY", "Stream is not ready"},
    {0x93000004u, "STREAM_OPEN_FAILED", "Open Stream failed"},
    {0x93000005u, "AUTH_FAILED", "Auth failed"},

    /* qplay.cgi (SDK 2017 4.2) */
    {0x93010002u, "SESSION_OPEN_FAILED", "open qplay session failed"},
    {0x93010003u, "BAD_COMMAND", "cmd is illegal"},
    {0x93010004u, "OUT_OF_MEMORY", "insufficient memory"},
    {0x93010006u, "AUTH_FAILED", "sid authentication failed"},
    {0x93010007u, "SESSION_FULL", "open session failed (session num full)"},
    {0x93010102u, "MISSING_PARAMETER", "start_time, end_time or time_val not specified"},
    {0x93010103u, "MISSING_PARAMETER", "channel_id not specified"},
    {0x93010104u, "MISSING_PARAMETER", "session_id not specified"},
    {0x93010107u, "MISSING_PARAMETER", "seek_time not specified"},
    {0x93010108u, "BAD_PARAMETER", "session_id too long"},
    {0x93010109u, "MISSING_PARAMETER", "speed_num not specified"},
    {0x9301010Bu, "MISSING_PARAMETER", "enable not specified"},
    {0x93010201u, "CONTROL_FAILED", "controlling stream failed"},
    {0x93010202u, "SESSION_NOT_FOUND", "session not found"},
    {0x93010203u, "SESSION_CLOSING", "session is being closed"},
    {0x93010204u, "SEEK_NO_FILE", "seek no file"},

    /* camera_status, getliveimage, mrec (SDK 2017 2.x) */
    {0x95000000u, "AUTH_FAILED", "authorization fail"},
    {0x95000001u, "INTERNAL_ERROR", "internal error (library call error)"},
    {0x95000003u, "BAD_PARAMETER", "illegal parameter or missing of parameter"},

    /* camera REST family (API 1.3.1) */
    {0x96020001u, "BAD_PARAMETER", "Invalid parameters or missing parameters"},
    {0x96020002u, "CHANNEL_LOCKED", "Channel locked"},
    {0x96020003u, "OPERATION_FAILED", "Operation failed"},
    {0x96020004u, "AUTH_FAILED", "Authorization failed"},

    /* snapshot / transcode (SDK 2017 2.2, 2.3) */
    {0x96070001u, "TIMEOUT", "timeout"},
    {0x96070002u, "TRANSCODE_BUSY", "transcode busy"},
    {0x96070003u, "INTERNAL_ERROR", "internal error"},

    /* qvrpro REST API (API 1.3.1) */
    {0xB1000000u, "NOT_SUPPORTED", "API version not supported"},
    {0xB1000001u, "AUTH_FAILED", "Authorization failed"},
    {0xB1000002u, "PERMISSION_DENIED", "Insufficient permissions"},
    {0xB1000003u, "BAD_PARAMETER", "Invalid parameters or missing parameters"},
    {0xB1000004u, "BAD_REQUEST", "Invalid request"},
    {0xB1000005u, "OUT_OF_MEMORY", "Failed to allocate memory"},
    {0xB1000006u, "SNAPSHOT_FAILED", "Failed to get a snapshot"},
    {0xB1000007u, "CAMERA_TEST_FAILED", "API camera test failed"},
    {0xB1000008u, "GENERIC_ERROR", "Generic error"},
    {0xB1000009u, "CONNECTION_FAILED", "Connection failed"},
    {0xB100000Au, "CAMERA_AUTH_FAILED", "Authentication failed"},
    {0xB100000Bu, "MEDIA_CONFIG_FAILED", "Failed to set media configuration"},
    {0xB100000Cu, "HTTP_RESPONSE_FAILED", "HTTP response failed"},
    {0xB100000Du, "MODEL_MISMATCH", "Model mismatch"},
    {0xB100000Eu, "BAD_ADMIN_PASSWORD", "Incorrect Admin password"},
    {0xB100000Fu, "BAD_GUEST_PASSWORD", "Incorrect guest password"},
    {0xB1000010u, "RTSP_REQUEST_FAILED", "RTSP request failed"},
    {0xB1000011u, "RTP_NO_DATA", "RTP data not received"},
    {0xB1000012u, "MPEG4_RTSP_FAILED", "JPEG succeeded, MPEG4 RTSP failed"},
    {0xB1000013u, "MPEG4_RTP_FAILED", "JPEG succeeded, MPEG4 RTP failed"},
    {0xB1000014u, "MPEG4_TEST_LOCKED", "MPEG4 test locked"},
    {0xB1000015u, "ALREADY_LOGGED_IN", "User already logged in"},
    {0xB1000016u, "H264_RTSP_FAILED", "JPEG succeeded, H264 RTSP failed"},
    {0xB1000017u, "H264_RTP_FAILED", "JPEG succeeded, H264 RTP failed"},
    {0xB1000018u, "H264_TEST_LOCKED", "H264 test locked"},
    {0xB1000019u, "RTSP_DESCRIBE_FAILED", "RTSP DESCRIBE failed"},
    {0xB100001Au, "RTSP_SETUP_FAILED", "RTSP SETUP failed"},
    {0xB100001Bu, "RTSP_PLAY_FAILED", "RTSP PLAY failed"},
    {0xB100001Cu, "RTSP_OPTIONS_FAILED", "RTSP OPTION failed"},
    {0xB100001Du, "RTSP_TEARDOWN_FAILED", "RTSP TEARDOWN failed"},
    {0xB100001Eu, "CAMERA_INFO_FAILED", "Failed to get the camera information"},
    {0xB100001Fu, "UMSID_LIST_FAILED", "Failed to get UMSID list"},
    {0xB1000020u, "OUTPUT_CMD_FAILED", "Failed to send output cmd"},
    {0xB1000021u, "CAMERA_LICENSE_INFO_FAILED",
     "Failed to get the camera license information"},
    {0xB1000022u, "LICENSE_DOMAIN_INFO_FAILED",
     "Failed to get the license domain information"},
    {0xB1000023u, "LICENSE_EXPIRED", "Channel license expired"},

    /* vault / NAS services (API 1.3.1) */
    {0xC4000002u, "MISSING_BODY", "missing request body"},
    {0xC4000003u, "MISSING_PARAMETER", "missing parameter"},
    {0xC4000004u, "BAD_PARAMETER", "invalid argument or over length limit"},
    {0xC4000005u, "AUTH_FAILED", "authorization failed"},
    {0xC4000007u, "NETWORK_INFO_FAILED", "Get NAS network information failed"},
    {0xC4000009u, "BAD_METHOD", "Invalid http method to call this function"},
    {0xC400000Au, "PERMISSION_DENIED", "Insufficient permissions"},
    {0xC400000Cu, "TIMEOUT", "CGI timeout"},
    {0xC400000Eu, "CHANNEL_LICENSE_REQUIRED", "invalid channel or channel license required"},
    {0xC4000100u, "BAD_JSON", "Invalid JSON format"},
    {0xC4000101u, "MISSING_FIELD", "Missing json field"},
    {0xC4000102u, "WRONG_FIELD_TYPE", "field has wrong type"},
    {0xC4000103u, "FIELD_OUT_OF_RANGE", "field out of range"},
    {0xC4000200u, "DATABASE_CONNECT_FAILED", "failed to connect to database"},
    {0xC4000205u, "DATABASE_UPDATE_FAILED", "update data failed"},
    {0xC4000207u, "DATABASE_QUERY_FAILED", "query data failed"},
    {0xC4000400u, "VAULT_NOT_FOUND", "vault does not exist"},
    {0xC4000402u, "VAULT_DISABLED", "vault is disabled"},
    {0xC4000502u, "SOCKET_CONNECT_FAILED", "socket connection failed"},
    {0xC4010000u, "VAULT_EXISTS", "vault already exists"},
    {0xC4010001u, "VAULT_NOT_FOUND", "vault does not exist"},
    {0xC4010002u, "VAULT_LIST_FULL", "Vault list was full (128)"},
    {0xC4010006u, "UNKNOWN_VAULT_TYPE", "unknown vault type"},
    {0xC4010007u, "UNKNOWN_CONNECTION_TYPE", "unknown connection type"},
    {0xC4040003u, "CLIENT_SOCKET_FAILED", "Client socket start error"},
    {0xC4040004u, "TERMINATE_FILE_FAILED", "Fail to create terminate file"},
    {0xC4050002u, "TOO_LARGE", "Request entity too large"},
};

#define TABLE_LEN (sizeof table / sizeof table[0])

const struct qvr_code_info *qvr_code_lookup(uint32_t code)
{
    size_t lo = 0, hi = TABLE_LEN;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (table[mid].code == code)
            return &table[mid];
        if (table[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct qvr_code_info *qvr_code_table(size_t *count)
{
    if (count)
        *count = TABLE_LEN;
    return table;
}

void qvr_code_hex(uint32_t code, char buf[11])
{
    snprintf(buf, 11, "0x%08X", (unsigned)code);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Narrows [*s, *s + *len) past surrounding white space. */
static void trim(const char **s, size_t *len)
{
    while (*len && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Digits only, in base 10 or 16, into *v; 0 on junk, no digit or a value
 * over `max`. */
static int parse_digits(const char *s, size_t len, unsigned base, uint64_t max, uint64_t *v)
{
    uint64_t acc = 0;
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        int d = hex_digit(s[i]);
        if (d < 0 || (unsigned)d >= base)
            return 0;
        acc = acc * base + (unsigned)d;
        if (acc > max)
            return 0;
    }
    *v = acc;
    return 1;
}

int qvr_code_parse(const char *text, size_t len, uint32_t *code)
{
    const char *s = text;
    uint64_t v;
    if (!s)
        return 0;
    trim(&s, &len);
    if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0]) {
        s++;
        len -= 2;
        trim(&s, &len);
    }
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (!parse_digits(s + 2, len - 2, 16, UINT32_MAX, &v))
            return 0;
        *code = (uint32_t)v;
        return 1;
    }
    if (len > 0 && s[0] == '-') {
        if (!parse_digits(s + 1, len - 1, 10, (uint64_t)INT32_MAX + 1, &v))
            return 0;
        *code = (uint32_t)(0u - (uint32_t)v);
        return 1;
    }
    if (!parse_digits(s, len, 10, UINT32_MAX, &v))
        return 0;
    *code = (uint32_t)v;
    return 1;
}
