/*
 * http.c - request/response transfers over libcurl; see http.h.
 *
 * The write and header callbacks only copy bytes into the response; nothing
 * else runs inside libcurl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "errname.h"
#include "http.h"

#define DEFAULT_MAX_BODY (64u * 1024u * 1024u)

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    struct qvr_http_resp *r = ud;
    size_t len = size * n, need = r->len + len + 1;
    if (need > r->max + 1) {
        r->too_big = 1;
        return 0;
    }
    if (need > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        char *b;
        while (cap < need)
            cap *= 2;
        b = realloc(r->body, cap);
        if (!b)
            return 0;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, ptr, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *ud)
{
    struct qvr_http_resp *r = ud;
    size_t len = size * n, k = sizeof "content-type:" - 1;
    if (len > k && strncasecmp(ptr, "content-type:", k) == 0) {
        size_t i = k, j = len;
        while (i < len && (ptr[i] == ' ' || ptr[i] == '\t'))
            i++;
        while (j > i && (ptr[j - 1] == '\r' || ptr[j - 1] == '\n' || ptr[j - 1] == ' '))
            j--;
        if (j - i >= sizeof r->content_type)
            j = i + sizeof r->content_type - 1;
        memcpy(r->content_type, ptr + i, j - i);
        r->content_type[j - i] = '\0';
    }
    return len;
}

int qvr_http_proxy_in_env(void)
{
    static const char *const names[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                        "HTTPS_PROXY", "all_proxy",  "ALL_PROXY", NULL};
    for (int i = 0; names[i]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v)
            return 1;
    }
    return 0;
}

void qvr_http_configure(CURL *c, const struct qvr_http_opts *o)
{
    /* No proxy in the environment when the session was made: say so, and
     * libcurl skips its five getenv() per request (no_proxy, NO_PROXY,
     * http_proxy, all_proxy, ALL_PROXY).  With one, libcurl reads them as
     * always. */
    if (!o->proxy_env) {
        curl_easy_setopt(c, CURLOPT_PROXY, "");
        curl_easy_setopt(c, CURLOPT_NOPROXY, "");
    }
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->verify ? 2L : 0L);
    if (o->cafile)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->cafile);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "qvrpro/0.1");
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
}

void qvr_http_short_timeout(CURL *c, const struct qvr_http_opts *o)
{
    long t = o->timeout_ms && o->timeout_ms < QVR_HTTP_SHORT_MS ? o->timeout_ms
                                                                : QVR_HTTP_SHORT_MS;
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t);
}

/* What a handle of qvr_http_new() carries (CURLOPT_PRIVATE): its multi
 * handle, and the last URL it was given parsed once (CURLOPT_CURLU), so that
 * a call repeated on the kept connection skips libcurl's parse of the URL
 * (curl_url_set, about 6 % of the client's instructions per kept call). */
struct handle {
    CURLM *multi;
    CURLU *uh;      /* url parsed, or NULL */
    char *url;      /* holds the sid: wiped when replaced or freed */
};

static void forget_url(struct handle *h)
{
    if (h->url) {
        explicit_bzero(h->url, strlen(h->url));   /* a memset before free may be dropped */
        free(h->url);
        h->url = NULL;
    }
    if (h->uh) {
        curl_url_cleanup(h->uh);
        h->uh = NULL;
    }
}

CURL *qvr_http_new(const struct qvr_http_opts *o)
{
    CURL *c = curl_easy_init();
    struct handle *h = c ? calloc(1, sizeof *h) : NULL;
    CURLM *m = h ? curl_multi_init() : NULL;
    if (!m) {
        free(h);
        if (c)
            curl_easy_cleanup(c);
        return NULL;
    }
    h->multi = m;
    /* as many idle connections as curl_easy_perform keeps (CURLOPT_MAXCONNECTS'
     * default): the session's port and its logs port */
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 5L);
    curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)h);
    qvr_http_configure(c, o);
    return c;
}

static struct handle *handle_of(CURL *c)
{
    char *h = NULL;
    curl_easy_getinfo(c, CURLINFO_PRIVATE, &h);
    return (struct handle *)h;
}

void qvr_http_free(CURL *c)
{
    struct handle *h;
    if (!c)
        return;
    h = handle_of(c);
    curl_easy_cleanup(c);
    if (h) {
        curl_multi_cleanup(h->multi);   /* closes the kept connection */
        forget_url(h);
        free(h);
    }
}

/* Gives c its URL: the one parsed for the previous request when it is the
 * same text, else url parsed now the way libcurl parses a CURLOPT_URL (same
 * flags); a URL that does not parse goes to libcurl as text, which fails
 * the transfer with its own error. */
