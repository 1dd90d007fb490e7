/*
 * rtsp.c - the RTSP server (gst-rtsp-server) for StreamingOutput's
 * rtsp://HOST:PORT/channel<N> URLs (docs/REST.md "RTSP server").
 *
 * Each client session gets its own pipeline: appsrc fed with the camera's
 * fixture frames (timestamps k * frame interval, starting at a key frame)
 * -> h264parse -> rtph264pay, or appsrc -> rtpjpegpay for MJPEG; a camera
 * with audio has a second appsrc fed with its fixture audio frames on the
 * same clock (the audio frame at or after the first video frame's time
 * comes first), as RTP MPEG4-GENERIC (AAC, via aacparse: ADTS -> raw),
 * PCMU (G.711 µ-law, payload 0) or G726-32 (force-aal2=false: rtpg726pay
 * repacks the fixture's big-endian codes as RFC 3551 says).  The frames
 * point into the loaded media (read-only for the simulator's life), so
 * buffers wrap them without copying.
 */
#include "rtsp.h"
#include "rest.h"
#include "sim.h"
#include "util.h"

#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mount {
    const struct sim *sim;
    const struct camera *cam;
};

struct rtsp_server {
    GMainContext *ctx;
    GMainLoop *loop;
    GstRTSPServer *server;
    guint source;
    pthread_t thread;
    bool running;
    struct mount *mounts;
};

/* One client's feed of one track: frame k of the session is fixture frame
 * (k0 + k) mod n, at k0 + k intervals on the camera's clock, stamped
 * relative to t0 (the first video frame's time). */
struct feed {
    const struct clip *clip;
    int64_t k, k0, interval_ms, t0_ms;
};

static void need_data(GstElement *src, guint length, gpointer user)
{
    (void)length;
    struct feed *f = user;
    const struct clip_frame *fr = &f->clip->frames[(size_t)((f->k0 + f->k) % (int64_t)f->clip->n)];
    GstBuffer *b = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, (gpointer)fr->data,
                                               fr->len, 0, fr->len, NULL, NULL);
    int64_t pts_ms = (f->k0 + f->k) * f->interval_ms - f->t0_ms;
    GST_BUFFER_PTS(b) = (GstClockTime)pts_ms * GST_MSECOND;
    GST_BUFFER_DURATION(b) = (GstClockTime)f->interval_ms * GST_MSECOND;
    f->k++;
    GstFlowReturn ret;
    g_signal_emit_by_name(src, "push-buffer", b, &ret);
    gst_buffer_unref(b);
}

/* The fixture frame at the current wall clock, moved on to a key frame. */
static int64_t first_frame(const struct sim *s, const struct camera *c)
{
    const struct clip *v = &s->media.video[c->video];
    int64_t k = now_ms() / c->video_ms;
    for (size_t i = 0; i < v->n; i++, k++)
        if (v->frames[(size_t)(k % (int64_t)v->n)].key)
            break;
    return k;
}

static GstCaps *video_caps(const struct camera *c)
{
    const struct video_info *vi = &video_kinds[c->video];
    if (c->video == VIDEO_MJPEG)
        return gst_caps_new_simple("image/jpeg", "framerate", GST_TYPE_FRACTION, c->fps, 1,
                                   "width", G_TYPE_INT, (int)vi->width, "height", G_TYPE_INT,
                                   (int)vi->height, NULL);
    return gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "byte-stream",
                               "alignment", G_TYPE_STRING, "au", "framerate", GST_TYPE_FRACTION,
                               c->fps, 1, NULL);
}

/* The caps of the camera's fixture audio frames (NULL: no audio). */
static GstCaps *audio_caps(const struct camera *c)
{
    const struct audio_info *ai = &audio_kinds[c->audio];
    int rate = (int)ai->sample_rate, ch = ai->channels;
    switch (c->audio) {
    case AUDIO_AAC:
        return gst_caps_new_simple("audio/mpeg", "mpegversion", G_TYPE_INT, 4, "stream-format",
                                   G_TYPE_STRING, "adts", "rate", G_TYPE_INT, rate, "channels",
                                   G_TYPE_INT, ch, NULL);
    case AUDIO_G711:
        return gst_caps_new_simple("audio/x-mulaw", "rate", G_TYPE_INT, rate, "channels",
                                   G_TYPE_INT, ch, NULL);
    case AUDIO_G726:
        return gst_caps_new_simple("audio/x-adpcm", "layout", G_TYPE_STRING, "g726", "bitrate",
                                   G_TYPE_INT, rate * ai->bits, "rate", G_TYPE_INT, rate,
                                   "channels", G_TYPE_INT, ch, NULL);
    default: return NULL;
    }
}

/* Sets up the appsrc called name with caps and a feed of clip. */
static void attach_feed(GstRTSPMedia *media, GstElement *bin, const char *name, GstCaps *caps,
                        const struct clip *clip, int64_t k0, int64_t interval_ms, int64_t t0_ms)
{
    GstElement *src = gst_bin_get_by_name_recurse_up(GST_BIN(bin), name);
    g_object_set(src, "format", GST_FORMAT_TIME, "is-live", TRUE, "caps", caps, NULL);
    gst_caps_unref(caps);
    struct feed *f = g_new0(struct feed, 1);
    *f = (struct feed){clip, 0, k0, interval_ms, t0_ms};
    char key[32];
    snprintf(key, sizeof key, "qvrsim-feed-%s", name);
    g_object_set_data_full(G_OBJECT(media), key, f, g_free);
    g_signal_connect(src, "need-data", G_CALLBACK(need_data), f);
    gst_object_unref(src);
}

