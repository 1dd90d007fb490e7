/*
 * fakenvr.c - a minimal fake NVR for the client-side benchmarks
 * (docs/BENCHMARKS.md, "Frames").
 *
 * Serves answers recorded from the simulator (tools/bench/record.lua) from
 * the files of one directory, so that the client, not the server, is the
 * bottleneck: a qplay `get` body goes out with sendfile(2) straight from the
 * page cache.  It answers what the public API sends for qvr.connect,
 * nvr:cpu(), nvr:cameras(), nvr:playback{...}, pb:frames() and closing:
 *
 *   /cgi-bin/authLogin.cgi           login.xml
 *   /cgi-bin/authLogout.cgi          logout.xml
 *   /qvrentry                        entry.json
 *   .../camera_status.cgi act=list   list.json     act=cpu  cpu.json
 *   .../qplay.cgi cmd=open           open.txt with a new session id in place
 *                                    of the recorded one (open.id)
 *             cmd=get                get-GUID.bin of the session's camera
 *                                    (ch_sid of its open); a further get on
 *                                    the same session: get-end.bin
 *             cmd=close              close.txt, and the session is gone
 *             any other cmd          ok.txt
 *
 *   .../getstream.cgi ch_sid=GUID    a paced live stream made of the frames of
 *                                    get-GUID.bin, looped, re-stamped to the
 *                                    wall clock (shifted by a multiple of
 *                                    1600 ms, so every frame stays on its
 *                                    medium's grid: 100, 200, 64, 20 ms) and
 *                                    sent when the clock reaches them, until
 *                                    the client goes (tools/bench/scale.lua)
 *
 * Nothing is checked (sid, password, times): the recorded body of a camera
 * is what every playback of that camera gets.  One thread per connection,
 * blocking I/O, HTTP/1.1 keep-alive; small answers are read once and kept
 * in memory, so that a call costs the server no file system calls.
 *
 * usage: fakenvr DIR [PORT]    prints "listening port=N cc=NAME" once it accepts
 *
 * FAKENVR_CC=NAME sets the TCP congestion control of its connections
 * (TCP_CONGESTION; NAME from /proc/sys/net/ipv4/tcp_available_congestion_control),
 * else they use the system's (net.ipv4.tcp_congestion_control); cc= is the one
 * in use.  Over loopback it matters: BBR paces its sends by its estimate of
 * the delivery rate, which a client that drains the socket in bursts lowers
 * (docs/BENCHMARKS.md, Frames).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 8192
#define SMALL_MAX 65536
#define ID_MAX 64

struct session {
    char id[ID_MAX];
    char guid[ID_MAX];
    int gets;
};

/* A small answer file, read once: the recording does not change while it
 * is served, and a call's answer costs no file system calls. */
#define CACHE_MAX 32
struct cached {
    char name[ID_MAX + 16];
    char *body;
    size_t len;
};

/* A recorded get body indexed for live serving (loaded once per camera). */
struct rec {
    char guid[ID_MAX];
    const unsigned char *p;
    size_t len;
    size_t *off;                   /* frame starts */
    int64_t *ts;                   /* their timestamps */
    size_t n;                      /* frames served: ts < t0 + period */
    int64_t t0, period;
    int ok;
};

#define MAX_RECS 16
#define GRID_MS 1600               /* lcm of 100, 200, 64 and 20 */
#define FRAME_HEAD 56
#define BATCH 32

struct server {
    const char *dir;
    struct cached cache[CACHE_MAX];   /* under mu; bodies are never freed */
    size_t ncache;
    struct rec recs[MAX_RECS];
    size_t nrecs;
    char open_id[ID_MAX];          /* the session id inside open.txt */
    pthread_mutex_t mu;
    struct session *s;
    size_t n, cap;
    unsigned long next;
};

struct conn {
    struct server *srv;
    int fd;
};

