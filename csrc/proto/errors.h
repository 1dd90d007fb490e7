/*
 * errors.h - the QVR Pro server error-code table (plain C).
 *
 * Owns: every code of the 2017 SDK document and the 1.3.1 API description
 * with a stable symbolic name and a message, and reading a code from any form
 * a server prints it in: signed decimal ("-1325400063"), unsigned decimal
 * ("2969567233") or hex string ("0xB1000001").
 */
#ifndef QVR_ERRORS_H
#define QVR_ERRORS_H

#include <stddef.h>
#include <stdint.h>

struct qvr_code_info {
    uint32_t code;
    const char *name;     /* stable: "AUTH_FAILED", "SESSION_FULL", ... */
    const char *message;  /* as the documents word it */
};

/* The entry for a code, or NULL when the code is not in the table. */
const struct qvr_code_info *qvr_code_lookup(uint32_t code);

/* Parses a code from text in any of the forms above (surrounding spaces and
 * quotes allowed).  Returns 1 and sets *code, or 0 when it is not a code. */
int qvr_code_parse(const char *text, size_t len, uint32_t *code);

/* "0x95000000" into buf (at least 11 bytes). */
void qvr_code_hex(uint32_t code, char buf[11]);

/* The whole table, for listing and tests. */
const struct qvr_code_info *qvr_code_table(size_t *count);

#endif
