/*
 * cam_core.c: the Lua binding, module cam.core.
 *
 * Functions: sign, sha256_hex, hmac_sha256, base64_encode, base64_decode,
 * base64url_encode, utf8_valid, utf8_len, json_quote, utc_date, random_bytes,
 * monotonic, sleep, and http_new, whose handle has the methods request and
 * close.  cam_jwt.c adds the JWT and PEM functions, and cam_json.c adds
 * json_encode.  Bad arguments raise, and runtime failures of a request
 * return nil and an error table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "cam_codec.h"
#include "cam_compat.h"
#include "cam_headers.h"
#include "cam_http.h"
#include "cam_json.h"
#include "cam_jwt.h"
#include "cam_sign.h"

#define CORE_SIGNER_MT "cam.core.signer"
#define CORE_HTTP_MT "cam.core.http"

typedef struct core_signer_box {
    cam_signer *signer;
} core_signer_box;

typedef struct core_http_box {
    cam_http http;
    int open;
} core_http_box;

/* ---- helpers ----------------------------------------------------------- */

/* Raise with OpenSSL's first queued error, then clear the queue. */
static int core_openssl_error(lua_State *L, const char *what)
{
    unsigned long e = ERR_get_error();
    char text[256];

    if (e == 0) {
        ERR_clear_error();
        return luaL_error(L, "%s failed in OpenSSL", what);
    }
    ERR_error_string_n(e, text, sizeof(text));
    ERR_clear_error();
    return luaL_error(L, "%s failed: %s", what, text);
}

static cam_signer *core_signer(lua_State *L)
{
    core_signer_box *box = lua_touserdata(L, lua_upvalueindex(1));

    if (box == NULL || box->signer == NULL)
        luaL_error(L, "cam.core: the signer is not available");
    return box->signer;
}

/* Read string field name of the table at index t into *out.  A missing
 * field takes fallback when it is not NULL; otherwise it raises. */
static void core_field_bytes(lua_State *L, int t, const char *func,
                             const char *name, const char *fallback,
                             cam_bytes *out)
{
    lua_getfield(L, t, name);
    if (lua_isnil(L, -1) && fallback != NULL) {
        out->ptr = fallback;
        out->len = strlen(fallback);
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        out->ptr = lua_tolstring(L, -1, &out->len);
    } else {
        luaL_error(L, "bad field '%s' to '%s' (string expected, got %s)",
                   name, func, luaL_typename(L, -1));
    }
    /* The string stays referenced by the table, so the pointer outlives
     * the pop. */
    lua_pop(L, 1);
}

static int core_has_control(const cam_bytes *b)
{
    size_t i;

    for (i = 0; i < b->len; i++) {
        unsigned char c = (unsigned char)b->ptr[i];

        if (c < 0x20 || c == 0x7f)
            return 1;
    }
    return 0;
}

/* Whether b holds only visible ASCII other than ',' and '/', the
 * characters that separate the parts of the Credential value. */
static int core_is_credential_part(const cam_bytes *b)
{
    size_t i;

    for (i = 0; i < b->len; i++) {
        unsigned char c = (unsigned char)b->ptr[i];

        if (c <= 0x20 || c >= 0x7f || c == ',' || c == '/')
            return 0;
    }
    return 1;
}

/* ---- signing ----------------------------------------------------------- */

