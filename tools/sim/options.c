/*
 * options.c - parses qvrsim's command line and prints --help.
 */
#include "config.h"
#include "options.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
"Usage: qvrsim [OPTION]...\n"
"A QNAP QVR Pro NVR simulator speaking the QVR Pro SDK (2017) over HTTP.\n"
"\n"
"  --port N            HTTP (or HTTPS) port, default 8080; 0 picks a free port\n"
"  --logs-port N       second port serving /qvrpro/logs/logs (and the rest),\n"
"                      default 10150; 0 picks a free port\n"
"  --rtsp-port N       RTSP server for StreamingOutput's rtsp:// URLs, default\n"
"                      10273; 0 picks a free port\n"
"  --api MODE          both (default: SDK CGIs and the REST family), rest (no\n"
"                      camera_status/getliveimage/mrec CGIs) or cgi (an old NVR:\n"
"                      REST paths answer 404); see docs/REST.md\n"
"  --api-version X.Y.Z newest REST API version served (1.3.1); below 1.2.0\n"
"                      there is no image_ts and no start_time/end_time\n"
"  --bind ADDR         listen address, default 127.0.0.1 (IPv6 literal allowed)\n"
"  --config FILE.json  users and cameras (default: built in; see\n"
"                      --print-default-config and tools/sim/default.json)\n"
"  --media DIR         fixture directory (default: $QVRSIM_MEDIA, else the\n"
"                      tools/media directory found relative to the executable\n"
"                      or the working directory)\n"
"  --no-pace           send streams as fast as the socket takes them\n"
"  --sid-idle S        a sid expires after S seconds without use (600)\n"
"  --lockout N         failed logins in a row per address before lockout (5;\n"
"                      0 disables)\n"
"  --lockout-time S    lockout duration in seconds (60)\n"
"  --max-qplay N       open qplay sessions per user (4)\n"
"  --max-live N        open live streams per user (0: no limit, the default)\n"
"  --qplay-idle S      a qplay session without commands expires after S s (120)\n"
"  --archive-hours H   recordings start H hours before startup (24)\n"
"  --prefix /P         API prefix (/qvrpro)\n"
"  --quirk NAME[=V]    turn on a protocol quirk (repeatable):\n"
"                      json_malformed, code_format=signed|unsigned|hex,\n"
"                      success_string, logs_item, qplay_version_line[=TEXT]\n"
"                      (default on: v1), qplay_doc_layout,\n"
"                      getstream_leading_line[=TEXT], audio_layout=ext8|ext0|sizeinc,\n"
"                      xml_mismatch, content_length, numbers_as_strings,\n"
"                      snapshot_error_4xx[=STATUS]\n"
"  --fault NAME[=V][:TARGET]  inject a fault (repeatable); TARGET limits it to\n"
"                      paths containing TARGET: drop_after=N, stall_after=N,\n"
"                      chunks=random, expire_sids, http500, slow=MS, garbage,\n"
"                      bigsize, truncate=N, transcode_busy, ddos,\n"
"                      get_frames=N, get_cut=N, get_wait=MS (qplay get)\n"
"  --tls-cert PEM --tls-key PEM   serve HTTPS on --port\n"
"  --log FILE          one line per request (sids and passwords masked)\n"
"  --dump-camera NAME=FILE  the camera named NAME (added when the config has\n"
"                      none) plays the .qvr dump FILE live (in a loop) and\n"
"                      as its archive (repeatable; config key \"dump\")\n"
"  --extra-camera NAME  add a built-in camera the default config leaves out:\n"
"                      g726 (Side Gate: H.264 360p, G.726 32 kbit/s audio)\n"
"  --print-default-config  print the built-in config JSON and exit\n"
"  --write-dump FILE --camera NAME --from MS --to MS [--with-jpeg] [--no-index]\n"
"                      write the frames playback of camera NAME (name or guid)\n"
"                      gives for [MS, MS] as a .qvr dump and exit; MS <= 0 is\n"
"                      relative to now (--from -60000 --to 0: the last minute)\n"
"  --help              this text\n"
"\n"
"On startup prints exactly one line:\n"
"listening port=P logs_port=L rtsp_port=R pid=PID\n"
"SIGTERM or SIGINT stop it (exit status 0).  Debug endpoints (no auth):\n"
"/sim/frames?guid=G&from=MS&to=MS[&audio=0|1], /sim/stats,\n"
"/sim/control?quirk=..&fault=..&clear=1&expire_sids=1.  See tools/README.md.\n";

