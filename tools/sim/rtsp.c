/*
 * rtsp.c - the RTSP server (gst-rtsp-server) for StreamingOutput's
 * rtsp://HOST:PORT/channel<N> URLs (docs/REST.md "RTSP server").
 *
 * Each client session gets its own pipeline: appsrc fed with the camera's
 * fixture frames (timestamps k * frame interval, starting at a key frame)
 * -> h264parse -> rtph264pay, or appsrc -> rtpjpegpay for MJPEG.  The
 * frames point into the loaded media (read-only for the simulator's life),
 * so buffers wrap them without copying.
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

/* One client's feed: frame k of the session is fixture frame k0 + k. */
struct feed {
    const struct sim *sim;
    const struct camera *cam;
    int64_t k, k0;
};

static void need_data(GstElement *src, guint length, gpointer user)
{
    (void)length;
    struct feed *f = user;
    const struct clip *v = &f->sim->media.video[f->cam->video];
    const struct clip_frame *fr = &v->frames[(size_t)((f->k0 + f->k) % (int64_t)v->n)];
    GstBuffer *b = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, (gpointer)fr->data,
                                               fr->len, 0, fr->len, NULL, NULL);
    GST_BUFFER_PTS(b) = (GstClockTime)(f->k * f->cam->video_ms) * GST_MSECOND;
    GST_BUFFER_DURATION(b) = (GstClockTime)f->cam->video_ms * GST_MSECOND;
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

static void media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media, gpointer user)
{
    (void)factory;
    const struct mount *m = user;
    const struct camera *c = m->cam;
    const struct video_info *vi = &video_kinds[c->video];
    GstElement *bin = gst_rtsp_media_get_element(media);
    GstElement *src = gst_bin_get_by_name_recurse_up(GST_BIN(bin), "src");
    GstCaps *caps =
        c->video == VIDEO_MJPEG
            ? gst_caps_new_simple("image/jpeg", "framerate", GST_TYPE_FRACTION, c->fps, 1,
                                  "width", G_TYPE_INT, (int)vi->width, "height", G_TYPE_INT,
                                  (int)vi->height, NULL)
            : gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "byte-stream",
                                  "alignment", G_TYPE_STRING, "au", "framerate",
                                  GST_TYPE_FRACTION, c->fps, 1, NULL);
    g_object_set(src, "format", GST_FORMAT_TIME, "is-live", TRUE, "caps", caps, NULL);
    gst_caps_unref(caps);
    struct feed *f = g_new0(struct feed, 1);
    f->sim = m->sim;
    f->cam = c;
    f->k0 = first_frame(m->sim, c);
    g_object_set_data_full(G_OBJECT(media), "qvrsim-feed", f, g_free);
    g_signal_connect(src, "need-data", G_CALLBACK(need_data), f);
    gst_object_unref(src);
    gst_object_unref(bin);
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
        gst_rtsp_media_factory_set_launch(
            f, c->video == VIDEO_MJPEG
                   ? "( appsrc name=src ! rtpjpegpay name=pay0 pt=26 )"
                   : "( appsrc name=src ! h264parse ! rtph264pay name=pay0 pt=96 "
                     "config-interval=-1 )");
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
