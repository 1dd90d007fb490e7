/*
 * camrec.c - the camera record both camera lists share (camrec.h).
 */
#include "camrec.h"
#include "dump.h"
#include "sim.h"

#include <cjson/cJSON.h>
#include <string.h>

void camera_fields(cJSON *o, const struct camera *c)
{
    cJSON_AddNumberToObject(o, "channel_index", c->index);
    cJSON_AddStringToObject(o, "name", c->name);
    cJSON_AddStringToObject(o, "umsid", c->umsid);
    cJSON_AddStringToObject(o, "guid", c->guid);
    cJSON_AddStringToObject(o, "brand", c->brand);
    cJSON_AddStringToObject(o, "model", c->model);
    cJSON_AddStringToObject(o, "mac", c->mac);
    cJSON_AddStringToObject(o, "ver", c->ver);
    cJSON_AddStringToObject(o, "ip", c->ip);
    cJSON_AddStringToObject(o, "port", c->port);
}

bool camera_recording(struct sim *s, const struct camera *c)
{
    pthread_mutex_lock(&s->lock);
    bool manual = s->manual_rec[c->index];
    pthread_mutex_unlock(&s->lock);
    return manual || !strcmp(c->rec_state, "RECORDING");
}

int camera_fps(const struct camera *c)
{
    return c->dump ? c->dump->fps : c->fps;
}
