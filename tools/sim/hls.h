/*
 * hls.h - the HLS live streams behind the URLs a StreamingOutput liveStream
 * POST hands out (docs/REST.md "HLS server").
 *
 * Owns: cutting a camera's looped fixture into segments on its clock (each
 * about 2 s, starting at a key frame), the live media playlist of a
 * published token (a window of 3 segments, the media sequence counting
 * segments since the share was published) and each segment as an MPEG-TS
 * (the fixture H.264 remuxed, the camera's audio as AAC through
 * clip_audio.h: AAC copied, G.711/G.726 encoded on one AAC frame grid),
 * with libavformat.
 */
#ifndef SIM_HLS_H
#define SIM_HLS_H

#include <microhttpd.h>
#include <stdbool.h>

struct req;

/* The name below "hls/" when the request path is {p}/hls/NAME or
 * /hls/NAME (NAME without '/'), else NULL. */
const char *hls_name(const struct req *r);

/* Answers GET {p}/hls/<token>.m3u8 and {p}/hls/<token>-<seq>.ts: 404 for an
 * unknown or deleted token, a camera without fixture video (disconnected,
 * dump-backed) or a segment outside what was recorded since publishing. */
enum MHD_Result hls_handle(struct req *r, const char *name);

#endif
