/*
 * camrec.h - the camera record both camera lists share.
 *
 * Owns: the identity fields every camera list entry starts with (SDK
 * camera_status.cgi?act=list and REST camera/list: channel_index, name,
 * umsid, guid, brand, model, mac, ver, ip, port) and the state both read
 * (recording now, frame rate).  Each family adds its own settings and state
 * fields with its own types (camera.c, rest_camera.c).
 */
#ifndef SIM_CAMREC_H
#define SIM_CAMREC_H

#include <stdbool.h>

struct cJSON;
struct camera;
struct sim;

/* Adds channel_index .. port to o, in the lists' order. */
void camera_fields(struct cJSON *o, const struct camera *c);

/* Recording now: manual recording on, or the configured rec_state. */
bool camera_recording(struct sim *s, const struct camera *c);

/* Frames per second: configured, or estimated from a dump. */
int camera_fps(const struct camera *c);

#endif
