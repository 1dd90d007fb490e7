/*
 * codec.c - what frame payloads tell (parameter sets, ADTS, MPEG-4 config,
 * JPEG picture size) and the date form of JPEG-mode timestamps (plain C);
 * see codec.h.
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

/* ---- JPEG picture size ------------------------------------------------- */

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)(p[0] << 8 | p[1]);
}

void qvr_jpeg_dims(const uint8_t *d, size_t n, uint32_t *w, uint32_t *h)
{
    size_t lim = n < QVR_JPEG_SCAN_MAX ? n : QVR_JPEG_SCAN_MAX, i = 2;
    *w = *h = 0;
    if (lim < 4 || d[0] != 0xff || d[1] != 0xd8)
        return;
    while (i + 4 <= lim && d[i] == 0xff) {
        uint8_t m = d[i + 1];
        if (m == 0xff || m == 0x01 || m == 0xd8 || (m >= 0xd0 && m <= 0xd7)) {
            i += m == 0xff ? 1 : 2;   /* fill byte or marker without length */
            continue;
        }
        if (m == 0xd9 || m == 0xda || be16(d + i + 2) < 2)
            return;
        if (m >= 0xc0 && m <= 0xc2) {
            if (i + 9 <= lim) {
                *h = be16(d + i + 5);
                *w = be16(d + i + 7);
            }
            return;
        }
        i += 2 + be16(d + i + 2);
    }
}

/* ---- dates --------------------------------------------------------------- */

/* n decimal digits at s into *v, within [lo, hi]. */
static int fixed_num(const uint8_t *s, size_t n, unsigned lo, unsigned hi, unsigned *v)
{
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)s[i] - '0';
        if (d > 9)
            return 0;
        acc = acc * 10 + d;
    }
    *v = acc;
    return acc >= lo && acc <= hi;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

int qvr_parse_datetime(const uint8_t *s, size_t n, uint64_t *ms)
{
    unsigned y, mo, d, h, mi, sec, frac = 0;
    if (n && s[n - 1] == 'Z')
        n--;
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
        s[13] != ':' || s[16] != ':')
        return 0;
    if (!fixed_num(s, 4, 1970, 9999, &y) || !fixed_num(s + 5, 2, 1, 12, &mo) ||
        !fixed_num(s + 11, 2, 0, 23, &h) || !fixed_num(s + 14, 2, 0, 59, &mi) ||
        !fixed_num(s + 17, 2, 0, 59, &sec) ||
        !fixed_num(s + 8, 2, 1, days_in_month(y, mo), &d))
        return 0;
    if (n > 19) {
        size_t k = n - 20;
        if (s[19] != '.' || k < 1 || k > 3 || !fixed_num(s + 20, k, 0, 999, &frac))
            return 0;
        for (; k < 3; k++)
            frac *= 10;
    }
    *ms = ((uint64_t)days_from_civil(y, mo, d) * 86400u + h * 3600u + mi * 60u + sec) *
              1000u + frac;
    return 1;
}
