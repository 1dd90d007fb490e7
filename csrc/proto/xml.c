/*
 * xml.c - the authLogin.cgi answer (plain C, libxml2); see xml.h.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "xml.h"

/* No network, no entity substitution, no DTD loading; recover from the
 * mismatched end tag; keep libxml2 quiet. */
#define LOGIN_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR | \
                           XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

static int text_int(const char *s, int *out)
{
    char *end;
    long v;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    v = strtol(s, &end, 10);
    if (end == s)
        return 0;
    *out = (int)v;
    return 1;
}

static void copy_trimmed(char *dst, size_t cap, const char *s)
{
    size_t n;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (n >= cap)
        n = 0;                   /* longer than any sid: not one (never cut it) */
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void take_element(xmlNode *n, struct qvr_login *out)
{
    xmlChar *txt = xmlNodeGetContent(n);
    const char *name = (const char *)n->name, *s = txt ? (const char *)txt : "";
    if (strcmp(name, "authPassed") == 0)
        out->has_passed = text_int(s, &out->passed);
    else if (strcmp(name, "errorValue") == 0)
        out->has_error = text_int(s, &out->error_value);
    else if (strcmp(name, "isAdmin") == 0)
        text_int(s, &out->is_admin);
    else if (strcmp(name, "authSid") == 0)
        copy_trimmed(out->sid, sizeof out->sid, s);
    xmlFree(txt);
}

static void walk(xmlNode *n, struct qvr_login *out, int depth)
{
    for (; n && depth < 8; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        take_element(n, out);
        walk(n->children, out, depth + 1);
    }
}

/* Whether the body ends (but for white space) with the root's end tag,
 * "</QDocRoot>" or the SDK sample's "</DocRoot>": an answer cut short does
 * not, though recovery still reads what came. */
static int ends_with_root_close(const char *body, size_t len)
{
    static const char *const tails[] = {"</QDocRoot>", "</DocRoot>"};
    while (len > 0 && (body[len - 1] == ' ' || body[len - 1] == '\n' ||
                       body[len - 1] == '\r' || body[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t n = strlen(tails[i]);
        if (len >= n && memcmp(body + len - n, tails[i], n) == 0)
            return 1;
    }
    return 0;
}

static void ignore_error(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

/* xmlReadMemory() with libxml2's error reporting off.  XML_PARSE_NOERROR
 * does not cover encoding and I/O errors, which libxml2 reports through its
 * per-thread handlers (to stderr by default): those are set to a no-op for
 * the call and put back after it. */
static xmlDoc *read_quietly(const char *body, size_t len)
{
    xmlStructuredErrorFunc serror = xmlStructuredError;
    void *sctx = xmlStructuredErrorContext;
    xmlDoc *doc;
    xmlSetStructuredErrorFunc(NULL, ignore_error);
    doc = xmlReadMemory(body, (int)len, "authLogin.xml", NULL, LOGIN_XML_OPTIONS);
    xmlSetStructuredErrorFunc(sctx, serror);
    return doc;
}

int qvr_login_parse(const char *body, size_t len, struct qvr_login *out)
{
    xmlDoc *doc;
    xmlNode *root;
    memset(out, 0, sizeof *out);
    if (len > (size_t)1 << 24)
        return -1;
    out->complete = ends_with_root_close(body, len);
    doc = read_quietly(body, len);
    if (!doc)
        return -1;
    root = xmlDocGetRootElement(doc);
    if (root && strcmp((const char *)root->name, "QDocRoot") == 0) {
        out->parsed = 1;
        walk(root->children, out, 0);
    }
    xmlFreeDoc(doc);
    return out->parsed ? 0 : -1;
}