static int send_all(int fd, const char *p, size_t len, int more)
{
    while (len) {
        ssize_t k = send(fd, p, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static int send_answer(int fd, int status, const char *type, const char *body, size_t len)
{
    char head[256];
    int h = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     status, status == 200 ? "OK" : "Not Found", type, len);
    struct iovec v[2] = {{head, (size_t)h}, {(void *)body, len}};
    ssize_t k = writev(fd, v, 2);
    if (k < 0)
        return -1;
    if ((size_t)k < (size_t)h)
        return send_all(fd, head + k, (size_t)h - (size_t)k, 0) || send_all(fd, body, len, 0);
    return send_all(fd, body + ((size_t)k - (size_t)h), len - ((size_t)k - (size_t)h), 0);
}

static int not_found(int fd)
{
    return send_answer(fd, 404, "text/plain", "not found\n", 10);
}

/* The cached body of the small file name, or NULL (*len set when found). */
static const char *cache_find(struct server *srv, const char *name, size_t *len)
{
    const char *body = NULL;
    pthread_mutex_lock(&srv->mu);
    for (size_t i = 0; i < srv->ncache && !body; i++)
        if (strcmp(srv->cache[i].name, name) == 0) {
            body = srv->cache[i].body;
            *len = srv->cache[i].len;
        }
    pthread_mutex_unlock(&srv->mu);
    return body;
}

static void cache_add(struct server *srv, const char *name, const char *body, size_t len)
{
    size_t k;
    char *copy;
    if (strlen(name) >= sizeof srv->cache[0].name || cache_find(srv, name, &k))
        return;
    copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, body, len);
    pthread_mutex_lock(&srv->mu);
    if (srv->ncache < CACHE_MAX) {
        struct cached *c = &srv->cache[srv->ncache++];
        snprintf(c->name, sizeof c->name, "%s", name);
        c->body = copy;
        c->len = len;
        copy = NULL;
    }
    pthread_mutex_unlock(&srv->mu);
    free(copy);
}

/* Sends the file DIR/name as the answer: small ones from the cache (read
 * once), big ones with sendfile. */
static int send_file(struct server *srv, int fd, const char *name, const char *type)
{
    char path[4096], head[256];
    struct stat sb;
    int f, h, rc = 0;
    off_t off = 0;
    size_t clen;
    const char *cbody = cache_find(srv, name, &clen);
    if (cbody)
        return send_answer(fd, 200, type, cbody, clen);
    snprintf(path, sizeof path, "%s/%s", srv->dir, name);
    f = open(path, O_RDONLY);
    if (f < 0 || fstat(f, &sb) != 0) {
        if (f >= 0)
            close(f);
        return not_found(fd);
    }
    if (sb.st_size <= SMALL_MAX) {
        char buf[SMALL_MAX];
        ssize_t k = read(f, buf, (size_t)sb.st_size);
        close(f);
        if (k < 0)
            return -1;
        cache_add(srv, name, buf, (size_t)k);
        return send_answer(fd, 200, type, buf, (size_t)k);
    }
    h = snprintf(head, sizeof head,
                 "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\n\r\n",
                 type, (long long)sb.st_size);
    if (send_all(fd, head, (size_t)h, 1) != 0)
        rc = -1;
    while (rc == 0 && off < sb.st_size) {
        ssize_t k = sendfile(fd, f, &off, (size_t)(sb.st_size - off));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            rc = -1;
    }
    close(f);
    return rc;
}

/* The value of query parameter name (URL-escaped as sent), or "". */
static void param(const char *query, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    const char *p = query;
    out[0] = '\0';
    while (p && *p) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t k = strcspn(p + n + 1, "&");
            if (k >= cap)
                k = cap - 1;
            memcpy(out, p + n + 1, k);
            out[k] = '\0';
            return;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
}

static int ends_with(const char *s, size_t len, const char *tail)
{
    size_t n = strlen(tail);
    return len >= n && memcmp(s + len - n, tail, n) == 0;
}

static struct session *find_session(struct server *srv, const char *id)
{
    for (size_t i = 0; i < srv->n; i++)
        if (strcmp(srv->s[i].id, id) == 0)
            return &srv->s[i];
    return NULL;
}

static int qplay_open(struct server *srv, int fd, const char *query)
{
    char path[4096], text[1024], id[ID_MAX], guid[ID_MAX], *at;
    size_t idlen = strlen(srv->open_id);
    ssize_t k;
    int f;
    struct session *s;
    snprintf(path, sizeof path, "%s/open.txt", srv->dir);
    f = open(path, O_RDONLY);
    if (f < 0)
        return not_found(fd);
    k = read(f, text, sizeof text - 1);
    close(f);
    if (k <= 0)
        return not_found(fd);
    text[k] = '\0';
    at = idlen ? strstr(text, srv->open_id) : NULL;
    param(query, "ch_sid", guid, sizeof guid);
    pthread_mutex_lock(&srv->mu);
    snprintf(id, sizeof id, "%0*lX", (int)(idlen ? idlen : 30), ++srv->next);
    if (srv->n == srv->cap) {
        size_t cap = srv->cap ? 2 * srv->cap : 64;
        struct session *ns = realloc(srv->s, cap * sizeof *ns);
        if (!ns) {
            pthread_mutex_unlock(&srv->mu);
            return -1;
        }
        srv->s = ns;
        srv->cap = cap;
    }
    s = &srv->s[srv->n++];
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->guid, sizeof s->guid, "%s", guid);
    s->gets = 0;
    pthread_mutex_unlock(&srv->mu);
    if (at && strlen(id) == idlen)
        memcpy(at, id, idlen);
    return send_answer(fd, 200, "text/plain", text, (size_t)k);
}