/* sign(t) -> Authorization value.  Pure: the timestamp comes from t. */
static int core_sign(lua_State *L)
{
    static const char func[] = "cam.sign";
    static const char *const header_fields[] = {
        "secret_id", "service", "host", "content_type", "method", "query"
    };
    cam_signer *signer = core_signer(L);
    cam_sign_request req;
    cam_bytes *header_values[6];
    long long timestamp;
    size_t max_len;
    size_t len = 0;
    char small[512];
    char *out;
    size_t i;

    luaL_checktype(L, 1, LUA_TTABLE);
    core_field_bytes(L, 1, func, "secret_id", NULL, &req.secret_id);
    core_field_bytes(L, 1, func, "secret_key", NULL, &req.secret_key);
    core_field_bytes(L, 1, func, "service", NULL, &req.service);
    core_field_bytes(L, 1, func, "host", NULL, &req.host);
    core_field_bytes(L, 1, func, "content_type", NULL, &req.content_type);
    core_field_bytes(L, 1, func, "body", NULL, &req.body);
    core_field_bytes(L, 1, func, "method", "POST", &req.method);
    core_field_bytes(L, 1, func, "query", "", &req.query);

    lua_getfield(L, 1, "timestamp");
    if (!cam_tointeger(L, -1, &timestamp) || timestamp < 0)
        return luaL_error(L, "bad field 'timestamp' to '%s' (non-negative "
                          "integer seconds expected, got %s)", func,
                          lua_type(L, -1) == LUA_TNUMBER ? "a fraction, "
                          "a negative number or one too large"
                          : luaL_typename(L, -1));
    lua_pop(L, 1);
    req.timestamp = timestamp;
    {
        char date[11];

        if (cam_utc_date(timestamp, date) != 0)
            return luaL_error(L, "bad field 'timestamp' to '%s' (its year "
                              "is past 9999)", func);
    }

    /* These values become header lines or lines of the canonical request,
     * so a line break in one would forge another. */
    header_values[0] = &req.secret_id;
    header_values[1] = &req.service;
    header_values[2] = &req.host;
    header_values[3] = &req.content_type;
    header_values[4] = &req.method;
    header_values[5] = &req.query;
    for (i = 0; i < 6; i++) {
        if (i != 5 && header_values[i]->len == 0)
            return luaL_error(L, "bad field '%s' to '%s' (must not be "
                              "empty)", header_fields[i], func);
        if (core_has_control(header_values[i]))
            return luaL_error(L, "bad field '%s' to '%s' (contains a "
                              "control character)", header_fields[i], func);
    }
    for (i = 0; i < req.method.len; i++)
        if (req.method.ptr[i] < 'A' || req.method.ptr[i] > 'Z')
            return luaL_error(L, "bad field 'method' to '%s' (upper-case "
                              "letters expected, such as POST)", func);

    /* The secret id and service sit inside the Credential value, where a
     * comma, slash or space would change its meaning. */
    if (!core_is_credential_part(&req.secret_id))
        return luaL_error(L, "bad field 'secret_id' to '%s' (visible ASCII "
                          "without ',', '/' or spaces expected)", func);
    if (!core_is_credential_part(&req.service))
        return luaL_error(L, "bad field 'service' to '%s' (visible ASCII "
                          "without ',', '/' or spaces expected)", func);

    max_len = cam_sign_max_len(&req);
    out = max_len <= sizeof(small) ? small : cam_newuserdata(L, max_len);
    if (cam_sign(signer, &req, out, max_len, &len) != 0)
        return core_openssl_error(L, func);
    lua_pushlstring(L, out, len);
    return 1;
}

static int core_sha256_hex(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    unsigned char digest[CAM_SHA256_LEN];
    char hex[2 * CAM_SHA256_LEN];

    if (cam_sha256(core_signer(L), s, n, digest) != 0)
        return core_openssl_error(L, "sha256_hex");
    cam_hex(digest, sizeof(digest), hex);
    lua_pushlstring(L, hex, sizeof(hex));
    return 1;
}

static int core_hmac_sha256(lua_State *L)
{
    size_t key_len;
    size_t n;
    const char *key = luaL_checklstring(L, 1, &key_len);
    const char *s = luaL_checklstring(L, 2, &n);
    unsigned char digest[CAM_SHA256_LEN];

    if (cam_hmac_sha256(core_signer(L), key, key_len, s, n, digest) != 0)
        return core_openssl_error(L, "hmac_sha256");
    lua_pushlstring(L, (const char *)digest, sizeof(digest));
    return 1;
}

