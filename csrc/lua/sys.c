/*
 * sys.c - the process's clocks, sleeping and descriptor limit for Lua.
 *
 * Owns: core.now_ms, core.monotonic_ms, core.monotonic, core.sleep and core.fd_limit, and
 * raising the soft RLIMIT_NOFILE when the module loads.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core.h"

/* core.now_ms() -> milliseconds since 1970 UTC */
static int l_now_ms(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return 1;
}

/* core.monotonic_ms() -> milliseconds of a clock that never jumps (for
 * measuring elapsed time; its zero is arbitrary) */
static int l_monotonic_ms(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return 1;
}

/* core.monotonic() -> seconds of the same clock as a float, to the
 * nanosecond (benchmarks time runs shorter than a millisecond with it) */
static int l_monotonic(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* core.sleep(seconds) */
static int l_sleep(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    struct timespec ts;
    if (s <= 0)
        return 0;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 0;
}

/* Raises the soft RLIMIT_NOFILE towards the hard limit (at most 2^20):
 * each stream holds a connection, so a process with many of them needs
 * more than the usual soft limit of 1024.  Leaves it alone when not
 * allowed. */
void qvr_raise_fd_limit(void)
{
    struct rlimit rl;
    rlim_t want;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)1 << 20 ? (rlim_t)1 << 20
                                                                       : rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* core.fd_limit() -> soft, hard: the process's RLIMIT_NOFILE (-1: none) */
static int l_fd_limit(lua_State *L)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return luaL_error(L, "getrlimit: %s", strerror(errno));
    lua_pushinteger(L, rl.rlim_cur == RLIM_INFINITY ? -1 : (lua_Integer)rl.rlim_cur);
    lua_pushinteger(L, rl.rlim_max == RLIM_INFINITY ? -1 : (lua_Integer)rl.rlim_max);
    return 2;
}

void qvr_sys_register(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"now_ms", l_now_ms},
        {"monotonic_ms", l_monotonic_ms},
        {"monotonic", l_monotonic},
        {"sleep", l_sleep},
        {"fd_limit", l_fd_limit},
        {NULL, NULL}
    };
    luaL_setfuncs(L, funcs, 0);
}
