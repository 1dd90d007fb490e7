/*
 * main.c - qvrsim: a QNAP QVR Pro NVR simulator speaking the 2017 SDK.
 *
 * Owns: the process lifecycle.  Builds the simulator context from the
 * options, config and media, starts the HTTP daemons (thread per
 * connection), prints the one startup line, waits for SIGTERM/SIGINT and
 * stops the daemons (streams notice `stopping` within 100 ms).
 */
#include "clip.h"
#include "config.h"
#include "dump.h"
#include "http.h"
#include "logs.h"
#include "rest.h"
#include "router.h"
#include "rtsp.h"
#include "sim.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct listener {
    struct MHD_Daemon *d;
    int port;
    uint8_t *cert, *key;      /* PEM text for TLS, or NULL */
};

static int apply_switch_options(struct sim *s)
{
    char err[160];
    bool expire = false;
    for (size_t i = 0; i < s->opt.nquirks; i++)
        if (quirk_apply(&s->sw, s->opt.quirks[i], err, sizeof err) != 0)
            goto bad;
    for (size_t i = 0; i < s->opt.nfaults; i++)
        if (fault_apply(&s->sw, s->opt.faults[i], &expire, err, sizeof err) != 0)
            goto bad;
    return 0;
bad:
    fprintf(stderr, "qvrsim: %s\n", err);
    return -1;
}

