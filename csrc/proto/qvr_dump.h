/*
 * qvr_dump.h - the `.qvr` dump format: frames exactly as received.
 *
 * Owns: the on-disk layout shared by the client core (dump.c: writer and
 * reader) and the simulator (which can serve a dump as a camera's live
 * stream or archive).  Nothing else is shared.
 *
 * Layout (all integers little-endian):
 *
 *   file    := head record* [index trailer]
 *   head    := "QVRDUMP1" u32:meta_len meta[meta_len]          (meta: UTF-8 JSON object)
 *   record  := u8:type u8:flags u16:header_len u32:payload_len u64:timestamp_ms
 *              header[header_len] payload[payload_len]
 *              type 1: a source frame; header = its raw header as received
 *                      (56 bytes, or 64 with the audio extension), so
 *                      header + payload are the exact bytes of the wire.
 *              type 2: a JPEG record (qplay data_type=0); header = its
 *                      "name\n" "timestamp\n" "length\n" lines as received.
 *              flags bit 0: key frame.
 *   index   := "QVRINDEX" u32:count (u64:timestamp_ms u64:record_offset)[count]
 *              one entry per key frame (and per record when no key frames
 *              come), in file order
 *   trailer := u64:index_offset "QVRTAIL1"                      (the last 16 bytes)
 *
 * A writer that is killed leaves no index and no trailer: readers then scan
 * the records, stopping at the last complete one (the resume point).
 */
#ifndef QVR_DUMP_H
#define QVR_DUMP_H

#define QVR_DUMP_MAGIC       "QVRDUMP1"
#define QVR_DUMP_INDEX_MAGIC "QVRINDEX"
#define QVR_DUMP_TAIL_MAGIC  "QVRTAIL1"
#define QVR_DUMP_MAGIC_LEN   8
#define QVR_DUMP_RECORD_HEAD 16     /* type, flags, header_len, payload_len, timestamp */
#define QVR_DUMP_TRAILER     16
#define QVR_DUMP_META_MAX    (1u << 20)
#define QVR_DUMP_HEADER_MAX  1024u

enum qvr_dump_type { QVR_DUMP_SOURCE = 1, QVR_DUMP_JPEG = 2 };

#define QVR_DUMP_FLAG_KEY 0x1u

#endif
