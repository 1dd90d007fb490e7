/*
 * fs.c - the file-system steps the automation needs (binding).
 *
 * Owns: creating folders (`mkdir -p`), writing a file atomically (temporary
 * name, fsync, rename, fsync of the folder) so a failure never leaves a
 * short file under the final name, fsync of an existing file, cutting a
 * file back to a size (an export resumed from its index journal), an
 * exclusive advisory lock on a file (flock(2)) that processes of one user
 * share for small state files (the login back-off), and lock files placed
 * with link(2) (the scheduler's per-job locks: a file whose content names
 * its holder, taken atomically and safely on NFS; whether a holder is alive
 * is the Lua layer's policy, lua/qvrpro/schedule/store.lua).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

int qvr_writev_all(int fd, struct iovec *v, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, v, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        while (n > 0 && (size_t)w >= v->iov_len) {
            w -= (ssize_t)v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (uint8_t *)v->iov_base + w;
            v->iov_len -= (size_t)w;
        }
    }
    return 0;
}

int qvr_write_all(int fd, const void *p, size_t len)
{
    struct iovec v = {(void *)p, len};
    return qvr_writev_all(fd, &v, 1);
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
    if (qvr_write_all(fd, bytes, n) != 0 || fsync(fd) != 0) {
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

/* --- lock files placed with link(2) ------------------------------------- */

#define LINK_LOCK_MAX 4096   /* the most of a lock file's content read back */

/* nil, an IO_ERROR Error ("<what> <path>: <strerror>"), errno; returns 3. */
static int push_errno(lua_State *L, const char *what, const char *path, int e)
{
    errno = e;
    push_os_error(L, what, path);
    lua_pushinteger(L, e);
    return 3;
}

/* Reads up to LINK_LOCK_MAX bytes of path into buf: the length, or -1 with
 * errno (ENOENT: there is no such lock). */
static ssize_t read_small(const char *path, char *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    if (fd < 0)
        return -1;
    while (n < LINK_LOCK_MAX) {
        ssize_t k = read(fd, buf + n, LINK_LOCK_MAX - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    return (ssize_t)n;
}

/* A name beside path for a temporary file: path..suffix.."XXXXXX" (for
 * mkstemp), or NULL when it does not fit. */
static char *beside(const char *path, const char *suffix, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s%sXXXXXX", path, suffix);
    return n > 0 && (size_t)n < cap ? buf : NULL;
}

/* core.link_lock(path, content) -> true | false, holder | nil, err, errno
 * Creates a new file beside path (O_CREAT|O_EXCL, by mkstemp) holding
 * content and hard-links it to path: link(2) is atomic and never replaces
 * an existing file, on NFS too, where a lost reply is told from a refusal
 * by the temporary file's link count.  true: this call placed the lock.
 * false, holder: path exists; holder is its content (nil when it vanished
 * meanwhile: try again).  nil, err, errno: the folder is missing, not
 * writable, ... (the temporary file is removed in every case). */
static int l_link_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *content = luaL_checklstring(L, 2, &n);
    char tmp[4200], held[LINK_LOCK_MAX];
    struct stat sb;
    int fd, rc, e;
    ssize_t k;
    if (!beside(path, ".lock-", tmp, sizeof tmp))
        return luaL_argerror(L, 1, "path too long");
    fd = mkstemp(tmp);
    if (fd < 0)
        return push_errno(L, "cannot create a lock file beside", path, errno);
    if (fchmod(fd, 0644) != 0 || qvr_write_all(fd, content, n) != 0) {
        e = errno;
        close(fd);
        unlink(tmp);
        return push_errno(L, "cannot write the lock file", tmp, e);
    }
    rc = link(tmp, path);
    e = errno;
    if (rc != 0 && fstat(fd, &sb) == 0 && sb.st_nlink == 2)
        rc = 0;                              /* NFS: the link was made, its reply lost */
    close(fd);
    unlink(tmp);
    if (rc == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    if (e != EEXIST)
        return push_errno(L, "cannot place the lock file", path, e);
    lua_pushboolean(L, 0);
    k = read_small(path, held);
    if (k < 0 && errno != ENOENT)
        return push_errno(L, "cannot read the lock file", path, errno);
    if (k < 0)
        return 1;
    lua_pushlstring(L, held, (size_t)k);
    return 2;
}

/* Whether the file at path holds exactly content (n bytes): 1, 0, or -1
 * with errno. */
static int holds(const char *path, const char *content, size_t n)
{
    char buf[LINK_LOCK_MAX];
    ssize_t k = read_small(path, buf);
    if (k < 0)
        return -1;
    return (size_t)k == n && memcmp(buf, content, n) == 0;
}

/* core.break_lock(path, content) -> true | false | nil, err, errno
 * Removes the lock file path only if it still holds content (a stale lock
 * the caller judged dead): it is renamed aside first, so a lock another
 * process placed meanwhile is never removed; when what was moved aside is
 * not content, it is linked back.  true: removed; false: absent, or it
 * holds something else now (left, or put back, in place). */
static int l_break_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *content = luaL_checklstring(L, 2, &n);
    char aside[4200];
    int fd, same;
    if (!beside(path, ".stale-", aside, sizeof aside))
        return luaL_argerror(L, 1, "path too long");
    fd = mkstemp(aside);                     /* a unique name; rename replaces it */
    if (fd < 0)
        return push_errno(L, "cannot create a file beside", path, errno);
    close(fd);
    if (rename(path, aside) != 0) {
        int e = errno;
        unlink(aside);
        if (e == ENOENT) {
            lua_pushboolean(L, 0);
            return 1;
        }
        return push_errno(L, "cannot move the stale lock file", path, e);
    }
    same = holds(aside, content, n);
    if (same != 1)
        (void)link(aside, path);             /* not the one judged stale: put it back */
    unlink(aside);
    lua_pushboolean(L, same == 1);
    return 1;
}

/* core.unlink_lock(path, content) -> true | false | nil, err, errno
 * Removes the lock file path when it holds content (this holder's):
 * true; false when it is absent or another holder's (left in place). */
static int l_unlink_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *content = luaL_checklstring(L, 2, &n);
    int same = holds(path, content, n);
    if (same < 0 && errno != ENOENT)
        return push_errno(L, "cannot read the lock file", path, errno);
    if (same == 1 && unlink(path) != 0 && errno != ENOENT)
        return push_errno(L, "cannot remove the lock file", path, errno);
    lua_pushboolean(L, same == 1);
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
        {"link_lock", l_link_lock},
        {"break_lock", l_break_lock},
        {"unlink_lock", l_unlink_lock},
        {NULL, NULL}
    };
    luaL_setfuncs(L, funcs, 0);
}
