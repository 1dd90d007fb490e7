/*
 * fs.c - the file-system steps the automation needs (binding).
 *
 * Owns: creating folders (`mkdir -p`), writing a file atomically (temporary
 * name, fsync, rename, fsync of the folder) so a failure never leaves a
 * short file under the final name, fsync of an existing file, cutting a
 * file back to a size (an export resumed from its index journal), and an
 * exclusive advisory lock on a file (flock(2)) that processes of one user
 * share for small state files (the login back-off).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

static int push_os_error(lua_State *L, const char *what, const char *path)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s %s: %s", what, path, strerror(errno));
    lua_pushnil(L);
    qvr_push_error(L, "IO_ERROR", -1, msg, 0);
    return 2;
}

static int mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return mkdir(path, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* core.mkdir_p(path) -> true | nil, err */
static int l_mkdir_p(lua_State *L)
{
    size_t n;
    const char *path = luaL_checklstring(L, 1, &n);
    char *copy = malloc(n + 1);
    int rc;
    if (!copy)
        return luaL_error(L, "out of memory");
    memcpy(copy, path, n + 1);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    rc = mkdir_p(copy);
    free(copy);
    if (rc != 0)
        return push_os_error(L, "cannot create folder", path);
    lua_pushboolean(L, 1);
    return 1;
}

static void sync_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    int fd;
    if (n == 0) {
        dir[0] = slash ? '/' : '.';
        n = 1;
    } else {
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
    }
    dir[n] = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* core.write_atomic(path, bytes [, mode]) -> path | nil, err
 * Writes path..".tmp-<pid>" (created with mode, default 0666 less the umask;
 * 0600 for secrets is never wider, not even for a moment), fsyncs it,
 * renames it over path, fsyncs the folder. */
static int l_write_atomic(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *bytes = luaL_checklstring(L, 2, &n);
    lua_Integer mode = luaL_optinteger(L, 3, 0666);
    char tmp[4200];
    int fd;
    luaL_argcheck(L, mode >= 0 && mode <= 07777, 3, "bad file mode");
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return luaL_argerror(L, 1, "path too long");
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd >= 0 && mode != 0666 && fchmod(fd, (mode_t)mode) != 0) {   /* an old tmp file */
        close(fd);
        unlink(tmp);
        fd = -1;
    }
    if (fd < 0)
        return push_os_error(L, "cannot create", tmp);
    if (write_all(fd, bytes, n) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return push_os_error(L, "cannot write", tmp);
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return push_os_error(L, "cannot rename onto", path);
    }
    sync_parent(path);
    lua_pushstring(L, path);
    return 1;
}

/* core.fsync(path) -> true | nil, err */
static int l_fsync(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        return push_os_error(L, "cannot sync", path);
    }
    close(fd);
    lua_pushboolean(L, 1);
    return 1;
}

/* core.truncate(path, size) -> true | nil, err: cuts an existing file to
 * size bytes (never makes it longer: a shorter file is an error) */
static int l_truncate(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer size = luaL_checkinteger(L, 2);
    struct stat sb;
    luaL_argcheck(L, size >= 0, 2, "size must not be negative");
    if (stat(path, &sb) != 0)
        return push_os_error(L, "cannot cut", path);
    if (sb.st_size < size) {
        char msg[512];
        snprintf(msg, sizeof msg, "cannot cut %s to %lld bytes: it holds %lld", path,
                 (long long)size, (long long)sb.st_size);
        lua_pushnil(L);
        qvr_push_error(L, "IO_ERROR", -1, msg, 0);
        return 2;
    }
    if (truncate(path, (off_t)size) != 0)
        return push_os_error(L, "cannot cut", path);
    lua_pushboolean(L, 1);
    return 1;
}

/* core.isatty(fd) -> boolean (for the CLI's progress bar) */
static int l_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

/* --- file locks ----------------------------------------------------------- */

#define QVR_LOCK_MT "qvrpro.FileLock"

static int lock_release(lua_State *L)
{
    int *fd = luaL_checkudata(L, 1, QVR_LOCK_MT);
    if (*fd >= 0) {
        flock(*fd, LOCK_UN);
        close(*fd);
        *fd = -1;
    }
    return 0;
}

/* core.lock_file(path) -> FileLock | nil, err: waits for an exclusive
 * flock(2) on path (created 0600 when absent); lock:unlock() (also <close>
 * and the collector) releases it. */
static int l_lock_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int *ud = lua_newuserdatauv(L, sizeof *ud, 0);
    *ud = -1;
    if (luaL_newmetatable(L, QVR_LOCK_MT)) {
        static const luaL_Reg m[] = {
            {"unlock", lock_release}, {"__close", lock_release}, {"__gc", lock_release},
            {NULL, NULL}
        };
        luaL_setfuncs(L, m, 0);
        lua_pushvalue(L, -1);
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return push_os_error(L, "cannot open lock file", path);
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            errno = e;
            return push_os_error(L, "cannot lock", path);
        }
    }
    *ud = fd;
    return 1;
}

void qvr_fs_register(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"mkdir_p", l_mkdir_p},
        {"write_atomic", l_write_atomic},
        {"fsync", l_fsync},
        {"truncate", l_truncate},
        {"isatty", l_isatty},
        {"lock_file", l_lock_file},
        {NULL, NULL}
    };
    luaL_setfuncs(L, funcs, 0);
}