static void set_url(CURL *c, struct handle *h, const char *url)
{
    if (h && !(h->url && strcmp(h->url, url) == 0)) {
        forget_url(h);
        h->uh = curl_url();
        h->url = h->uh ? strdup(url) : NULL;
        if (!h->url || curl_url_set(h->uh, CURLUPART_URL, url,
                                    CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
            forget_url(h);
    }
    /* The text too: with it set, libcurl's transfer set-up does not print
     * the parsed URL back into text (curl_url_get, as dear as the parse). */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CURLU, h ? h->uh : NULL);
}

/* One transfer of c on its own multi handle m, driven the way
 * curl_easy_perform drives its internal one, but running the transfer
 * before the first wait: curl_easy_perform polls (with a zero timeout) before
 * it starts, which on a kept connection is a needless system call per
 * request.  The connection cache lives in m, so the connection is kept from
 * call to call as with curl_easy_perform, and libcurl's own checks (a dead
 * kept connection found before reuse or failing on first use is replaced
 * and the request sent again) run the same state machine. */
static CURLcode perform(CURLM *m, CURL *c)
{
    CURLcode rc = CURLE_OK;
    CURLMcode mc;
    CURLMsg *msg;
    int running = 0, left;
    if (!m)
        return curl_easy_perform(c);
    mc = curl_multi_add_handle(m, c);
    if (mc != CURLM_OK)
        return mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
    for (;;) {
        mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK || !running)
            break;
        /* waits at most until libcurl's next timeout (1 s caps it) */
        mc = curl_multi_poll(m, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK)
            break;
    }
    if (mc != CURLM_OK)
        rc = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
    else {
        int done = 0;
        while ((msg = curl_multi_info_read(m, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == c) {
                rc = msg->data.result;
                done = 1;
            }
        if (!done)   /* not expected: the transfer stopped without a result */
            rc = CURLE_RECV_ERROR;
    }
    curl_multi_remove_handle(m, c);
    return rc;
}

int qvr_http_out_of_fds(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return errno == EMFILE || errno == ENFILE;
}

const char *qvr_http_easy_error_name(CURL *easy, CURLcode rc)
{
    long os_errno = 0;
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
        rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_FAILED_INIT) {
        if (easy)
            curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == EMFILE || os_errno == ENFILE || qvr_http_out_of_fds())
            return qvr_err_name(QVR_E_TOO_MANY_FILES);
    }
    return qvr_http_error_name(rc);
}

void qvr_http_fd_hint(char *buf, size_t n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        snprintf(buf, n, "too many open files: the process is at its limit of %llu descriptors "
                 "(RLIMIT_NOFILE, hard limit %llu); raise it (ulimit -n) or open fewer streams",
                 (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    else
        snprintf(buf, n, "too many open files: no descriptor left for a connection; "
                 "raise the limit (ulimit -n) or open fewer streams");
}

const char *qvr_http_error_name(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return qvr_err_name(QVR_E_DNS);
    case CURLE_COULDNT_CONNECT:
        return qvr_err_name(QVR_E_REFUSED);
    case CURLE_OPERATION_TIMEDOUT:
        return qvr_err_name(QVR_E_TIMEOUT);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return qvr_err_name(QVR_E_TLS);
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
        return qvr_err_name(QVR_E_TRUNCATED);
    case CURLE_OUT_OF_MEMORY:
        return qvr_err_name(QVR_E_NO_MEMORY);
    default:
        return qvr_err_name(QVR_E_NETWORK);
    }
}

/* Sets the method and body of the next transfer on the reused handle; every
 * call sets all of them, so nothing of a previous request lingers. */
static struct curl_slist *set_method(CURL *c, const struct qvr_http_req *q)
{
    struct curl_slist *h = NULL;
    int get = !q || !q->method || strcmp(q->method, "GET") == 0;
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    if (get && !(q && q->body)) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        return NULL;
    }
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->body ? q->body_len : 0));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
    if (strcmp(q->method, "POST") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
    h = curl_slist_append(h, "Expect:");
    if (h && q->content_type && q->body) {
        char line[160];
        snprintf(line, sizeof line, "Content-Type: %s", q->content_type);
        struct curl_slist *t = curl_slist_append(h, line);
        if (t)
            h = t;
    } else if (h) {
        /* no body type: keep libcurl from announcing a form */
        struct curl_slist *t = curl_slist_append(h, "Content-Type:");
        if (t)
            h = t;
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    return h;
}

int qvr_http_request(CURL *c, const char *url, const struct qvr_http_req *q,
                     struct qvr_http_resp *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers;
    struct handle *h;
    CURLcode rc;
    r->status = 0;
    r->content_type[0] = '\0';
    r->len = 0;
    r->too_big = 0;
    r->error_name = NULL;
    r->message[0] = '\0';
    if (!r->max)
        r->max = DEFAULT_MAX_BODY;
    h = handle_of(c);
    set_url(c, h, url);
    headers = set_method(c, q);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    rc = perform(h ? h->multi : NULL, c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (headers) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_slist_free_all(headers);
    }
    if (rc == CURLE_OK)
        return 0;
    if (r->too_big) {
        r->error_name = qvr_err_name(QVR_E_TOO_BIG);
        snprintf(r->message, sizeof r->message, "response body over %zu bytes", r->max);
    } else {
        r->error_name = qvr_http_easy_error_name(c, rc);
        if (strcmp(r->error_name, qvr_err_name(QVR_E_TOO_MANY_FILES)) == 0)
            qvr_http_fd_hint(r->message, sizeof r->message);
        else
            snprintf(r->message, sizeof r->message, "%s",
                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    return -1;
}

int qvr_http_get(CURL *c, const char *url, struct qvr_http_resp *r)
{
    return qvr_http_request(c, url, NULL, r);
}

void qvr_http_resp_free(struct qvr_http_resp *r)
{
    free(r->body);
    r->body = NULL;
    r->len = r->cap = 0;
}
