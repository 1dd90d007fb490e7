/*
 * simmod.c - the simulator as a Lua C module, `qvrpro.simulator`, so the rock
 * installs it with the library and `qvr sim` works after `luarocks make`
 * (the rock cannot build executables; see qvrpro-scm-1.rockspec).
 *
 * Owns: turning a Lua array of arguments into argv and calling the
 * simulator's main (compiled as qvrsim_main for the module), after pointing
 * QVRSIM_MEDIA at the media folder the rock installed.  It runs the
 * simulator in the calling process until SIGINT/SIGTERM and returns its exit
 * status; nothing else of the simulator is reachable from Lua.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

int qvrsim_main(int argc, char **argv);
int luaopen_qvrpro_simulator(lua_State *L);

/* simulator.main(args [, media_dir]) -> exit status */
static int l_main(lua_State *L)
{
    lua_Integer n;
    char **argv;
    int rc;
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2))
        setenv("QVRSIM_MEDIA", luaL_checkstring(L, 2), 0);
    n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 0 && n < 4096, 1, "too many arguments");
    argv = lua_newuserdatauv(L, (size_t)(n + 2) * sizeof *argv, 0);
    argv[0] = (char *)"qvrsim";
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        argv[i] = (char *)luaL_checkstring(L, -1);   /* kept alive by the table */
        lua_pop(L, 1);
    }
    argv[n + 1] = NULL;
    rc = qvrsim_main((int)n + 1, argv);
    lua_pushinteger(L, rc);
    return 1;
}

int luaopen_qvrpro_simulator(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"main", l_main}, {NULL, NULL}};
    luaL_newlib(L, funcs);
    return 1;
}