static int qplay(struct server *srv, int fd, const char *query)
{
    char cmd[32], id[ID_MAX], name[ID_MAX + 16];
    struct session *s;
    int gets = 0;
    param(query, "cmd", cmd, sizeof cmd);
    if (strcmp(cmd, "open") == 0)
        return qplay_open(srv, fd, query);
    param(query, "session", id, sizeof id);
    pthread_mutex_lock(&srv->mu);
    s = find_session(srv, id);
    if (s && strcmp(cmd, "get") == 0) {
        gets = ++s->gets;
        snprintf(name, sizeof name, "get-%s.bin", s->guid);
    }
    if (s && strcmp(cmd, "close") == 0)
        *s = srv->s[--srv->n];
    pthread_mutex_unlock(&srv->mu);
    if (strcmp(cmd, "close") == 0)
        return send_file(srv, fd, "close.txt", "text/plain");
    if (strcmp(cmd, "get") == 0) {
        if (!s)
            return not_found(fd);
        return send_file(srv, fd, gets == 1 ? name : "get-end.bin", "text/plain");
    }
    return send_file(srv, fd, "ok.txt", "text/plain");
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int64_t le64(const unsigned char *p)
{
    return (int64_t)((uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32);
}

/* Maps and indexes DIR/get-GUID.bin: the frames after the "0" code line. */
static void rec_load(struct server *srv, struct rec *r)
{
    char path[4096];
    struct stat sb;
    size_t off, cap = 0;
    const unsigned char *q;
    int f;
    snprintf(path, sizeof path, "%s/get-%s.bin", srv->dir, r->guid);
    f = open(path, O_RDONLY);
    if (f < 0 || fstat(f, &sb) != 0 || sb.st_size < FRAME_HEAD) {
        if (f >= 0)
            close(f);
        return;
    }
    r->p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, f, 0);
    close(f);
    if (r->p == MAP_FAILED) {
        r->p = NULL;
        return;
    }
    r->len = (size_t)sb.st_size;
    q = memmem(r->p, r->len < 64 ? r->len : 64, "\n0\n", 3);
    off = q ? (size_t)(q - r->p) + 3 : (r->p[0] == '0' && r->p[1] == '\n' ? 2 : r->len);
    while (off + FRAME_HEAD <= r->len) {
        size_t size = (size_t)le32(r->p + off + 48) + le32(r->p + off + 52);
        if (r->n == cap) {
            cap = cap ? cap * 2 : 4096;
            r->off = realloc(r->off, cap * sizeof *r->off);
            r->ts = realloc(r->ts, cap * sizeof *r->ts);
            if (!r->off || !r->ts)
                return;
        }
        r->off[r->n] = off;
        r->ts[r->n++] = le64(r->p + off + 16);
        off += FRAME_HEAD + size;
    }
    if (r->n < 2)
        return;
    r->t0 = r->ts[0];
    r->period = (r->ts[r->n - 1] - r->t0) / GRID_MS * GRID_MS;
    while (r->n > 0 && r->ts[r->n - 1] >= r->t0 + r->period)
        r->n--;
    r->ok = r->period > 0 && r->n > 0;
}

static struct rec *find_rec(struct server *srv, const char *guid)
{
    struct rec *r = NULL;
    pthread_mutex_lock(&srv->mu);
    for (size_t i = 0; i < srv->nrecs; i++)
        if (strcmp(srv->recs[i].guid, guid) == 0)
            r = &srv->recs[i];
    if (!r && srv->nrecs < MAX_RECS && guid[0] && !strchr(guid, '/')) {
        r = &srv->recs[srv->nrecs++];
        snprintf(r->guid, sizeof r->guid, "%s", guid);
        rec_load(srv, r);
    }
    pthread_mutex_unlock(&srv->mu);
    return r && r->ok ? r : NULL;
}

static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_until_ms(int64_t at)
{
    struct timespec t = {.tv_sec = at / 1000, .tv_nsec = (long)(at % 1000) * 1000000L};
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL) == EINTR)
        ;
}