/* --extra-camera, --dump-camera, then every camera's dump. */
static int load_dumps(struct sim *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->opt.nextra_cameras; i++)
        if (config_extra_camera(&s->cfg, s->opt.extra_cameras[i], err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < s->opt.ndump_cameras; i++)
        if (config_dump_camera(&s->cfg, s->opt.dump_cameras[i], err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < s->cfg.ncameras; i++) {
        struct camera *c = &s->cfg.cameras[i];
        if (!c->dump_path)
            continue;
        if (!(c->dump = malloc(sizeof *c->dump))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (dump_load(c->dump, c->dump_path, err, errlen) != 0) {
            dump_free(c->dump);
            free(c->dump);
            c->dump = NULL;
            return -1;
        }
    }
    return 0;
}

static void free_dumps(struct sim *s)
{
    for (size_t i = 0; i < s->cfg.ncameras; i++)
        if (s->cfg.cameras[i].dump) {
            dump_free(s->cfg.cameras[i].dump);
            free(s->cfg.cameras[i].dump);
            s->cfg.cameras[i].dump = NULL;
        }
}

static int sim_init(struct sim *s)
{
    char err[512], dir[1024];
    if (config_load(&s->cfg, s->opt.config, err, sizeof err) != 0 ||
        load_dumps(s, err, sizeof err) != 0) {
        fprintf(stderr, "qvrsim: %s\n", err);
        return -1;
    }
    if (media_find_dir(s->opt.media, dir, sizeof dir) != 0) {
        fprintf(stderr, "qvrsim: media directory not found (tried %s); use --media or "
                        "QVRSIM_MEDIA\n", dir);
        return -1;
    }
    if (media_load(&s->media, dir, err, sizeof err) != 0) {
        fprintf(stderr, "qvrsim: %s\n", err);
        return -1;
    }
    s->t0_ms = now_ms();
    int64_t span = (int64_t)(s->opt.archive_hours * 3600000.0);
    s->archive_start_ms = (s->t0_ms - span) / 1000 * 1000;
    if (random_string(s->cuid, 32, "0123456789abcdef") != 0)
        return -1;
    s->manual_rec = calloc(s->cfg.ncameras, sizeof *s->manual_rec);
    s->live_by_user = calloc(s->cfg.nusers, sizeof *s->live_by_user);
    s->stats.logins_by_user = calloc(s->cfg.nusers, sizeof *s->stats.logins_by_user);
    if (!s->manual_rec || !s->live_by_user || !s->stats.logins_by_user)
        return -1;
    if (logs_init(s) != 0 || rest_init(s) != 0)
        return -1;
    if (s->opt.log && !(s->reqlog = fopen(s->opt.log, "a"))) {
        perror(s->opt.log);
        return -1;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0)
        return -1;
    s->lock_ready = true;
    return 0;
}

static void sim_free(struct sim *s)
{
    if (s->lock_ready)
        pthread_mutex_destroy(&s->lock);
    if (s->reqlog)
        fclose(s->reqlog);
    rest_free(s);
    qplay_free_all(s);
    logs_free(s);
    auth_free(s);
    free(s->manual_rec);
    free(s->live_by_user);
    free(s->stats.logins_by_user);
    media_free(&s->media);
    free_dumps(s);
    config_free(&s->cfg);
}

static int bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (!info || getsockname(info->listen_fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int start(struct sim *s, struct listener *l, int port, bool tls)
{
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    struct sockaddr *addr = (struct sockaddr *)&a4;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, s->opt.bind, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, s->opt.bind, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        addr = (struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "qvrsim: --bind wants an IPv4 or IPv6 address, got '%s'\n", s->opt.bind);
        return -1;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_POLL) == MHD_YES)
        flags |= MHD_USE_POLL;
    if (tls) {
        size_t n;
        if (read_file(s->opt.tls_cert, &l->cert, &n) || read_file(s->opt.tls_key, &l->key, &n)) {
            fprintf(stderr, "qvrsim: cannot read --tls-cert/--tls-key\n");
            return -1;
        }
        flags |= MHD_USE_TLS;
    }
    l->d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, router_handle, s,
        MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_URI_LOG_CALLBACK, http_req_new, s,
        MHD_OPTION_NOTIFY_COMPLETED, http_req_done, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, (const char *)l->key,
        MHD_OPTION_HTTPS_MEM_CERT, (const char *)l->cert,
        MHD_OPTION_END);
    if (!l->d) {
        fprintf(stderr, "qvrsim: cannot listen on %s port %d%s\n", s->opt.bind, port,
                tls ? " (TLS: check the certificate and key)" : "");
        return -1;
    }
    l->port = bound_port(l->d);
    return 0;
}

static void stop(struct listener *l)
{
    if (l->d)
        MHD_stop_daemon(l->d);
    free(l->cert);
    free(l->key);
    memset(l, 0, sizeof *l);
}

/* Blocks SIGINT/SIGTERM in every thread (they are taken by sigwait). */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int run(struct sim *s)
{
    sigset_t set;
    block_signals(&set);
    clip_init();
    struct listener main_l = {0}, logs_l = {0};
    if (start(s, &main_l, s->opt.port, s->opt.tls_cert != NULL) != 0 ||
        start(s, &logs_l, s->opt.logs_port, false) != 0) {
        stop(&main_l);
        return 1;
    }
    char err[256];
    if (rtsp_start(s, err, sizeof err) != 0) {
        fprintf(stderr, "qvrsim: %s\n", err);
        stop(&logs_l);
        stop(&main_l);
        return 1;
    }
    printf("listening port=%d logs_port=%d rtsp_port=%d pid=%ld\n", main_l.port, logs_l.port,
           s->rest.rtsp_port, (long)getpid());
    fflush(stdout);
    int sig;
    while (sigwait(&set, &sig) != 0)
        ;
    fprintf(stderr, "qvrsim: %s, stopping\n", strsignal(sig));
    atomic_store(&s->stopping, 1);
    stop(&logs_l);
    stop(&main_l);
    rtsp_stop(s);
    return 0;
}

/* --write-dump: the camera's frames in [from, to] into a dump. */
static int write_dump(struct sim *s)
{
    const struct options *o = &s->opt;
    const struct camera *c = config_camera_by_guid(&s->cfg, o->camera);
    for (size_t i = 0; !c && i < s->cfg.ncameras; i++)
        if (!strcmp(s->cfg.cameras[i].name, o->camera))
            c = &s->cfg.cameras[i];
    if (!c) {
        fprintf(stderr, "qvrsim: --camera %s: no camera of that name or guid\n", o->camera);
        return 2;
    }
    int64_t now = now_ms();
    struct dump_write_opts w = {
        .path = o->write_dump,
        .from = o->from <= 0 ? now + o->from : o->from,
        .to = o->to <= 0 ? now + o->to : o->to,
        .with_jpeg = o->with_jpeg,
        .with_index = !o->no_index,
    };
    char err[512];
    if (dump_write(s, c, &w, err, sizeof err) != 0) {
        fprintf(stderr, "qvrsim: %s\n", err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return 1;
    int rc = options_parse(&sim->opt, argc, argv);
    if (rc == 0) { /* a bad --quirk or --fault is a usage error too */
        switches_init(&sim->sw);
        if (apply_switch_options(sim) != 0)
            rc = -1;
    }
    if (rc != 0 || sim->opt.print_config) {
        if (rc == 0)
            fputs(default_config_json, stdout);
        free(sim);
        return rc < 0 ? 2 : 0;
    }
    if (sim_init(sim) != 0)
        rc = 1;
    else
        rc = sim->opt.write_dump ? write_dump(sim) : run(sim);
    sim_free(sim);
    free(sim);
    return rc;
}
