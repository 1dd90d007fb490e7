/*
 * rtsp.h - the RTSP server behind StreamingOutput's rtsp:// URLs
 * (docs/REST.md "RTSP server"), built on GStreamer's gst-rtsp-server.
 *
 * Owns: one mount per connected fixture camera, /channel<channel_index+1>,
 * streaming the camera's fixture video in a loop at its frame rate (H.264
 * as RTP/H.264, MJPEG as RTP/JPEG) with the camera's fixture audio on the
 * same clock (AAC as MPEG4-GENERIC, G.711 µ-law as PCMU, G.726 as
 * G726-32), and the GLib main loop thread that runs the server.
 */
#ifndef SIM_RTSP_H
#define SIM_RTSP_H

#include <stddef.h>

struct sim;

/* Starts the server on --bind and --rtsp-port; sets s->rest.rtsp_port. */
int rtsp_start(struct sim *s, char *err, size_t errlen);
/* Stops it (no-op when not started). */
void rtsp_stop(struct sim *s);

#endif
