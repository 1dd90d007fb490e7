/*
 * fuzz_login.c - libFuzzer target for the authLogin.cgi answer (xml.c).
 *
 * Input: the body.  Reading must not crash, load anything (no network, no
 * entities) or print (libxml2's handlers are silenced); the sid must be
 * NUL-terminated and trimmed; the login verdict must be ok exactly when the
 * answer is complete, authPassed is 1 and a sid came.
 *
 * Build: make build/fuzz_login; seeds: fuzz/corpus_login.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qvr_login lg;
    struct qvr_result r;
    size_t n;
    int rc = qvr_login_parse((const char *)data, size, &lg);
    if ((rc == 0) != (lg.parsed == 1))
        abort();
    if (memchr(lg.sid, '\0', sizeof lg.sid) == NULL)
        abort();
    n = strlen(lg.sid);
    if (n && (lg.sid[0] == ' ' || lg.sid[n - 1] == ' ' || lg.sid[n - 1] == '\n'))
        abort();
    qvr_login_verdict(&lg, 200, &r);
    if ((r.verdict == QVR_ANSWER_OK) !=
        (lg.parsed && lg.complete && lg.has_passed && lg.passed == 1 && n > 0))
        abort();
    return 0;
}
