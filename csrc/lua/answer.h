/*
 * answer.h - an answer's verdict as Lua values or an Error (binding).
 *
 * Owns: marshalling only.  The verdict itself (ok, failed, auth; error
 * name, code, message) is plain C in csrc/proto/verdict.c.
 */
#ifndef QVR_ANSWER_H
#define QVR_ANSWER_H

#include "core.h"
#include "http.h"
#include "verdict.h"

/* Pushes the answer's values (returning how many) or nil + Error (2), and
 * sets *verdict.  QVR_ANSWER_AUTH: the server says the sid is not valid.
 * Raises nothing: a Lua error while converting (out of memory) becomes
 * nil + NO_MEMORY, so the caller always frees r. */
int qvr_push_answer(lua_State *L, enum qvr_kind kind, const struct qvr_http_resp *r,
                    enum qvr_verdict *verdict);

/* Pushes nil + the Error of a result that is not ok; returns 2. */
int qvr_push_result_error(lua_State *L, const struct qvr_result *res);

/* core.read_answer(kind, body [, http_status [, content_type]]): the values
 * a request of that kind would return for that answer (tests, fuzzing). */
int qvr_l_read_answer(lua_State *L);

#endif
