/*
 * answer.h - how answers are worded: JSON with its quirks, API error
 * bodies, text return-code lines and the codes themselves.
 *
 * Owns: the error codes of the SDK document (and 0xB1000002 of the later
 * API), their printed forms (signed/unsigned decimal, hex string), the
 * success_string, numbers_as_strings, json_malformed and code_format quirks,
 * and the qplay text layout (optional CGI version line).
 */
#ifndef SIM_ANSWER_H
#define SIM_ANSWER_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "http.h"

/* camera_status.cgi, getliveimage.cgi, mrec.cgi */
#define E_CAM_AUTH          0x95000000u
#define E_CAM_INTERNAL      0x95000001u
#define E_CAM_PARAM         0x95000003u
#define E_SNAP_TIMEOUT      0x96070001u
#define E_SNAP_BUSY         0x96070002u
#define E_SNAP_INTERNAL     0x96070003u
/* the later API's permission error, for users without surveillance rights */
#define E_AUTH_FAILED       0xB1000001u
#define E_NO_PERMISSION     0xB1000002u
/* getstream.cgi */
#define E_GS_ARGS           0x93000000u
#define E_GS_REJECT         0x93000001u
#define E_GS_MAXCONN        0x93000002u
#define E_GS_NOT_READY      0x93000003u
#define E_GS_OPEN           0x93000004u
#define E_GS_AUTH           0x93000005u
/* qplay.cgi */
#define E_QP_OPEN           0x93010002u
#define E_QP_CMD            0x93010003u
#define E_QP_NOMEM          0x93010004u
#define E_QP_AUTH           0x93010006u
#define E_QP_FULL           0x93010007u
#define E_QP_NO_TIME        0x93010102u
#define E_QP_NO_CHANNEL     0x93010103u
#define E_QP_NO_SESSION     0x93010104u
#define E_QP_NO_SEEK        0x93010107u
#define E_QP_SESSION_LONG   0x93010108u
#define E_QP_NO_SPEED       0x93010109u
#define E_QP_NO_ENABLE      0x9301010Bu
#define E_QP_CONTROL        0x93010201u
#define E_QP_NOT_FOUND      0x93010202u
#define E_QP_CLOSING        0x93010203u
#define E_QP_NO_FILE        0x93010204u

/* "-1828716539" for 0x93000005. */
void code_signed(uint32_t code, char out[16]);

/* An API answer (HTTP 200, "Content-type: application/json"), with the
 * success_string and numbers_as_strings quirks applied.  Frees root. */
enum MHD_Result answer_json(struct req *r, cJSON *root);

/* {"success":true,"NAME":VALUE}, byte for byte what answer_json prints for
 * that tree (with the success_string and numbers_as_strings quirks), without
 * building one.  NAME is a plain identifier (no escaping), at most 64 bytes. */
enum MHD_Result answer_success_int(struct req *r, const char *name, long long value);

/* A JSON answer without quirks (debug endpoints, /qvrentry).  Frees root. */
enum MHD_Result answer_json_plain(struct req *r, unsigned status, cJSON *root);

/* {"success":false,"error_code":CODE,"error_message":"..."} with the
 * code_format and json_malformed quirks; HTTP status as given. */
enum MHD_Result answer_error_status(struct req *r, unsigned status, uint32_t code,
                                    const char *message);
enum MHD_Result answer_error(struct req *r, uint32_t code, const char *message);

/* A text answer: "[version\n]CODE\n[session\n]" (qplay layout). */
enum MHD_Result answer_qplay(struct req *r, uint32_t code, const char *session);

/* "CODE\n" as a text body (getstream errors), after the leading line quirk. */
enum MHD_Result answer_stream_code(struct req *r, uint32_t code);

/* Appends "<name><![CDATA[value]]></name>" (splitting any "]]>"). */
void xml_cdata(struct buf *b, const char *name, const char *value);

#endif