static void set_defaults(struct options *o)
{
    memset(o, 0, sizeof *o);
    o->port = 8080;
    o->logs_port = 10150;
    o->rtsp_port = 10273;
    o->api_version = 10301;
    o->bind = "127.0.0.1";
    o->sid_idle = 600;
    o->lockout = 5;
    o->lockout_time = 60;
    o->max_qplay = 4;
    o->qplay_idle = 120;
    o->archive_hours = 24;
    copy_str(o->prefix, sizeof o->prefix, "/qvrpro");
}

static int int_arg(const char *name, const char *v, int lo, int hi, int *out)
{
    int64_t x;
    if (!parse_i64(v, &x) || x < lo || x > hi) {
        fprintf(stderr, "qvrsim: %s wants an integer in %d..%d, got '%s'\n", name, lo, hi, v);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int set_prefix(struct options *o, const char *v)
{
    while (*v == '/')
        v++;
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == '/')
        n--;
    if (n == 0 || n + 2 > sizeof o->prefix || memchr(v, '?', n)) {
        fprintf(stderr, "qvrsim: bad --prefix\n");
        return -1;
    }
    snprintf(o->prefix, sizeof o->prefix, "/%.*s", (int)n, v);
    return 0;
}

static int add_switch(const char **list, size_t *n, const char *v)
{
    if (*n >= MAX_SWITCH_ARGS) {
        fprintf(stderr, "qvrsim: too many switches\n");
        return -1;
    }
    list[(*n)++] = v;
    return 0;
}

static int set_hours(struct options *o, const char *v)
{
    char *end;
    double h = strtod(v, &end);
    if (*end || !(h > 0) || h > 24 * 366) {
        fprintf(stderr, "qvrsim: --archive-hours wants a number in (0, 8784]\n");
        return -1;
    }
    o->archive_hours = h;
    return 0;
}

static int set_bind(struct options *o, const char *v)
{
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, v, addr) != 1 && inet_pton(AF_INET6, v, addr) != 1) {
        fprintf(stderr, "qvrsim: --bind wants an IPv4 or IPv6 address, got '%s'\n", v);
        return -1;
    }
    o->bind = v;
    return 0;
}

static int set_api(struct options *o, const char *v)
{
    static const char *const names[] = {"both", "rest", "cgi"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(v, names[i])) {
            o->api = (enum api_mode)i;
            return 0;
        }
    fprintf(stderr, "qvrsim: --api wants both, rest or cgi, got '%s'\n", v);
    return -1;
}

static int set_api_version(struct options *o, const char *v)
{
    int a, b, c, n = 0;
    if (sscanf(v, "%d.%d.%d%n", &a, &b, &c, &n) != 3 || v[n] || a != 1 || b < 0 || b > 3 ||
        c < 0 || c > 99) {
        fprintf(stderr, "qvrsim: --api-version wants 1.0.0 to 1.3.99, got '%s'\n", v);
        return -1;
    }
    o->api_version = a * 10000 + b * 100 + c;
    return 0;
}

static int time_arg(const char *name, const char *v, int64_t *out, bool *has)
{
    if (!parse_i64(v, out) || *out > ((int64_t)1 << 52) || *out < -((int64_t)1 << 52)) {
        fprintf(stderr, "qvrsim: %s wants milliseconds since 1970 (or <= 0: relative to "
                        "now), got '%s'\n", name, v);
        return -1;
    }
    *has = true;
    return 0;
}

static int add_dump_camera(struct options *o, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1] || eq - v > 63) {
        fprintf(stderr, "qvrsim: --dump-camera wants NAME=FILE (a name of 1..63 bytes), "
                        "got '%s'\n", v);
        return -1;
    }
    return add_switch(o->dump_cameras, &o->ndump_cameras, v);
}

static int add_extra_camera(struct options *o, const char *v)
{
    if (!config_extra_known(v)) {
        fprintf(stderr, "qvrsim: --extra-camera wants g726, got '%s'\n", v);
        return -1;
    }
    return add_switch(o->extra_cameras, &o->nextra_cameras, v);
}

