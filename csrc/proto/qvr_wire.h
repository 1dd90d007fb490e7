/*
 * qvr_wire.h - the QVR Pro media frame format (SDK 2017, section 4.1.2).
 *
 * Owns: the on-the-wire layout of a frame header, the fourcc tables and
 * little-endian helpers.  Shared by the client core (parser.c) and the
 * simulator (tools/sim), and nothing else: both sides include only this.
 */
#ifndef QVR_WIRE_H
#define QVR_WIRE_H

#include <stdint.h>
#include <string.h>

/* 56-byte little-endian frame header */
#define QVR_HDR_SIZE        56
#define QVR_OFF_FOURCC       0
#define QVR_OFF_FLAGS        4
#define QVR_OFF_WIDTH        8
#define QVR_OFF_HEIGHT      12
#define QVR_OFF_TIMESTAMP   16
#define QVR_OFF_OSD         24
#define QVR_OSD_LEN         24
#define QVR_OFF_RESERVED    48
#define QVR_OFF_SIZE        52
#define QVR_AUDIO_EXT_SIZE   8   /* sampling rate u32, bits u16, channels u16 */
#define QVR_FLAG_KEY        0x1u

enum qvr_media { QVR_MEDIA_UNKNOWN = 0, QVR_MEDIA_VIDEO, QVR_MEDIA_AUDIO };

enum qvr_codec {
    QVR_CODEC_UNKNOWN = 0,
    QVR_CODEC_H264, QVR_CODEC_MPEG4, QVR_CODEC_MJPEG, QVR_CODEC_JPEG,
    QVR_CODEC_G711, QVR_CODEC_G726, QVR_CODEC_AAC, QVR_CODEC_PCM,
    QVR_CODEC_G729
};

struct qvr_fourcc_info {
    char fourcc[5];
    enum qvr_media media;
    enum qvr_codec codec;
};

/* Every fourcc docs/PROTOCOL.md lists, with its media kind and codec. */
static const struct qvr_fourcc_info qvr_fourccs[] = {
    {"qIVG", QVR_MEDIA_VIDEO, QVR_CODEC_UNKNOWN},
    {"QIVG", QVR_MEDIA_VIDEO, QVR_CODEC_UNKNOWN},
    {"qMP4", QVR_MEDIA_VIDEO, QVR_CODEC_MPEG4},
    {"QMP4", QVR_MEDIA_VIDEO, QVR_CODEC_MPEG4},
    {"AVM4", QVR_MEDIA_VIDEO, QVR_CODEC_MPEG4},
    {"QV3K", QVR_MEDIA_VIDEO, QVR_CODEC_UNKNOWN},
    {"QV6K", QVR_MEDIA_VIDEO, QVR_CODEC_UNKNOWN},
    {"qV6K", QVR_MEDIA_VIDEO, QVR_CODEC_UNKNOWN},
    {"q264", QVR_MEDIA_VIDEO, QVR_CODEC_H264},
    {"Q264", QVR_MEDIA_VIDEO, QVR_CODEC_H264},
    {"qXPG", QVR_MEDIA_VIDEO, QVR_CODEC_MJPEG},
    {"QXPG", QVR_MEDIA_VIDEO, QVR_CODEC_MJPEG},
    {"G726", QVR_MEDIA_AUDIO, QVR_CODEC_G726},
    {"F726", QVR_MEDIA_AUDIO, QVR_CODEC_G726},
    {"Q726", QVR_MEDIA_AUDIO, QVR_CODEC_G726},
    {"G711", QVR_MEDIA_AUDIO, QVR_CODEC_G711},
    {"A711", QVR_MEDIA_AUDIO, QVR_CODEC_G711},
    {"PCM ", QVR_MEDIA_AUDIO, QVR_CODEC_PCM},
    {"FAAC", QVR_MEDIA_AUDIO, QVR_CODEC_AAC},
    {"0AAC", QVR_MEDIA_AUDIO, QVR_CODEC_AAC},
    {"QAAC", QVR_MEDIA_AUDIO, QVR_CODEC_AAC},
    {"F729", QVR_MEDIA_AUDIO, QVR_CODEC_G729},
};

#define QVR_N_FOURCCS (sizeof qvr_fourccs / sizeof qvr_fourccs[0])

/* The table entry for a 4-byte fourcc, or NULL when it is not one we know. */
static inline const struct qvr_fourcc_info *qvr_fourcc_lookup(const uint8_t *p)
{
    for (size_t i = 0; i < QVR_N_FOURCCS; i++)
        if (memcmp(p, qvr_fourccs[i].fourcc, 4) == 0)
            return &qvr_fourccs[i];
    return NULL;
}

static inline uint16_t qvr_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t qvr_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t qvr_le64(const uint8_t *p)
{
    return (uint64_t)qvr_le32(p) | ((uint64_t)qvr_le32(p + 4) << 32);
}

static inline void qvr_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void qvr_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void qvr_put_le64(uint8_t *p, uint64_t v)
{
    qvr_put_le32(p, (uint32_t)v);
    qvr_put_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
