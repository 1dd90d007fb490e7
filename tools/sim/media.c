/*
 * media.c - loads the fixture files and splits them into frames.
 */
#include "media.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct video_info video_kinds[VIDEO_KINDS] = {
    {"h264_720p", "h264_720p.h264", "q264", "H.264", 1280, 720, SPLIT_ANNEXB},
    {"h264_360p", "h264_360p.h264", "q264", "H.264", 640, 360, SPLIT_ANNEXB},
    {"mjpeg", "mjpeg_240p.mjpeg", "qXPG", "MJPEG", 320, 240, SPLIT_MJPEG},
};

const struct audio_info audio_kinds[AUDIO_KINDS] = {
    {"none", NULL, "", 0, 0, 0, 0, SPLIT_WHOLE},
    {"aac", "aac_16k.adts", "0AAC", 16000, 16, 1, 64, SPLIT_ADTS},
    {"g711", "g711_8k.ulaw", "G711", 8000, 16, 1, 20, SPLIT_G711},
    {"g726", "g726_8k.g726", "G726", 8000, 4, 1, 20, SPLIT_G726},
};

int video_kind_by_name(const char *name)
{
    for (int i = 0; i < VIDEO_KINDS; i++)
        if (strcmp(video_kinds[i].name, name) == 0)
            return i;
    return -1;
}

int audio_kind_by_name(const char *name)
{
    for (int i = 0; i < AUDIO_KINDS; i++)
        if (strcmp(audio_kinds[i].name, name) == 0)
            return i;
    return -1;
}

static bool is_media_dir(const char *dir)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, video_kinds[0].file);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool exe_relative(const char *rel, char *out, size_t outlen)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    snprintf(out, outlen, "%s/%s", exe, rel);
    return is_media_dir(out);
}

int media_find_dir(const char *explicit_dir, char *out, size_t outlen)
{
    if (explicit_dir) {
        copy_str(out, outlen, explicit_dir);
        return is_media_dir(out) ? 0 : -1;
    }
    const char *env = getenv("QVRSIM_MEDIA");
    if (env && *env) {
        copy_str(out, outlen, env);
        return is_media_dir(out) ? 0 : -1;
    }
    static const char *const rel[] = {"../tools/media", "../media", "media",
                                      "../../tools/media"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++)
        if (exe_relative(rel[i], out, outlen))
            return 0;
    copy_str(out, outlen, "tools/media");
    return is_media_dir(out) ? 0 : -1;
}

static int add_frame(struct clip *c, size_t *cap, size_t off, size_t len, bool key)
{
    if (len == 0 || len > UINT32_MAX)
        return 0;
    if (c->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct clip_frame *f = realloc(c->frames, ncap * sizeof *f);
        if (!f)
            return -1;
        c->frames = f;
        *cap = ncap;
    }
    struct clip_frame *f = &c->frames[c->n++];
    f->data = c->bytes + off;
    f->len = (uint32_t)len;
    f->key = key;
    f->crc = crc32_calc(f->data, len);
    c->total_payload += len;
    return 0;
}

/* Offset of the next start code (00 00 01) at or after i, or n. */
static size_t next_start_code(const uint8_t *p, size_t n, size_t i)
{
    for (; i + 3 <= n; i++)
        if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1)
            return i;
    return n;
}

/* Annex B: an access unit starts at each AUD (NAL type 9), including the
 * zero byte of a 4-byte start code; key = it holds an IDR slice (type 5). */
static int split_annexb(struct clip *c)
{
    size_t cap = 0, n = c->size, au_start = SIZE_MAX;
    const uint8_t *p = c->bytes;
    bool key = false;
    for (size_t sc = next_start_code(p, n, 0); sc < n;
         sc = next_start_code(p, n, sc + 3)) {
        if (sc + 3 >= n)
            break;
        int type = p[sc + 3] & 0x1F;
        if (type == 9) {
            size_t begin = (sc > 0 && p[sc - 1] == 0) ? sc - 1 : sc;
            if (au_start != SIZE_MAX && add_frame(c, &cap, au_start, begin - au_start, key) != 0)
                return -1;
            au_start = begin;
            key = false;
        } else if (type == 5) {
            key = true;
        }
    }
    if (au_start == SIZE_MAX)
        return -1;
    return add_frame(c, &cap, au_start, n - au_start, key);
}

