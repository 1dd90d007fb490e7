/*
 * config.h - users and cameras.
 *
 * Owns: the config JSON format, the built-in default config (the same text
 * as tools/sim/default.json), validation, and the immutable user and camera
 * records the handlers read.  Mutable camera state (manual recording) lives
 * in struct sim.
 */
#ifndef SIM_CONFIG_H
#define SIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dump;

struct user {
    char name[64];
    char password[128];
    bool admin;
    bool surveillance;    /* may use the camera, stream and playback APIs */
};

struct gap {
    int64_t from_ms;      /* offset from the archive start */
    int64_t len_ms;
};

enum cam_status { CAM_CONNECTED, CAM_DISCONNECTED, CAM_IDLE, CAM_UNSUPPORTED };

struct camera {
    int index;            /* channel_index */
    char name[64];
    char guid[33];
    char umsid[17];
    char brand[32];
    char model[32];
    char mac[18];
    char ver[48];
    char ip[48];
    char port[8];
    int video;            /* enum video_kind */
    int audio;            /* enum audio_kind */
    int fps;              /* divides 1000 */
    int64_t video_ms;     /* 1000 / fps */
    int64_t audio_ms;     /* frame duration, 0 without audio */
    char video_fourcc[5];
    char audio_fourcc[5];
    enum cam_status status;
    char rec_state[32];   /* configured state when manual recording is off */
    int snapshot;         /* snapN.jpg */
    bool ptz;             /* REST: PTZ actions work (docs/REST.md) */
    bool alarm_output;    /* REST: has an alarm output (docs/REST.md) */
    struct gap *gaps;
    size_t ngaps;
    char *dump_path;      /* "dump": frames come from this .qvr file, or NULL */
    struct dump *dump;    /* loaded at startup (main.c), owned by the simulator */
};

struct config {
    struct user *users;
    size_t nusers;
    struct camera *cameras;
    size_t ncameras;
};

extern const char default_config_json[];

/* Loads FILE, or the default config when path is NULL.  A camera's "dump"
 * path is taken relative to the config file's directory. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/* --dump-camera NAME=FILE: backs the camera named NAME by FILE, adding a
 * camera (guid and umsid derived from the name) when there is none. */
int config_dump_camera(struct config *c, const char *spec, char *err, size_t errlen);
void config_free(struct config *c);

/* --extra-camera NAME: appends the built-in camera NAME ("g726": Side Gate,
 * H.264 360p with G.726 audio); config_extra_known says whether NAME is one. */
bool config_extra_known(const char *name);
int config_extra_camera(struct config *c, const char *name, char *err, size_t errlen);

const struct camera *config_camera_by_guid(const struct config *c, const char *guid);
int config_user_by_name(const struct config *c, const char *name);

#endif
