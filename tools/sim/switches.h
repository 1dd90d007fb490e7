/*
 * switches.h - protocol quirks and injected faults.
 *
 * Owns: the switch set (what each quirk and fault means is documented in
 * tools/README.md), parsing "NAME[=VALUE]" (faults also "[:TARGET]"), the
 * JSON view /sim/control answers, and deciding whether a fault applies to a
 * request path.  A request works on its own copy taken when it starts.
 */
#ifndef SIM_SWITCHES_H
#define SIM_SWITCHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum code_format { CODE_SIGNED, CODE_UNSIGNED, CODE_HEX };
enum audio_layout { LAYOUT_EXT8, LAYOUT_EXT0, LAYOUT_SIZEINC };

struct fault {
    bool on;
    int64_t value;
    char target[64];    /* "" = every path */
};

struct switches {
    /* quirks */
    bool json_malformed;
    enum code_format code_format;
    bool success_string;
    bool logs_item;
    bool qplay_version_line;    /* on by default: "v1", as real servers answer */
    char qplay_version[48];
    bool qplay_doc_layout;      /* the 2017 document's layout: no version line */
    bool getstream_leading_line;
    char leading_line[48];
    enum audio_layout audio_layout;
    bool xml_mismatch;
    bool content_length;
    bool numbers_as_strings;
    bool snapshot_error_4xx;
    int snapshot_status;
    /* faults */
    struct fault drop_after, stall_after, chunks, http500, slow, garbage, bigsize, truncate;
    struct fault transcode_busy, ddos;
    /* playback get: at most N frames, cut after N body bytes, wait MS */
    struct fault get_frames, get_cut, get_wait;
};

void switches_init(struct switches *sw);
void switches_clear_quirks(struct switches *sw);
void switches_clear_faults(struct switches *sw);

/* Applies one quirk spec.  0 ok; -1 with a message in err. */
int quirk_apply(struct switches *sw, const char *spec, char *err, size_t errlen);

/* Applies one fault spec; *expire_sids is set for the one-shot fault. */
int fault_apply(struct switches *sw, const char *spec, bool *expire_sids, char *err,
                size_t errlen);

/* The fault is on and its target (if any) occurs in path. */
bool fault_hits(const struct fault *f, const char *path);

/* qplay text answers and get bodies start with the CGI version line. */
bool qplay_version_first(const struct switches *sw);

struct cJSON;
struct cJSON *switches_json(const struct switches *sw);

#endif