static int core_utc_date(lua_State *L)
{
    long long timestamp;
    char date[11];

    if (!cam_tointeger(L, 1, &timestamp))
        return luaL_argerror(L, 1, "integer seconds expected");
    if (cam_utc_date(timestamp, date) != 0)
        return luaL_argerror(L, 1, "year outside 0000-9999");
    lua_pushlstring(L, date, 10);
    return 1;
}

/* ---- codecs ------------------------------------------------------------ */

/* Push the encoding of the string argument: the shared body of the two
 * base64 encoders, which differ in alphabet and padding. */
static int core_encode(lua_State *L, size_t (*encoded_len)(size_t),
                       void (*encode)(const unsigned char *, size_t, char *))
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    size_t out_len;
    char *out;

    if (n > ((size_t)-1) / 4 * 3 - 3)
        return luaL_argerror(L, 1, "string too long");
    out_len = encoded_len(n);
    out = cam_newuserdata(L, out_len ? out_len : 1);
    encode((const unsigned char *)s, n, out);
    lua_pushlstring(L, out, out_len);
    return 1;
}

static int core_base64_encode(lua_State *L)
{
    return core_encode(L, cam_base64_encoded_len, cam_base64_encode);
}

/* base64url_encode(s) -> unpadded text with the URL-safe alphabet. */
static int core_base64url_encode(lua_State *L)
{
    return core_encode(L, cam_base64url_encoded_len, cam_base64url_encode);
}

static int core_base64_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    unsigned char *out = cam_newuserdata(L, n / 4 * 3 + 1);
    size_t out_len = 0;
    size_t bad = 0;

    if (cam_base64_decode(s, n, out, &out_len, &bad) != 0) {
        lua_pushnil(L);
        if (bad == n)
            lua_pushfstring(L, "length %d is not a multiple of 4", (int)n);
        else
            lua_pushfstring(L, "invalid character at position %d",
                            (int)bad + 1);
        return 2;
    }
    lua_pushlstring(L, (const char *)out, out_len);
    return 1;
}

static int core_utf8_valid(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    size_t bad = 0;

    if (cam_utf8_check(s, n, NULL, &bad) != 0) {
        lua_pushboolean(L, 0);
        lua_pushinteger(L, (lua_Integer)bad + 1);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* json_quote(s) -> the JSON string literal of s, or nil and the 1-based
 * offset of the first byte that is not valid UTF-8. */
static int core_json_quote(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    size_t bad = 0;
    size_t out_len;
    char small[256];
    char *out = small;

    if (cam_utf8_check(s, n, NULL, &bad) != 0) {
        lua_pushnil(L);
        lua_pushinteger(L, (lua_Integer)bad + 1);
        return 2;
    }
    out_len = cam_json_quoted_len(s, n);
    if (out_len == 0)
        return luaL_argerror(L, 1, "string too long");
    /* Most strings are short enough to skip the temporary userdata. */
    if (out_len > sizeof(small))
        out = cam_newuserdata(L, out_len);
    cam_json_quote(s, n, out);
    lua_pushlstring(L, out, out_len);
    return 1;
}

static int core_utf8_len(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    size_t count = 0;
    size_t bad = 0;

    if (cam_utf8_check(s, n, &count, &bad) != 0) {
        lua_pushnil(L);
        lua_pushinteger(L, (lua_Integer)bad + 1);
        return 2;
    }
    lua_pushinteger(L, (lua_Integer)count);
    return 1;
}

static int core_random_bytes(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    unsigned char *out;

    luaL_argcheck(L, n >= 0 && n <= 4096, 1, "0 to 4096 expected");
    out = cam_newuserdata(L, (size_t)n + 1);
    if (n > 0 && RAND_bytes(out, (int)n) != 1)
        return core_openssl_error(L, "random_bytes");
    lua_pushlstring(L, (const char *)out, (size_t)n);
    return 1;
}

/* ---- clocks ------------------------------------------------------------ */

/* monotonic() -> seconds from an arbitrary start, for measuring intervals;
 * never goes back when the wall clock is set. */
static int core_monotonic(lua_State *L)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return luaL_error(L, "clock_gettime failed");
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* sleep(seconds): block the calling thread; fractions allowed.  Meant for
 * plain Lua; inside nginx the cosocket transport uses ngx.sleep instead. */
static int core_sleep(lua_State *L)
{
    lua_Number seconds = luaL_checknumber(L, 1);
    struct timespec ts;

    luaL_argcheck(L, seconds >= 0 && seconds <= 86400, 1,
                  "0 to 86400 seconds expected");
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (lua_Number)ts.tv_sec) * 1e9);
    if (ts.tv_nsec > 999999999L)
        ts.tv_nsec = 999999999L;
    while (nanosleep(&ts, &ts) != 0) {
        if (errno != EINTR)
            return luaL_error(L, "nanosleep failed");
    }
    return 0;
}

