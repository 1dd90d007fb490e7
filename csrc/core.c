#include <lua.h>
#include <lauxlib.h>
int luaopen_qvrpro_core(lua_State *L) { lua_newtable(L); return 1; }
