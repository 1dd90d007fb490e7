/*
 * proc.c - child processes for the scheduler (binding).
 *
 * Owns: starting a program as a child (fork and exec: no Lua code runs in
 * the child before exec, only async-signal-safe calls) in a process group
 * of its own, killed when its parent dies (PR_SET_PDEATHSIG), with stdin from
 * /dev/null, stdout and stderr into one pipe and fd 3 into a second pipe,
 * every other descriptor closed; reading those pipes without blocking;
 * reaping the child without blocking; signalling its process group.  What
 * the scheduler does with a child (timeouts, logs, the record job's stop
 * step) is the Lua layer's policy, lua/qvrpro/schedule/runner.lua.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

#define QVR_PROC_MT "qvrpro.Proc"
#define MAX_ARGS 64
#define MAX_ENV 64

extern char **environ;

struct proc {
    pid_t pid;
    int out;     /* read end of the child's stdout+stderr, -1 when closed */
    int msg;     /* read end of the child's fd 3, -1 when closed */
    int reaped;  /* waitpid has answered */
    int status;  /* its status */
};

static struct proc *check_proc(lua_State *L)
{
    return luaL_checkudata(L, 1, QVR_PROC_MT);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* argv or env strings of a Lua array into `out` (NULL-terminated) */
static int collect_strings(lua_State *L, int idx, const char **out, int max, const char *what)
{
    int n = (int)luaL_len(L, idx);
    if (n > max)
        return luaL_error(L, "spawn: too many %s (at most %d)", what, max);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "spawn: %s[%d] must be a string", what, i);
        out[i - 1] = lua_tostring(L, -1);
        lua_pop(L, 1); /* the string stays referenced by the table */
    }
    out[n] = NULL;
    return n;
}

/* environ, with the "NAME=value" entries of `extra` replacing or adding */
static char **merged_env(const char **extra, int n_extra)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + (size_t)n_extra + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int replaced = 0;
        for (int j = 0; j < n_extra && !replaced; j++) {
            const char *eq = strchr(extra[j], '=');
            size_t len = eq ? (size_t)(eq - extra[j]) + 1 : strlen(extra[j]);
            replaced = strncmp(environ[i], extra[j], len) == 0;
        }
        if (!replaced)
            env[k++] = environ[i];
    }
    for (int j = 0; j < n_extra; j++)
        env[k++] = (char *)extra[j];
    env[k] = NULL;
    return env;
}

/* In the child between fork and exec: only async-signal-safe calls.  Dies
 * with its parent (PR_SET_PDEATHSIG), so a killed scheduler never leaves a
 * job running that the next one would start again. */
static void child_exec(const char *const *argv, char *const *env, int out_w, int msg_w, int err_w,
                       pid_t parent, long max_fd)
{
    sigset_t none;
    int null_fd;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGPIPE, &dfl, NULL);
    sigaction(SIGHUP, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
    /* first out of the way of 0..4, so no dup2 below overwrites a source */
    out_w = fcntl(out_w, F_DUPFD, 10);
    msg_w = fcntl(msg_w, F_DUPFD, 10);
    err_w = fcntl(err_w, F_DUPFD, 10);
    null_fd = open("/dev/null", O_RDONLY);
    if (out_w < 0 || msg_w < 0 || err_w < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 ||
        dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0 || dup2(msg_w, 3) < 0 || dup2(err_w, 4) < 0)
        goto fail;
    fcntl(4, F_SETFD, FD_CLOEXEC); /* the exec-error pipe: closed by a successful exec */
    if (syscall(SYS_close_range, 5, ~0U, 0) != 0) /* before Linux 5.9: one by one */
        for (long fd = 5; fd < max_fd; fd++)
            close((int)fd);
    execve(argv[0], (char *const *)argv, env);
fail:
    {
        int e = errno;
        ssize_t w = write(4, &e, sizeof e);
        (void)w;
    }
    _exit(127);
}

static int spawn_error(lua_State *L, const char *path, int err)
{
    char msg[512];
    snprintf(msg, sizeof msg, "cannot start %s: %s", path, strerror(err));
    lua_pushnil(L);
    qvr_push_error(L, "IO_ERROR", -1, msg, 0);
    return 2;
}

/* core.spawn(argv [, env]) -> Proc | nil, err: argv[1] is the program's
 * path; env: "NAME=value" strings over this process's environment. */
