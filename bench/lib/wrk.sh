# bench/lib/wrk.sh - sourced by bench/api.sh and bench/scale.sh: what
# their wrk runs share.
#
#   wrk_post_script FILE   writes the Lua script that makes wrk POST the
#                          file $BODY (as JSON), with "Authorization:
#                          Bearer $TOKEN" when TOKEN is set in wrk's
#                          environment
wrk_post_script() {
	cat >"$1" <<'LUA'
local f = io.open(os.getenv("BODY"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
if os.getenv("TOKEN") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end
LUA
}