/* ---- HTTP handle ------------------------------------------------------- */

static core_http_box *core_check_http(lua_State *L)
{
    core_http_box *box = luaL_checkudata(L, 1, CORE_HTTP_MT);

    if (!box->open)
        luaL_error(L, "attempt to use a closed HTTP handle");
    return box;
}

/* http_new() -> handle.  The userdata and its metatable exist before the
 * libcurl handle, so __gc always has a valid object to look at. */
static int core_http_new(lua_State *L)
{
    core_http_box *box = cam_newuserdata(L, sizeof(*box));

    memset(box, 0, sizeof(*box));
    luaL_getmetatable(L, CORE_HTTP_MT);
    lua_setmetatable(L, -2);
    if (cam_http_init(&box->http) != 0)
        return luaL_error(L, "curl_easy_init failed");
    box->open = 1;
    return 1;
}

static int core_http_close(lua_State *L)
{
    core_http_box *box = luaL_checkudata(L, 1, CORE_HTTP_MT);

    if (box->open) {
        box->open = 0;
        cam_http_close(&box->http);
    }
    return 0;
}

static const char *core_opt_string(lua_State *L, int t, const char *name)
{
    const char *s = NULL;

    lua_getfield(L, t, name);
    if (lua_type(L, -1) == LUA_TSTRING) {
        s = lua_tostring(L, -1);
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "bad option '%s' to 'request' (string expected, "
                   "got %s)", name, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return s;
}

static long long core_opt_integer(lua_State *L, int t, const char *name,
                                  long long fallback, long long max)
{
    long long v = fallback;

    lua_getfield(L, t, name);
    if (!lua_isnil(L, -1) && (!cam_tointeger(L, -1, &v) || v < 0 || v > max))
        luaL_error(L, "bad option '%s' to 'request' (integer from 0 to %d "
                   "expected)", name, (int)(max > 0x7fffffff ? 0x7fffffff
                                                            : max));
    lua_pop(L, 1);
    return v;
}

/* Push the final response's headers as a table keyed by lower-case name;
 * repeated headers are joined with ", ". */
static void core_push_headers(lua_State *L, const cam_http_buffer *raw)
{
    cam_header_field field;
    size_t pos = 0;
    size_t i;

    lua_newtable(L);
    while (cam_headers_next(raw->ptr, raw->len, &pos, &field)) {
        luaL_Buffer name;

        luaL_buffinit(L, &name);
        for (i = 0; i < field.name_len; i++) {
            char c = field.name[i];
            luaL_addchar(&name, (c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        luaL_pushresult(&name);

        lua_pushvalue(L, -1);
        lua_rawget(L, -3);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushlstring(L, field.value, field.value_len);
        } else {
            lua_pushliteral(L, ", ");
            lua_pushlstring(L, field.value, field.value_len);
            lua_concat(L, 3);
        }
        lua_rawset(L, -3);
    }
}

/* handle:request(opts) -> status, body, headers, info
 *                      or nil, {code, curl_code, message, ...} */
static int core_http_request(lua_State *L)
{
    core_http_box *box = core_check_http(L);
    cam_http_request req;
    cam_http_result res;
    const char **lines = NULL;
    const char *method;
    char scratch[32];
    size_t count = 0;
    size_t i;

    luaL_checktype(L, 2, LUA_TTABLE);
    memset(&req, 0, sizeof(req));

    req.url = core_opt_string(L, 2, "url");
    if (req.url == NULL)
        return luaL_error(L, "bad option 'url' to 'request' (string "
                          "expected, got nil)");
    method = core_opt_string(L, 2, "method");
    if (method == NULL || strcmp(method, "POST") == 0)
        req.is_get = 0;
    else if (strcmp(method, "GET") == 0)
        req.is_get = 1;
    else
        return luaL_error(L, "bad option 'method' to 'request' (POST or "
                          "GET expected)");

    lua_getfield(L, 2, "body");
    if (lua_type(L, -1) == LUA_TSTRING)
        req.body.ptr = lua_tolstring(L, -1, &req.body.len);
    else if (lua_isnil(L, -1))
        req.body.ptr = "";
    else
        return luaL_error(L, "bad option 'body' to 'request' (string "
                          "expected, got %s)", luaL_typename(L, -1));
    lua_pop(L, 1);

    req.timeout_ms = (long)core_opt_integer(L, 2, "timeout_ms", 30000,
                                            86400000);
    if (req.timeout_ms < 1)
        return luaL_error(L, "bad option 'timeout_ms' to 'request' (at "
                          "least 1 expected)");
    req.connect_timeout_ms = (long)core_opt_integer(L, 2,
                                                    "connect_timeout_ms",
                                                    10000, 86400000);
    req.max_body = (size_t)core_opt_integer(L, 2, "max_body", 1048576,
                                            1073741824);
    req.ca_file = core_opt_string(L, 2, "ca_file");
    req.ca_path = core_opt_string(L, 2, "ca_path");
    if (req.connect_timeout_ms < 1)
        return luaL_error(L, "bad option 'connect_timeout_ms' to 'request' "
                          "(at least 1 expected)");
    lua_getfield(L, 2, "allow_http");
    req.allow_http = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 2, "fresh_connect");
    req.fresh_connect = lua_toboolean(L, -1);
    lua_pop(L, 1);

    /* Header lines: the pointer array is a userdata, so an error while
     * reading the table leaks nothing. */
    lua_getfield(L, 2, "headers");
    if (!lua_isnil(L, -1)) {
        luaL_checktype(L, -1, LUA_TTABLE);
        count = cam_rawlen(L, -1);
        lines = cam_newuserdata(L, (count ? count : 1) * sizeof(*lines));
        for (i = 0; i < count; i++) {
            size_t len;
            const char *line;

            lua_rawgeti(L, -2, (int)i + 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "bad header %d to 'request' (string "
                                  "expected)", (int)i + 1);
            line = lua_tolstring(L, -1, &len);
            if (strlen(line) != len || memchr(line, '\r', len)
                || memchr(line, '\n', len) || memchr(line, ':', len) == NULL)
                return luaL_error(L, "bad header %d to 'request' (one "
                                  "'Name: value' line expected)", (int)i + 1);
            lines[i] = line;
            lua_pop(L, 1);
        }
    }
    req.headers = lines;
    req.header_count = count;

    if (cam_http_perform(&box->http, &req, &res) != 0) {
        lua_pushnil(L);
        lua_createtable(L, 0, 6);
        lua_pushstring(L, cam_http_code_name(res.code, scratch,
                                             sizeof(scratch)));
        lua_setfield(L, -2, "code");
        lua_pushinteger(L, (lua_Integer)res.code);
        lua_setfield(L, -2, "curl_code");
        if (res.body_too_large || res.code == CURLE_FILESIZE_EXCEEDED)
            lua_pushfstring(L, "response body larger than %d bytes; raise "
                            "max_response_size if that is expected",
                            (int)req.max_body);
        else
            lua_pushstring(L, res.message);
        lua_setfield(L, -2, "message");
        lua_pushboolean(L, res.request_sent);
        lua_setfield(L, -2, "request_sent");
        lua_pushboolean(L, res.body_too_large);
        lua_setfield(L, -2, "body_too_large");
        if (res.status > 0) {
            lua_pushinteger(L, (lua_Integer)res.status);
            lua_setfield(L, -2, "status");
        }
        return 2;
    }

    lua_pushinteger(L, (lua_Integer)res.status);
    lua_pushlstring(L, box->http.body.ptr ? box->http.body.ptr : "",
                    box->http.body.len);
    core_push_headers(L, &box->http.headers);
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, (lua_Integer)res.connects);
    lua_setfield(L, -2, "connects");
    lua_pushnumber(L, res.total_seconds);
    lua_setfield(L, -2, "seconds");
    return 4;
}

static int core_http_tostring(lua_State *L)
{
    core_http_box *box = luaL_checkudata(L, 1, CORE_HTTP_MT);

    lua_pushfstring(L, "cam.core.http (%s)", box->open ? "open" : "closed");
    return 1;
}

static int core_signer_gc(lua_State *L)
{
    core_signer_box *box = luaL_checkudata(L, 1, CORE_SIGNER_MT);

    cam_signer_free(box->signer);
    box->signer = NULL;
    return 0;
}

/* ---- module ------------------------------------------------------------ */

static const luaL_Reg core_http_methods[] = {
    { "request", core_http_request },
    { "close", core_http_close },
    { NULL, NULL }
};

static const luaL_Reg core_signer_functions[] = {
    { "sign", core_sign },
    { "sha256_hex", core_sha256_hex },
    { "hmac_sha256", core_hmac_sha256 },
    { NULL, NULL }
};

static const luaL_Reg core_functions[] = {
    { "utc_date", core_utc_date },
    { "base64_encode", core_base64_encode },
    { "base64_decode", core_base64_decode },
    { "base64url_encode", core_base64url_encode },
    { "utf8_valid", core_utf8_valid },
    { "utf8_len", core_utf8_len },
    { "json_quote", core_json_quote },
    { "random_bytes", core_random_bytes },
    { "monotonic", core_monotonic },
    { "sleep", core_sleep },
    { "http_new", core_http_new },
    { NULL, NULL }
};

/* The only exported symbol: the rest is built with hidden visibility. */
__attribute__((visibility("default"))) int luaopen_cam_core(lua_State *L);

int luaopen_cam_core(lua_State *L)
{
    core_signer_box *signer_box;
    const curl_version_info_data *curl_info;

    if (cam_http_global_init() != 0)
        return luaL_error(L, "curl_global_init failed");

    /* The HTTP handle's metatable. */
    luaL_newmetatable(L, CORE_HTTP_MT);
    lua_newtable(L);
    cam_setfuncs(L, core_http_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, core_http_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, core_http_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, core_http_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    lua_newtable(L);
    cam_setfuncs(L, core_functions, 0);

    /* The signer lives in a userdata shared as an upvalue; it is created
     * with its metatable before any OpenSSL object exists. */
    signer_box = cam_newuserdata(L, sizeof(*signer_box));
    signer_box->signer = NULL;
    luaL_newmetatable(L, CORE_SIGNER_MT);
    lua_pushcfunction(L, core_signer_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    signer_box->signer = cam_signer_new();
    if (signer_box->signer == NULL)
        return core_openssl_error(L, "loading SHA-256 and HMAC");
    cam_setfuncs(L, core_signer_functions, 1);

    cam_jwt_register(L);
    cam_json_register(L);
    curl_info = curl_version_info(CURLVERSION_NOW);
    lua_pushstring(L, curl_info->version);
    lua_setfield(L, -2, "curl_version");
    lua_pushstring(L, OpenSSL_version(OPENSSL_VERSION));
    lua_setfield(L, -2, "openssl_version");
    return 1;
}
