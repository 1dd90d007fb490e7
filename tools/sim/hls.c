/*
 * hls.c - the HLS live streams of published StreamingOutput shares; see
 * hls.h and docs/REST.md "HLS server".
 *
 * A camera's clock is the one the RTSP server and the archive use: video
 * frame k at k * frame interval is fixture frame k mod n, audio frame j at
 * j * audio frame length is fixture audio frame j mod n.  Segment s holds
 * the video frames off + s*F .. off + s*F + F - 1, where off is the
 * fixture's first key frame and F a multiple of the key frame spacing (so
 * every segment starts at a key frame) near 2 s, and the audio that starts
 * in the same span (AAC frames copied; G.711/G.726 encoded on one grid of
 * AAC frames, clip_audio_span); a segment is served once its span has
 * passed.
 * Timestamps count from the first segment the share's playlist listed
 * (plus HLS_PTS_BASE_MS), so consecutive segments play as one stream.  Each
 * segment is a standalone MPEG-TS (PAT/PMT first, every PID's first packet
 * flagged discontinuous as its continuity counter starts afresh), muxed in
 * memory per request.
 */
#include "hls.h"
#include "avmux.h"
#include "clip_audio.h"
#include "http.h"
#include "rest.h"
#include "sim.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <string.h>

#define HLS_SEGMENT_MS 2000   /* the segment length aimed at */
#define HLS_WINDOW 3          /* segments in the playlist */
#define HLS_PTS_BASE_MS 10000 /* pts of the share's first segment */
#define HLS_IO_BUF 4096

/* How a camera's clock is cut: segment s is the video frames from
 * off + s * frames, lasting ms. */
struct geo {
    int64_t off, frames, ms;
};

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* false when the fixture has no key frame. */
static bool geometry(const struct clip *v, int64_t video_ms, struct geo *g)
{
    size_t first = 0;
    while (first < v->n && !v->frames[first].key)
        first++;
    if (first == v->n || video_ms <= 0)
        return false;
    int64_t step = (int64_t)v->n; /* the spacing every key frame (and the loop) keeps */
    for (size_t i = first + 1; i < v->n; i++)
        if (v->frames[i].key)
            step = gcd64(step, (int64_t)(i - first));
    int64_t span = step * video_ms, m = (HLS_SEGMENT_MS + span / 2) / span;
    g->off = (int64_t)first;
    g->frames = step * (m < 1 ? 1 : m);
    g->ms = g->frames * video_ms;
    return true;
}

/* The last segment whose span has passed at time t. */
static int64_t last_done(const struct geo *g, int64_t video_ms, int64_t t)
{
    return (t - g->off * video_ms) / g->ms - 1;
}

/* ---- the request ---- */

const char *hls_name(const struct req *r)
{
    const char *p = r->path, *prefix = r->sim->opt.prefix;
    size_t plen = strlen(prefix);
    if (plen && !strncmp(p, prefix, plen) && !strncmp(p + plen, "/hls/", 5))
        p += plen + 5;
    else if (!strncmp(p, "/hls/", 5))
        p += 5;
    else
        return NULL;
    return *p && !strchr(p, '/') ? p : NULL;
}

/* What a request names: the share's token and, for a segment, its number
 * (-1: the playlist).  false when the name is neither form. */
static bool parse_name(const char *name, char token[33], int64_t *seq)
{
    size_t n = strlen(name), tlen;
    *seq = -1;
    if (n > 5 && !strcmp(name + n - 5, ".m3u8")) {
        tlen = n - 5;
    } else {
        const char *dash = strrchr(name, '-');
        if (!dash || n < 3 || strcmp(name + n - 3, ".ts"))
            return false;
        char num[24];
        size_t dlen = (size_t)(name + n - 3 - (dash + 1));
        if (dlen == 0 || dlen >= sizeof num)
            return false;
        memcpy(num, dash + 1, dlen);
        num[dlen] = '\0';
        if (num[0] == '-' || !parse_i64(num, seq))
            return false;
        tlen = (size_t)(dash - name);
    }
    if (tlen == 0 || tlen > 32)
        return false;
    memcpy(token, name, tlen);
    token[tlen] = '\0';
    return true;
}

/* The camera of the published HLS share with this token and the time it
 * was published; NULL when there is none. */
static const struct camera *find_share(struct sim *s, const char *token, int64_t *since)
{
    const struct camera *c = NULL;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->rest.nshares && !c; i++) {
        const struct so_share *sh = &s->rest.shares[i];
        if (sh->proto == SO_HLS && !strcmp(sh->token, token) && sh->cam >= 0 &&
            (size_t)sh->cam < s->cfg.ncameras) {
            c = &s->cfg.cameras[sh->cam];        /* a camera's index is its place */
            *since = sh->since_ms;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return c;
}

static enum MHD_Result not_found(struct req *r)
{
    static const char text[] = "404 Not Found\n";
    return http_reply(r, 404, "Content-Type", "text/plain", text, sizeof text - 1);
}

static enum MHD_Result playlist(struct req *r, const char *token, const struct geo *g,
                                int64_t video_ms, int64_t seg0)
{
    int64_t last = last_done(g, video_ms, now_ms()), first = last - (HLS_WINDOW - 1);
    if (first < seg0)
        first = seg0;
    struct buf b = {0};
    int rc = buf_printf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%lld\n"
                            "#EXT-X-MEDIA-SEQUENCE:%lld\n",
                        (long long)((g->ms + 999) / 1000), (long long)(first - seg0));
    for (int64_t s = first; s <= last && rc == 0; s++)
        rc = buf_printf(&b, "#EXTINF:%lld.%03lld,\n%s-%lld.ts\n", (long long)(g->ms / 1000),
                        (long long)(g->ms % 1000), token, (long long)(s - seg0));
    enum MHD_Result res = rc == 0 ? http_reply(r, 200, "Content-Type",
                                               "application/vnd.apple.mpegurl", b.p, b.len)
                                  : MHD_NO;
    buf_free(&b);
    return res;
}

