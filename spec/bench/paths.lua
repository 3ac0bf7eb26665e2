--- Point package.path and package.cpath at the checkout, for the
-- interpreter running the script: build/lua5.4 for Lua 5.4, build/luajit
-- for LuaJIT (override with CAM_BUILD_DIR).
local root = (arg and arg[0] or ""):match("^(.*)/spec/bench/[^/]*$") or "."
local build = os.getenv("CAM_BUILD_DIR")
    or (jit and root .. "/build/luajit" or root .. "/build/lua5.4")

package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;"
    .. root .. "/spec/?.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

return root
