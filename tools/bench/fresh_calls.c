/*
 * fresh_calls.c - the baseline of the calls benchmark (tools/bench/calls.lua).
 *
 * Makes N GET requests of one URL, each with a fresh libcurl easy handle
 * (curl_easy_init, perform, curl_easy_cleanup), so every call opens and
 * closes its own TCP connection: what a client does when it runs a curl
 * command per call or calls an HTTP library without a kept session.  Each
 * answer must be HTTP 200 with "success":true in its body.  Prints one line:
 * "calls=N seconds=S cpu=C" (S wall, C this process's user + system CPU
 * seconds, both over the calls only).
 *
 * usage: fresh_calls [--one-handle] URL N [CAFILE]
 *   CAFILE: the certificate to trust for https.  --one-handle: one easy
 *   handle for every call, told to open a new connection for each
 *   (CURLOPT_FRESH_CONNECT, CURLOPT_FORBID_REUSE): the cost of the connection
 *   alone, without the handle's set-up and tear-down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include <curl/curl.h>

struct body {
    char buf[4096];
    size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    struct body *b = ud;
    size_t len = size * n, k = sizeof b->buf - 1 - b->len;
    k = len < k ? len : k;
    memcpy(b->buf + b->len, ptr, k);
    b->len += k;
    b->buf[b->len] = '\0';
    return len;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* One call: with a fresh easy handle, or (one != NULL) with the one easy
 * handle told to open a new connection and close it after the call. */
static int one_call(const char *url, const char *cafile, CURL *one)
{
    struct body b = {.len = 0};
    long status = 0;
    CURLcode rc;
    CURL *c = one ? one : curl_easy_init();
    if (!c)
        return -1;
    if (one) {
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (cafile)
        curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (!one)
        curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200 || !strstr(b.buf, "\"success\":true")) {
        fprintf(stderr, "fresh_calls: call failed: %s, HTTP %ld, body %.200s\n",
                curl_easy_strerror(rc), status, b.buf);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n;
    double t0, t1, c0;
    int one_handle = argc > 1 && strcmp(argv[1], "--one-handle") == 0;
    CURL *one = NULL;
    argc -= one_handle;
    argv += one_handle;
    if (argc < 3 || argc > 4 || (n = strtol(argv[2], NULL, 10)) <= 0) {
        fprintf(stderr, "usage: fresh_calls [--one-handle] URL N [CAFILE]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (one_handle && !(one = curl_easy_init()))
        return 1;
    c0 = cpu_s();
    t0 = mono_s();
    for (long i = 0; i < n; i++)
        if (one_call(argv[1], argc > 3 ? argv[3] : NULL, one) != 0)
            return 1;
    t1 = mono_s();
    printf("calls=%ld seconds=%.6f cpu=%.6f\n", n, t1 - t0, cpu_s() - c0);
    if (one)
        curl_easy_cleanup(one);
    curl_global_cleanup();
    return 0;
}