/* ---- one segment as MPEG-TS ---- */

#if LIBAVFORMAT_VERSION_MAJOR >= 61
static int ts_write(void *opaque, const uint8_t *data, int n)
#else
static int ts_write(void *opaque, uint8_t *data, int n)
#endif
{
    return buf_add(opaque, data, (size_t)n) == 0 ? n : AVERROR(ENOMEM);
}

static int ts_open(struct avmux *m, const struct sim *s, const struct camera *c, struct buf *out)
{
    const struct video_info *vi = &video_kinds[c->video];
    if (avformat_alloc_output_context2(&m->oc, NULL, "mpegts", NULL) < 0 || !m->oc)
        return -1;
    m->oc->flags |= AVFMT_FLAG_BITEXACT;
    if (!(m->st = avformat_new_stream(m->oc, NULL)))
        return -1;
    AVCodecParameters *par = m->st->codecpar;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = AV_CODEC_ID_H264;
    par->width = (int)vi->width;
    par->height = (int)vi->height;
    m->st->time_base = (AVRational){1, 1000};
    m->st->avg_frame_rate = (AVRational){c->fps, 1};
    if (clip_audio_open(&m->audio, m->oc, c, &s->media.audio[c->audio]) != 0)
        return -1;
    uint8_t *iobuf = av_malloc(HLS_IO_BUF);
    if (!iobuf)
        return -1;
    m->oc->pb = avio_alloc_context(iobuf, HLS_IO_BUF, 1, out, NULL, ts_write, NULL);
    if (!m->oc->pb) {
        av_free(iobuf);
        return -1;
    }
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "mpegts_flags", "+initial_discontinuity", 0);
    int rc = avformat_write_header(m->oc, &opts);
    av_dict_free(&opts);
    if (rc < 0)
        return -1;
    m->header = true;
    return 0;
}

/* Segment seg (seg0: the share's first) of camera c, in time order: its
 * video frames, and the audio of its span (clip_audio_span). */
static int segment(const struct sim *s, const struct camera *c, const struct geo *g,
                   int64_t seg, int64_t seg0, struct buf *out)
{
    const struct clip *v = &s->media.video[c->video], *a = &s->media.audio[c->audio];
    int64_t vms = c->video_ms, ams = c->audio_ms;
    int64_t k0 = g->off + seg * g->frames, t0 = k0 * vms, t1 = t0 + g->ms;
    int64_t base = (g->off + seg0 * g->frames) * vms - HLS_PTS_BASE_MS;
    int64_t k = k0, j = 0, j1 = 0;
    struct avmux m = {0};
    bool ok = ts_open(&m, s, c, out) == 0;
    if (ok && m.audio && a->n)
        clip_audio_span(m.audio, t0, t1, base, &j, &j1);
    while (ok) {
        bool vmore = k < k0 + g->frames, amore = j < j1;
        if (!vmore && !amore)
            break;
        if (vmore && (!amore || k * vms <= j * ams)) {
            const struct clip_frame *f = &v->frames[(size_t)(k % (int64_t)v->n)];
            ok = avmux_video(&m, f->data, f->len, f->key, k * vms - base, vms) == 0;
            k++;
        } else {
            ok = clip_audio_frame(m.audio, &a->frames[(size_t)(j % (int64_t)a->n)],
                                  j * ams - base) == 0;
            j++;
        }
    }
    return avmux_close(&m, ok);
}

static enum MHD_Result ts_answer(struct req *r, const struct camera *c, const struct geo *g,
                                 int64_t seg, int64_t seg0)
{
    struct buf b = {0};
    enum MHD_Result rc;
    if (segment(r->sim, c, g, seg, seg0, &b) == 0) {
        rc = http_reply(r, 200, "Content-Type", "video/mp2t", b.p, b.len);
    } else {
        static const char text[] = "500 Internal Server Error\n";
        rc = http_reply(r, 500, "Content-Type", "text/plain", text, sizeof text - 1);
    }
    buf_free(&b);
    return rc;
}

enum MHD_Result hls_handle(struct req *r, const char *name)
{
    char token[33];
    int64_t seq, since = 0;
    if (!parse_name(name, token, &seq))
        return not_found(r);
    struct sim *s = r->sim;
    const struct camera *c = find_share(s, token, &since);
    struct geo g;
    /* like the RTSP server: only a connected camera with fixture H.264 */
    if (!c || c->dump || c->status != CAM_CONNECTED || c->video == VIDEO_MJPEG ||
        !geometry(&s->media.video[c->video], c->video_ms, &g))
        return not_found(r);
    int64_t seg0 = last_done(&g, c->video_ms, since) - (HLS_WINDOW - 1);
    if (seq < 0)
        return playlist(r, token, &g, c->video_ms, seg0);
    if (seq > last_done(&g, c->video_ms, now_ms()) - seg0)
        return not_found(r);
    return ts_answer(r, c, &g, seg0 + seq, seg0);
}
