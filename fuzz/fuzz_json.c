/*
 * fuzz_json.c - libFuzzer target for reading JSON answers (json.c).
 *
 * Input: the body.  The reader must never read outside it (it is copied to
 * an exact-size heap block, not NUL-terminated), a found verdict must be
 * consistent (a message is NUL-terminated inside its buffer), and the
 * depth count must agree with a bounded recount.
 *
 * Build: make build/fuzz_json; seeds: fuzz/corpus_json.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    struct qvr_answer a;
    int rc;
    if (!body)
        return 0;
    memcpy(body, data, size);
    rc = qvr_answer_read(body, size, &a);
    if (memchr(a.message, '\0', sizeof a.message) == NULL)
        abort();
    if (rc == 0 && !a.root && !a.has_success && !a.has_code)
        abort();
    if (rc != 0 && (a.root || a.has_success || a.has_code))
        abort();
    if (a.root) {
        int d = qvr_json_depth(a.root, QVR_JSON_MAX_DEPTH);
        int e = qvr_json_depth(a.root, 2000);
        if (d < 0 || (e <= QVR_JSON_MAX_DEPTH && d != e) || (e > QVR_JSON_MAX_DEPTH && d <= QVR_JSON_MAX_DEPTH))
            abort();
    }
    qvr_answer_free(&a);
    free(body);
    return 0;
}