/* Sends iov[0..n) completely. */
static int send_iov(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t k = writev(fd, iov, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        while (n > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return 0;
}

/* getstream.cgi: the paced live stream of a recorded camera, until the
 * client goes (then -1: the connection closes). */
static int live(struct server *srv, int fd, const char *query)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                               "Connection: close\r\n\r\n0\n";
    char guid[ID_MAX];
    unsigned char hdr[BATCH][FRAME_HEAD];
    struct iovec iov[2 * BATCH];
    struct rec *r;
    int64_t now, shift;
    size_t i, lo, hi;
    param(query, "ch_sid", guid, sizeof guid);
    r = find_rec(srv, guid);
    if (!r)
        return not_found(fd);
    if (send_all(fd, head, sizeof head - 1, 0) != 0)
        return -1;
    now = wall_ms();
    shift = (now - r->t0) / GRID_MS * GRID_MS;
    for (lo = 0, hi = r->n; lo < hi;) {      /* the first frame at or after now */
        size_t mid = (lo + hi) / 2;
        if (r->ts[mid] + shift < now)
            lo = mid + 1;
        else
            hi = mid;
    }
    i = lo;
    for (;;) {
        int n = 0;
        if (i >= r->n) {
            i = 0;
            shift += r->period;
        }
        sleep_until_ms(r->ts[i] + shift);
        now = wall_ms();
        while (n < BATCH && i < r->n && r->ts[i] + shift <= now) {
            size_t off = r->off[i];
            size_t end = i + 1 < r->n ? r->off[i + 1]
                         : off + FRAME_HEAD + le32(r->p + off + 48) + le32(r->p + off + 52);
            int64_t ts = r->ts[i] + shift;
            memcpy(hdr[n], r->p + off, FRAME_HEAD);
            for (int b = 0; b < 8; b++)
                hdr[n][16 + b] = (unsigned char)((uint64_t)ts >> (8 * b));
            iov[2 * n] = (struct iovec){hdr[n], FRAME_HEAD};
            iov[2 * n + 1] = (struct iovec){(void *)(r->p + off + FRAME_HEAD),
                                            end - off - FRAME_HEAD};
            n++;
            i++;
        }
        if (send_iov(fd, iov, 2 * n) != 0)
            return -1;
    }
}

static int route(struct server *srv, int fd, char *target)
{
    char act[32];
    char *q = strchr(target, '?');
    size_t plen;
    if (q)
        *q++ = '\0';
    else
        q = "";
    plen = strlen(target);
    if (ends_with(target, plen, "/authLogin.cgi"))
        return send_file(srv, fd, "login.xml", "text/xml");
    if (ends_with(target, plen, "/authLogout.cgi"))
        return send_file(srv, fd, "logout.xml", "text/xml");
    if (ends_with(target, plen, "/qvrentry"))
        return send_file(srv, fd, "entry.json", "application/json");
    if (ends_with(target, plen, "/camera_status.cgi")) {
        param(q, "act", act, sizeof act);
        if (strcmp(act, "list") == 0)
            return send_file(srv, fd, "list.json", "application/json");
        if (strcmp(act, "cpu") == 0)
            return send_file(srv, fd, "cpu.json", "application/json");
    }
    if (ends_with(target, plen, "/qplay.cgi"))
        return qplay(srv, fd, q);
    if (ends_with(target, plen, "/getstream.cgi"))
        return live(srv, fd, q);
    return not_found(fd);
}

/* Serves the requests of one connection until it closes. */
static void *serve(void *arg)
{
    struct conn *c = arg;
    char buf[REQ_MAX + 1];
    size_t have = 0;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
        char *end, target[REQ_MAX], version[16];
        int keep;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (!end) {
            ssize_t k;
            if (have == REQ_MAX)
                break;
            k = recv(c->fd, buf + have, REQ_MAX - have, 0);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            have += (size_t)k;
            continue;
        }
        *end = '\0';
        if (sscanf(buf, "GET %8191s HTTP/%15s", target, version) != 2)
            break;
        keep = strcmp(version, "1.1") == 0 && !strstr(buf, "\nConnection: close") &&
               !strstr(buf, "\nconnection: close");
        if (route(c->srv, c->fd, target) != 0 || !keep)
            break;
        have -= (size_t)(end + 4 - buf);
        memmove(buf, end + 4, have);
    }
    close(c->fd);
    free(c);
    return NULL;
}

