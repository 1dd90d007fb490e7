/*
 * media.h - the fixture clips and how they are cut into frames.
 *
 * Owns: the tables of video and audio kinds (file, codec, size, fourcc,
 * audio parameters), loading the fixture files from the media directory and
 * splitting them into frames at startup: H.264 Annex B on AUD NALs (key =
 * the access unit holds an IDR), MJPEG from SOI to EOI, AAC on the ADTS
 * frame-length field, G.711 in 160-byte chunks, G.726 (32 kbit/s) in 80-byte
 * chunks (both 20 ms).  Read-only after loading.
 */
#ifndef SIM_MEDIA_H
#define SIM_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum video_kind { VIDEO_H264_720P, VIDEO_H264_360P, VIDEO_MJPEG, VIDEO_KINDS };
enum audio_kind { AUDIO_NONE, AUDIO_AAC, AUDIO_G711, AUDIO_G726, AUDIO_KINDS };

/* How a fixture file is cut into frames. */
enum split_kind { SPLIT_ANNEXB, SPLIT_MJPEG, SPLIT_ADTS, SPLIT_G711, SPLIT_G726, SPLIT_WHOLE };

#define SNAPSHOT_FILES 4

struct video_info {
    const char *name;     /* config value: "h264_720p" */
    const char *file;     /* fixture file name */
    const char *fourcc;   /* default wire fourcc */
    const char *codec_setting; /* camera list "video_codec_setting" */
    uint32_t width, height;
    enum split_kind split;
};

struct audio_info {
    const char *name;     /* config value: "aac" */
    const char *file;
    const char *fourcc;
    uint32_t sample_rate;
    uint16_t bits, channels;  /* the frame header's bits: G.726, its code size */
    int interval_ms;      /* duration of one frame */
    enum split_kind split;
};

extern const struct video_info video_kinds[VIDEO_KINDS];
extern const struct audio_info audio_kinds[AUDIO_KINDS];

struct clip_frame {
    const uint8_t *data;  /* points into clip.bytes */
    uint32_t len;
    bool key;
    uint32_t crc;         /* CRC-32 of the payload */
};

struct clip {
    uint8_t *bytes;
    size_t size;
    struct clip_frame *frames;
    size_t n;
    uint64_t total_payload;
};

struct media {
    char dir[1024];
    struct clip video[VIDEO_KINDS];
    struct clip audio[AUDIO_KINDS];  /* audio[AUDIO_NONE] stays empty */
    struct clip snap[SNAPSHOT_FILES];/* whole JPEGs: frames[0] is the file */
};

/* Finds the media directory: explicit, $QVRSIM_MEDIA, next to the executable
 * (../tools/media, ../media, ./media), ./tools/media.  0 when found. */
int media_find_dir(const char *explicit_dir, char *out, size_t outlen);

/* Loads and splits every fixture; on error writes a message to err. */
int media_load(struct media *m, const char *dir, char *err, size_t errlen);
void media_free(struct media *m);

int video_kind_by_name(const char *name);
int audio_kind_by_name(const char *name);

#endif
