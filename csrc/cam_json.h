/*
 * cam_json.h: core.json_encode, the C fast path of cam.json.encode.
 */
#ifndef CAM_JSON_H
#define CAM_JSON_H

#include <lua.h>

/* Add json_encode to the table on top of the stack. */
void cam_json_register(lua_State *L);

#endif
