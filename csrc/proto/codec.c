/*
 * codec.c - codec parameters read from frame payloads (plain C); see codec.h.
 */
#include <string.h>

#include "codec.h"

#define NAL_SPS 7
#define NAL_PPS 8

/* Offset of the next 00 00 01 at or after i, or n. */
static size_t next_start(const uint8_t *d, size_t n, size_t i)
{
    for (; i + 3 <= n; i++)
        if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
            return i;
    return n;
}

size_t qvr_h264_parameter_sets(const uint8_t *d, size_t n, uint8_t *out, size_t cap)
{
    size_t i = next_start(d, n, 0), len = 0;
    int sps = 0, pps = 0;
    while (i < n) {
        size_t nal = i + 3, end = next_start(d, n, nal), e = end;
        unsigned type;
        if (nal >= n)
            break;
        while (e > nal && d[e - 1] == 0)   /* trailing zeros: the next 4-byte start code */
            e--;
        type = d[nal] & 0x1f;
        if (type >= 1 && type <= 5)        /* the first slice: parameter sets come before */
            break;
        if (type == NAL_SPS || type == NAL_PPS) {
            if (len + 4 + (e - nal) > cap)
                return 0;
            memcpy(out + len, "\0\0\0\1", 4);
            memcpy(out + len + 4, d + nal, e - nal);
            len += 4 + (e - nal);
            sps |= type == NAL_SPS;
            pps |= type == NAL_PPS;
        }
        i = end;
    }
    return sps && pps ? len : 0;
}

int qvr_adts_parse(const uint8_t *d, size_t n, struct qvr_adts *a)
{
    static const unsigned rates[16] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000, 7350, 0, 0, 0};
    if (n < 7 || d[0] != 0xff || (d[1] & 0xf6) != 0xf0)
        return -1;
    a->header_len = (d[1] & 1) ? 7 : 9;
    a->object_type = (unsigned)(d[2] >> 6) + 1;
    a->freq_index = (d[2] >> 2) & 0xf;
    a->sample_rate = rates[a->freq_index];
    a->channels = (unsigned)((d[2] & 1) << 2) | (d[3] >> 6);
    a->frame_len = (unsigned)((d[3] & 3) << 11) | (unsigned)(d[4] << 3) | (d[5] >> 5);
    a->blocks = (unsigned)(d[6] & 3) + 1;
    if (a->frame_len < a->header_len || n < a->header_len)
        return -1;
    return 0;
}

void qvr_aac_config(const struct qvr_adts *a, uint8_t asc[2])
{
    asc[0] = (uint8_t)((a->object_type << 3) | (a->freq_index >> 1));
    asc[1] = (uint8_t)(((a->freq_index & 1) << 7) | (a->channels << 3));
}

size_t qvr_mpeg4_config(const uint8_t *d, size_t n)
{
    size_t i = 0;
    while ((i = next_start(d, n, i)) < n) {
        if (i + 3 < n && d[i + 3] == 0xb6)
            return i;
        i += 3;
    }
    return 0;
}
