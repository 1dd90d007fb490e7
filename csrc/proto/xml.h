/*
 * xml.h - the authLogin.cgi answer (plain C, libxml2).
 *
 * Owns: reading QDocRoot login answers as real servers send them (values in
 * CDATA, unknown elements, the SDK sample's mismatched closing tag) with
 * network access and entity expansion off.
 */
#ifndef QVR_XML_H
#define QVR_XML_H

#include <stddef.h>

struct qvr_login {
    int parsed;          /* the body was an XML document with a QDocRoot */
    int complete;        /* ... and ends with the root's end tag (else cut short) */
    int has_passed, passed;
    int has_error, error_value;
    int is_admin;
    char sid[64];        /* trimmed; empty when absent or too long */
};

/* Returns 0 when the body could be read as a login answer, -1 otherwise. */
int qvr_login_parse(const char *body, size_t len, struct qvr_login *out);

#endif
