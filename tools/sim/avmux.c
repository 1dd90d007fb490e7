/*
 * avmux.c - a camera's video track and its audio muxed into memory (see
 * avmux.h).
 */
#include "avmux.h"
#include "clip_audio.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

int avmux_video(struct avmux *m, const uint8_t *data, size_t len, bool key, int64_t pts_ms,
                int64_t dur)
{
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return -1;
    pkt->data = (uint8_t *)data;
    pkt->size = (int)len;
    pkt->pts = pkt->dts = pts_ms;
    pkt->duration = dur;
    pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
    pkt->stream_index = m->st->index;
    av_packet_rescale_ts(pkt, (AVRational){1, 1000}, m->st->time_base);
    int rc = av_write_frame(m->oc, pkt);
    av_packet_free(&pkt);
    return rc < 0 ? -1 : 0;
}

int avmux_close(struct avmux *m, bool ok)
{
    int rc = ok && clip_audio_finish(m->audio) == 0 ? 0 : -1;
    clip_audio_free(m->audio);
    m->audio = NULL;
    if (m->header && av_write_trailer(m->oc) < 0)
        rc = -1;
    if (m->oc && m->oc->pb) {
        avio_flush(m->oc->pb);
        av_freep(&m->oc->pb->buffer);
        avio_context_free(&m->oc->pb);
    }
    avformat_free_context(m->oc);
    m->oc = NULL;
    return rc;
}