static void media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media, gpointer user)
{
    (void)factory;
    const struct mount *m = user;
    const struct camera *c = m->cam;
    GstElement *bin = gst_rtsp_media_get_element(media);
    int64_t k0 = first_frame(m->sim, c), t0 = k0 * c->video_ms;
    attach_feed(media, bin, "src", video_caps(c), &m->sim->media.video[c->video], k0,
                c->video_ms, t0);
    GstCaps *acaps = audio_caps(c);
    if (acaps) /* the first audio frame at or after t0 */
        attach_feed(media, bin, "asrc", acaps, &m->sim->media.audio[c->audio],
                    (t0 + c->audio_ms - 1) / c->audio_ms, c->audio_ms, t0);
    gst_object_unref(bin);
}

/* The launch line of a camera's pipeline: pay0 video, pay1 audio. */
static const char *launch_line(const struct camera *c)
{
    static const char *const lines[2][AUDIO_KINDS] = {
        {"( appsrc name=src ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )",
         "( appsrc name=src ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 "
         "appsrc name=asrc ! aacparse ! rtpmp4gpay name=pay1 pt=97 )",
         "( appsrc name=src ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 "
         "appsrc name=asrc ! rtppcmupay name=pay1 pt=0 )",
         "( appsrc name=src ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 "
         "appsrc name=asrc ! rtpg726pay name=pay1 pt=97 force-aal2=false )"},
        {"( appsrc name=src ! rtpjpegpay name=pay0 pt=26 )",
         "( appsrc name=src ! rtpjpegpay name=pay0 pt=26 "
         "appsrc name=asrc ! aacparse ! rtpmp4gpay name=pay1 pt=97 )",
         "( appsrc name=src ! rtpjpegpay name=pay0 pt=26 appsrc name=asrc ! rtppcmupay name=pay1 "
         "pt=0 )",
         "( appsrc name=src ! rtpjpegpay name=pay0 pt=26 appsrc name=asrc ! rtpg726pay "
         "name=pay1 pt=97 force-aal2=false )"},
    };
    return lines[c->video == VIDEO_MJPEG][c->audio];
}

static void *loop_thread(void *arg)
{
    struct rtsp_server *srv = arg;
    g_main_context_push_thread_default(srv->ctx);
    g_main_loop_run(srv->loop);
    g_main_context_pop_thread_default(srv->ctx);
    return NULL;
}

static void add_mounts(struct rtsp_server *srv, const struct sim *s)
{
    GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points(srv->server);
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        const struct camera *c = &s->cfg.cameras[i];
        if (c->dump || c->status != CAM_CONNECTED)
            continue; /* DESCRIBE answers 404 */
        srv->mounts[i] = (struct mount){s, c};
        GstRTSPMediaFactory *f = gst_rtsp_media_factory_new();
        gst_rtsp_media_factory_set_launch(f, launch_line(c));
        g_signal_connect(f, "media-configure", G_CALLBACK(media_configure), &srv->mounts[i]);
        char path[32];
        snprintf(path, sizeof path, "/channel%d", c->index + 1);
        gst_rtsp_mount_points_add_factory(mounts, path, f);
    }
    g_object_unref(mounts);
}

/* Runs in the loop's own thread: a quit sent before g_main_loop_run()
 * started would be lost and the join below would wait for ever. */
static gboolean quit_loop(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void destroy(struct rtsp_server *srv)
{
    if (srv->running) {
        g_main_context_invoke(srv->ctx, quit_loop, srv->loop);
        pthread_join(srv->thread, NULL);
    }
    if (srv->source) {
        GSource *src = g_main_context_find_source_by_id(srv->ctx, srv->source);
        if (src)
            g_source_destroy(src);
    }
    if (srv->server)
        g_object_unref(srv->server);
    if (srv->loop)
        g_main_loop_unref(srv->loop);
    if (srv->ctx)
        g_main_context_unref(srv->ctx);
    free(srv->mounts);
    free(srv);
}

int rtsp_start(struct sim *s, char *err, size_t errlen)
{
    gst_init(NULL, NULL);
    struct rtsp_server *srv = calloc(1, sizeof *srv);
    if (!srv || !(srv->mounts = calloc(s->cfg.ncameras + 1, sizeof *srv->mounts))) {
        free(srv);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    srv->ctx = g_main_context_new();
    srv->loop = g_main_loop_new(srv->ctx, FALSE);
    srv->server = gst_rtsp_server_new();
    char service[16];
    snprintf(service, sizeof service, "%d", s->opt.rtsp_port);
    gst_rtsp_server_set_address(srv->server, s->opt.bind);
    gst_rtsp_server_set_service(srv->server, service);
    add_mounts(srv, s);
    srv->source = gst_rtsp_server_attach(srv->server, srv->ctx);
    if (!srv->source) {
        snprintf(err, errlen, "cannot listen for RTSP on %s port %d (see --rtsp-port)",
                 s->opt.bind, s->opt.rtsp_port);
        destroy(srv);
        return -1;
    }
    s->rest.rtsp_port = gst_rtsp_server_get_bound_port(srv->server);
    if (pthread_create(&srv->thread, NULL, loop_thread, srv) != 0) {
        snprintf(err, errlen, "cannot start the RTSP thread");
        destroy(srv);
        return -1;
    }
    srv->running = true;
    s->rest.rtsp = srv;
    return 0;
}

void rtsp_stop(struct sim *s)
{
    if (s->rest.rtsp)
        destroy(s->rest.rtsp);
    s->rest.rtsp = NULL;
}