/* End (exclusive) of the JPEG starting at off: walks the marker segments to
 * SOS, then the entropy-coded data to EOI.  0 when malformed. */
static size_t jpeg_end(const uint8_t *p, size_t n, size_t off)
{
    size_t i = off + 2;
    while (i + 2 <= n) {
        if (p[i] != 0xFF)
            return 0;
        uint8_t m = p[i + 1];
        if (m == 0xD9)
            return i + 2;
        if (m == 0xFF) {
            i++;
            continue;
        }
        if (i + 4 > n)
            return 0;
        size_t seglen = ((size_t)p[i + 2] << 8) | p[i + 3];
        i += 2 + seglen;
        if (m != 0xDA)
            continue;
        while (i + 1 < n) { /* entropy-coded data up to the next marker */
            if (p[i] == 0xFF && p[i + 1] != 0 && !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7))
                break;
            i++;
        }
    }
    return 0;
}

static int split_mjpeg(struct clip *c)
{
    size_t cap = 0, i = 0;
    while (i + 4 <= c->size) {
        if (c->bytes[i] != 0xFF || c->bytes[i + 1] != 0xD8)
            return -1;
        size_t end = jpeg_end(c->bytes, c->size, i);
        if (end == 0 || add_frame(c, &cap, i, end - i, true) != 0)
            return -1;
        i = end;
    }
    return c->n ? 0 : -1;
}

static int split_adts(struct clip *c)
{
    size_t cap = 0, i = 0;
    const uint8_t *p = c->bytes;
    while (i + 7 <= c->size) {
        if (p[i] != 0xFF || (p[i + 1] & 0xF0) != 0xF0)
            return -1;
        size_t len = ((size_t)(p[i + 3] & 3) << 11) | ((size_t)p[i + 4] << 3) | (p[i + 5] >> 5);
        if (len < 7 || i + len > c->size || add_frame(c, &cap, i, len, true) != 0)
            return -1;
        i += len;
    }
    return c->n ? 0 : -1;
}

static int split_fixed(struct clip *c, size_t chunk)
{
    size_t cap = 0;
    for (size_t i = 0; i + chunk <= c->size; i += chunk)
        if (add_frame(c, &cap, i, chunk, true) != 0)
            return -1;
    return c->n ? 0 : -1;
}

static int load_clip(struct clip *c, const char *dir, const char *file, enum split_kind split,
                     char *err, size_t errlen)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (read_file(path, &c->bytes, &c->size) != 0) {
        snprintf(err, errlen, "cannot read %s", path);
        return -1;
    }
    size_t cap = 0;
    int rc;
    switch (split) {
    case SPLIT_ANNEXB: rc = split_annexb(c); break;
    case SPLIT_MJPEG: rc = split_mjpeg(c); break;
    case SPLIT_ADTS: rc = split_adts(c); break;
    case SPLIT_G711: rc = split_fixed(c, 160); break;
    case SPLIT_G726: rc = split_fixed(c, 80); break;
    default: rc = add_frame(c, &cap, 0, c->size, true); break;
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot split %s into frames", path);
    return rc;
}

int media_load(struct media *m, const char *dir, char *err, size_t errlen)
{
    copy_str(m->dir, sizeof m->dir, dir);
    for (int i = 0; i < VIDEO_KINDS; i++)
        if (load_clip(&m->video[i], dir, video_kinds[i].file, video_kinds[i].split, err, errlen))
            return -1;
    for (int i = 1; i < AUDIO_KINDS; i++)
        if (load_clip(&m->audio[i], dir, audio_kinds[i].file, audio_kinds[i].split, err, errlen))
            return -1;
    for (int i = 0; i < SNAPSHOT_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "snap%d.jpg", i);
        if (load_clip(&m->snap[i], dir, name, SPLIT_WHOLE, err, errlen))
            return -1;
    }
    return 0;
}

static void clip_free(struct clip *c)
{
    free(c->bytes);
    free(c->frames);
    memset(c, 0, sizeof *c);
}

void media_free(struct media *m)
{
    for (int i = 0; i < VIDEO_KINDS; i++)
        clip_free(&m->video[i]);
    for (int i = 0; i < AUDIO_KINDS; i++)
        clip_free(&m->audio[i]);
    for (int i = 0; i < SNAPSHOT_FILES; i++)
        clip_free(&m->snap[i]);
}