/* The session id inside open.txt (its last line that is not a number). */
static void read_open_id(struct server *srv)
{
    char path[4096], text[1024], *line, *save = NULL;
    ssize_t k;
    int f;
    snprintf(path, sizeof path, "%s/open.txt", srv->dir);
    f = open(path, O_RDONLY);
    if (f < 0)
        return;
    k = read(f, text, sizeof text - 1);
    close(f);
    text[k > 0 ? k : 0] = '\0';
    for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save))
        if (strlen(line) >= 8 && strlen(line) < ID_MAX && strspn(line, "0123456789-") != strlen(line))
            snprintf(srv->open_id, sizeof srv->open_id, "%s", line);
}

int main(int argc, char **argv)
{
    struct server srv = {0};
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    struct rlimit rl;
    int one = 1, lfd;
    const char *cc = getenv("FAKENVR_CC");
    char ccname[32] = "";
    socklen_t cclen = sizeof ccname - 1;
    if (argc < 2) {
        fprintf(stderr, "usage: fakenvr DIR [PORT]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;      /* a thousand live streams need as many descriptors */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    srv.dir = argv[1];
    pthread_mutex_init(&srv.mu, NULL);
    read_open_id(&srv);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)(argc > 2 ? atoi(argv[2]) : 0));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("fakenvr");
        return 1;
    }
    if (cc && *cc && setsockopt(lfd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) != 0) {
        fprintf(stderr, "fakenvr: FAKENVR_CC=%s: %s\n", cc, strerror(errno));
        return 1;
    }
    if (getsockopt(lfd, IPPROTO_TCP, TCP_CONGESTION, ccname, &cclen) != 0)
        snprintf(ccname, sizeof ccname, "?");
    ccname[sizeof ccname - 1] = '\0';
    printf("listening port=%d cc=%s\n", ntohs(a.sin_port), ccname);
    fflush(stdout);
    for (;;) {
        pthread_t t;
        pthread_attr_t at;
        struct conn *c;
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
                continue;
            perror("accept");
            return 1;
        }
        if (cc && *cc)        /* inherited from the listener; set again to be sure */
            setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc));
        c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->srv = &srv;
        c->fd = fd;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 256 * 1024);
        if (pthread_create(&t, &at, serve, c) != 0) {
            close(fd);
            free(c);
        }
        pthread_attr_destroy(&at);
    }
}