static int l_spawn(lua_State *L)
{
    const char *argv[MAX_ARGS + 1], *extra[MAX_ENV + 1];
    int n_extra = 0, out[2], msg[2], rc;
    luaL_checktype(L, 1, LUA_TTABLE);
    if (collect_strings(L, 1, argv, MAX_ARGS, "argv") < 1)
        return luaL_argerror(L, 1, "argv is empty");
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        n_extra = collect_strings(L, 2, extra, MAX_ENV, "env");
    }
    struct proc *p = lua_newuserdatauv(L, sizeof *p, 0);
    p->pid = -1, p->out = -1, p->msg = -1, p->reaped = 1, p->status = 0;
    luaL_setmetatable(L, QVR_PROC_MT);
    if (pipe2(out, O_CLOEXEC) != 0)
        return spawn_error(L, argv[0], errno);
    if (pipe2(msg, O_CLOEXEC) != 0) {
        rc = errno;
        close(out[0]), close(out[1]);
        return spawn_error(L, argv[0], rc);
    }
    p->out = out[0], p->msg = msg[0];
    char **env = merged_env(extra, n_extra);
    int err_pipe[2];
    if (!env || pipe2(err_pipe, O_CLOEXEC) != 0) {
        rc = env ? errno : ENOMEM;
        free(env);
        close(out[1]), close(msg[1]), close_fd(&p->out), close_fd(&p->msg);
        return spawn_error(L, argv[0], rc);
    }
    pid_t parent = getpid();
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536)
        max_fd = 65536;
    p->pid = fork();
    if (p->pid == 0)
        child_exec(argv, env, out[1], msg[1], err_pipe[1], parent, max_fd);
    rc = p->pid < 0 ? errno : 0;
    free(env);
    close(out[1]), close(msg[1]), close(err_pipe[1]);
    if (rc == 0) { /* exec failed: the child wrote its errno; succeeded: EOF */
        int e = 0;
        ssize_t n;
        while ((n = read(err_pipe[0], &e, sizeof e)) < 0 && errno == EINTR)
            ;
        if (n == (ssize_t)sizeof e) {
            while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                ;
            rc = e;
        }
    }
    close(err_pipe[0]);
    if (rc != 0) {
        close_fd(&p->out), close_fd(&p->msg);
        p->pid = -1;
        return spawn_error(L, argv[0], rc);
    }
    p->reaped = 0;
    fcntl(p->out, F_SETFL, O_NONBLOCK);
    fcntl(p->msg, F_SETFL, O_NONBLOCK);
    return 1;
}

/* p:read("out" | "msg") -> what is there now ("" when nothing), nil at EOF */
static int p_read(lua_State *L)
{
    static const char *const names[] = {"out", "msg", NULL};
    struct proc *p = check_proc(L);
    int *fd = luaL_checkoption(L, 2, "out", names) ? &p->msg : &p->out;
    luaL_Buffer b;
    if (*fd < 0) {
        lua_pushnil(L);
        return 1;
    }
    luaL_buffinit(L, &b);
    for (int i = 0; i < 16; i++) { /* at most 64 KiB a call: the caller comes back */
        char *buf = luaL_prepbuffsize(&b, 4096);
        ssize_t n = read(*fd, buf, 4096);
        if (n > 0) {
            luaL_addsize(&b, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            close_fd(fd);
            if (luaL_bufflen(&b) == 0) {
                lua_pushnil(L);
                return 1;
            }
        }
        break;
    }
    luaL_pushresult(&b);
    return 1;
}

static int push_status(lua_State *L, int status)
{
    if (WIFSIGNALED(status)) {
        lua_pushliteral(L, "signal");
        lua_pushinteger(L, WTERMSIG(status));
    } else {
        lua_pushliteral(L, "exit");
        lua_pushinteger(L, WEXITSTATUS(status));
    }
    return 2;
}

/* p:wait() -> nil while it runs; "exit", code | "signal", signo once ended */
static int p_wait(lua_State *L)
{
    struct proc *p = check_proc(L);
    if (!p->reaped) {
        pid_t r;
        while ((r = waitpid(p->pid, &p->status, WNOHANG)) < 0 && errno == EINTR)
            ;
        if (r == 0) {
            lua_pushnil(L);
            return 1;
        }
        if (r < 0) /* not our child any more (reaped elsewhere): treat as ended */
            p->status = 0;
        p->reaped = 1;
    }
    if (p->pid < 0) {
        lua_pushnil(L);
        return 1;
    }
    return push_status(L, p->status);
}

/* p:kill(signo) -> true | nil, err: signals the child's process group (what
 * it started too); once the child is reaped, what is left of its group */
static int p_kill(lua_State *L)
{
    struct proc *p = check_proc(L);
    int sig = (int)luaL_checkinteger(L, 2);
    int rc = p->pid > 0 ? kill(-p->pid, sig) : -1;
    if (rc != 0 && p->pid > 0 && !p->reaped)
        rc = kill(p->pid, sig);
    if (rc != 0) {
        lua_pushnil(L);
        lua_pushstring(L, p->pid > 0 ? strerror(errno) : "no process");
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int p_pid(lua_State *L)
{
    lua_pushinteger(L, check_proc(L)->pid);
    return 1;
}

/* p:close(): closes the pipes (the child is not signalled) */
static int p_close(lua_State *L)
{
    struct proc *p = check_proc(L);
    close_fd(&p->out);
    close_fd(&p->msg);
    return 0;
}

static int p_gc(lua_State *L)
{
    struct proc *p = check_proc(L);
    p_close(L);
    if (!p->reaped && waitpid(p->pid, &p->status, WNOHANG) > 0)
        p->reaped = 1;
    return 0;
}

/* core.exe_path() -> the running program's path (/proc/self/exe) | nil, err */
static int l_exe_path(lua_State *L)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0) {
        lua_pushnil(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_pushlstring(L, buf, (size_t)n);
    return 1;
}

void qvr_proc_register(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", p_gc}, {"__close", p_gc}, {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"read", p_read}, {"wait", p_wait}, {"kill", p_kill},
        {"pid", p_pid},   {"close", p_close}, {NULL, NULL}
    };
    static const luaL_Reg funcs[] = {
        {"spawn", l_spawn}, {"exe_path", l_exe_path}, {NULL, NULL}
    };
    qvr_new_type(L, QVR_PROC_MT, meta, methods);
    luaL_getmetatable(L, QVR_PROC_MT); /* p:method(): __index is the methods table */
    lua_getfield(L, -1, "__methods");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    lua_pushinteger(L, SIGTERM);
    lua_setfield(L, -2, "SIGTERM");
    lua_pushinteger(L, SIGKILL);
    lua_setfield(L, -2, "SIGKILL");
}
