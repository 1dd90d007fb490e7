/*
 * options.h - the command line of qvrsim.
 *
 * Owns: the option values, their defaults, parsing and the --help text.
 */
#ifndef SIM_OPTIONS_H
#define SIM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_SWITCH_ARGS 64

enum api_mode { API_BOTH, API_REST, API_CGI };   /* --api (docs/REST.md) */

struct options {
    int port;               /* 0: pick a free port */
    int rtsp_port;          /* --rtsp-port, 0: pick a free port */
    enum api_mode api;
    int api_version;        /* --api-version, 10301 = 1.3.1 (docs/REST.md) */
    int logs_port;
    const char *bind;       /* IPv4 or IPv6 literal */
    const char *config;     /* NULL: built-in default config */
    const char *media;      /* NULL: search (see media_find_dir) */
    bool no_pace;
    int sid_idle;           /* seconds */
    int lockout;            /* failed logins in a row; 0 disables */
    int lockout_time;       /* seconds */
    int max_qplay;          /* open qplay sessions per user */
    int max_live;           /* open live streams per user; 0: no limit */
    int qplay_idle;         /* seconds */
    double archive_hours;
    char prefix[128];       /* "/qvrpro" */
    const char *quirks[MAX_SWITCH_ARGS];
    size_t nquirks;
    const char *faults[MAX_SWITCH_ARGS];
    size_t nfaults;
    const char *tls_cert, *tls_key;
    const char *log;
    bool print_config;      /* --print-default-config */
    const char *dump_cameras[MAX_SWITCH_ARGS];  /* --dump-camera NAME=FILE */
    size_t ndump_cameras;
    const char *extra_cameras[MAX_SWITCH_ARGS]; /* --extra-camera NAME */
    size_t nextra_cameras;
    /* --write-dump FILE --camera NAME --from MS --to MS [--with-jpeg] [--no-index] */
    const char *write_dump;
    const char *camera;
    bool has_from, has_to;
    int64_t from, to;       /* as given: <= 0 means relative to now */
    bool with_jpeg, no_index;
};

/* 0: run; 1: exit 0 (help printed); -1: usage error (message printed). */
int options_parse(struct options *o, int argc, char **argv);

#endif