/* One option with its value; returns 0 or -1. */
static int apply(struct options *o, const char *name, const char *v)
{
    if (!strcmp(name, "--port")) return int_arg(name, v, 0, 65535, &o->port);
    if (!strcmp(name, "--logs-port")) return int_arg(name, v, 0, 65535, &o->logs_port);
    if (!strcmp(name, "--rtsp-port")) return int_arg(name, v, 0, 65535, &o->rtsp_port);
    if (!strcmp(name, "--api")) return set_api(o, v);
    if (!strcmp(name, "--api-version")) return set_api_version(o, v);
    if (!strcmp(name, "--bind")) return set_bind(o, v);
    if (!strcmp(name, "--config")) { o->config = v; return 0; }
    if (!strcmp(name, "--media")) { o->media = v; return 0; }
    if (!strcmp(name, "--sid-idle")) return int_arg(name, v, 1, 86400 * 30, &o->sid_idle);
    if (!strcmp(name, "--lockout")) return int_arg(name, v, 0, 1000000, &o->lockout);
    if (!strcmp(name, "--lockout-time")) return int_arg(name, v, 1, 86400, &o->lockout_time);
    if (!strcmp(name, "--max-qplay")) return int_arg(name, v, 1, 10000, &o->max_qplay);
    if (!strcmp(name, "--max-live")) return int_arg(name, v, 0, 100000, &o->max_live);
    if (!strcmp(name, "--qplay-idle")) return int_arg(name, v, 1, 86400, &o->qplay_idle);
    if (!strcmp(name, "--archive-hours")) return set_hours(o, v);
    if (!strcmp(name, "--prefix")) return set_prefix(o, v);
    if (!strcmp(name, "--quirk")) return add_switch(o->quirks, &o->nquirks, v);
    if (!strcmp(name, "--fault")) return add_switch(o->faults, &o->nfaults, v);
    if (!strcmp(name, "--tls-cert")) { o->tls_cert = v; return 0; }
    if (!strcmp(name, "--tls-key")) { o->tls_key = v; return 0; }
    if (!strcmp(name, "--log")) { o->log = v; return 0; }
    if (!strcmp(name, "--dump-camera")) return add_dump_camera(o, v);
    if (!strcmp(name, "--extra-camera")) return add_extra_camera(o, v);
    if (!strcmp(name, "--write-dump")) { o->write_dump = v; return 0; }
    if (!strcmp(name, "--camera")) { o->camera = v; return 0; }
    if (!strcmp(name, "--from")) return time_arg(name, v, &o->from, &o->has_from);
    if (!strcmp(name, "--to")) return time_arg(name, v, &o->to, &o->has_to);
    fprintf(stderr, "qvrsim: unknown option %s (see --help)\n", name);
    return -1;
}

int options_parse(struct options *o, int argc, char **argv)
{
    set_defaults(o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 1;
        }
        if (!strcmp(a, "--no-pace")) {
            o->no_pace = true;
            continue;
        }
        if (!strcmp(a, "--print-default-config")) {
            o->print_config = true;
            continue;
        }
        if (!strcmp(a, "--with-jpeg") || !strcmp(a, "--no-index")) {
            *(a[2] == 'w' ? &o->with_jpeg : &o->no_index) = true;
            continue;
        }
        char name[64];
        const char *eq = strchr(a, '=');
        const char *v;
        if (eq && (size_t)(eq - a) < sizeof name) { /* --opt=value */
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            v = eq + 1;
        } else {
            copy_str(name, sizeof name, a);
            if (i + 1 >= argc) {
                fprintf(stderr, "qvrsim: %s needs a value (see --help)\n", a);
                return -1;
            }
            v = argv[++i];
        }
        if (apply(o, name, v) != 0)
            return -1;
    }
    if (!o->tls_cert != !o->tls_key) {
        fprintf(stderr, "qvrsim: --tls-cert and --tls-key go together\n");
        return -1;
    }
    if (o->write_dump && (!o->camera || !o->has_from || !o->has_to)) {
        fprintf(stderr, "qvrsim: --write-dump needs --camera, --from and --to\n");
        return -1;
    }
    if (!o->write_dump && (o->camera || o->has_from || o->has_to || o->with_jpeg ||
                           o->no_index)) {
        fprintf(stderr, "qvrsim: --camera, --from, --to, --with-jpeg and --no-index go with "
                        "--write-dump\n");
        return -1;
    }
    return 0;
}
