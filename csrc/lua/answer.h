/*
 * answer.h - turning a response into Lua values or an Error (binding).
 *
 * Owns: the verdict on each kind of answer the SDK has (JSON with
 * success/error_code, the logs API's code/mesg, images, qplay's text lines)
 * and whether it says the sid is no longer valid.
 */
#ifndef QVR_ANSWER_H
#define QVR_ANSWER_H

#include "core.h"
#include "http.h"

enum qvr_kind { QVR_KIND_JSON, QVR_KIND_LOGS, QVR_KIND_IMAGE, QVR_KIND_LINES, QVR_KIND_RAW };

enum qvr_verdict { QVR_ANSWER_OK, QVR_ANSWER_FAILED, QVR_ANSWER_AUTH };

/* Pushes the answer's values (returning how many) or nil + Error (2), and
 * sets *verdict.  QVR_ANSWER_AUTH: the server says the sid is not valid. */
int qvr_push_answer(lua_State *L, enum qvr_kind kind, const struct qvr_http_resp *r,
                    enum qvr_verdict *verdict);

/* Whether a server code means "the sid is not (or no longer) valid". */
int qvr_code_is_auth(uint32_t code);

#endif
