/*
 * cam_http.c: the libcurl transport.
 *
 * Callbacks only copy bytes into buffers owned by the handle, so no Lua code
 * ever runs inside libcurl and no error can unwind through it.
 */
#include "cam_http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_code = CURLE_FAILED_INIT;

static void http_global_init_once(void)
{
    http_global_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cam_http_global_init(void)
{
    if (pthread_once(&http_once, http_global_init_once) != 0)
        return -1;
    return http_global_code == CURLE_OK ? 0 : -1;
}

/* Append n bytes, growing the buffer geometrically.  Returns -1 when memory
 * runs out. */
static int http_buffer_append(cam_http_buffer *b, const char *p, size_t n)
{
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 1024;
        char *grown;

        while (cap - b->len < n) {
            if (cap > ((size_t)-1) / 2)
                return -1;
            cap *= 2;
        }
        grown = realloc(b->ptr, cap);
        if (grown == NULL)
            return -1;
        b->ptr = grown;
        b->cap = cap;
    }
    memcpy(b->ptr + b->len, p, n);
    b->len += n;
    return 0;
}

static void http_buffer_free(cam_http_buffer *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

static size_t http_on_body(char *data, size_t size, size_t count, void *ud)
{
    cam_http *h = ud;
    size_t n = size * count;

    if (n > h->max_body - h->body.len) {
        h->body_too_large = 1;
        return 0;
    }
    if (http_buffer_append(&h->body, data, n) != 0) {
        h->out_of_memory = 1;
        return 0;
    }
    return n;
}

static size_t http_on_header(char *data, size_t size, size_t count, void *ud)
{
    cam_http *h = ud;
    size_t n = size * count;

    /* A status line starts a new response (after a 100 Continue, say), so
     * only the final response's headers are kept. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
        h->headers.len = 0;
    if (http_buffer_append(&h->headers, data, n) != 0) {
        h->out_of_memory = 1;
        return 0;
    }
    return n;
}

int cam_http_init(cam_http *h)
{
    memset(h, 0, sizeof(*h));
    h->easy = curl_easy_init();
    return h->easy != NULL ? 0 : -1;
}

void cam_http_close(cam_http *h)
{
    if (h->easy != NULL) {
        curl_easy_cleanup(h->easy);
        h->easy = NULL;
    }
    http_buffer_free(&h->body);
    http_buffer_free(&h->headers);
}

#define HTTP_SET(opt, value)                                              \
    do {                                                                  \
        CURLcode set_rc = curl_easy_setopt(easy, (opt), (value));        \
        if (set_rc != CURLE_OK)                                           \
            return set_rc;                                                \
    } while (0)

/* Apply every option of one request.  All of them are set each time, so
 * nothing from an earlier request on the same handle carries over. */
static CURLcode http_configure(cam_http *h, const cam_http_request *req,
                               struct curl_slist *headers)
{
    CURL *easy = h->easy;

    HTTP_SET(CURLOPT_URL, req->url);
    HTTP_SET(CURLOPT_PROTOCOLS_STR, req->allow_http ? "http,https" : "https");
    HTTP_SET(CURLOPT_FOLLOWLOCATION, 0L);
    HTTP_SET(CURLOPT_NOSIGNAL, 1L);
    HTTP_SET(CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 1L);
    HTTP_SET(CURLOPT_CONNECTTIMEOUT_MS,
             req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 1L);
    /* On a reused connection that dies before the response, libcurl sends
     * the request again on a new one.  A request that must not run twice
     * therefore gets a connection of its own. */
    HTTP_SET(CURLOPT_FRESH_CONNECT, req->fresh_connect ? 1L : 0L);
    HTTP_SET(CURLOPT_SSL_VERIFYPEER, 1L);
    HTTP_SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (req->ca_file != NULL || req->ca_path != NULL) {
        /* A caller's trust store replaces the system's entirely. */
        HTTP_SET(CURLOPT_CAINFO, req->ca_file);
        HTTP_SET(CURLOPT_CAPATH, req->ca_path);
    } else {
        const curl_version_info_data *info =
            curl_version_info(CURLVERSION_NOW);

        HTTP_SET(CURLOPT_CAINFO, info->cainfo);
        HTTP_SET(CURLOPT_CAPATH, info->capath);
    }
    HTTP_SET(CURLOPT_HTTPHEADER, headers);
    HTTP_SET(CURLOPT_ERRORBUFFER, h->error);
    HTTP_SET(CURLOPT_WRITEFUNCTION, http_on_body);
    HTTP_SET(CURLOPT_WRITEDATA, h);
    HTTP_SET(CURLOPT_HEADERFUNCTION, http_on_header);
    HTTP_SET(CURLOPT_HEADERDATA, h);
    HTTP_SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_body);

    if (req->is_get) {
        HTTP_SET(CURLOPT_HTTPGET, 1L);
    } else {
        HTTP_SET(CURLOPT_POST, 1L);
        HTTP_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
        HTTP_SET(CURLOPT_POSTFIELDS, req->body.ptr);
    }
    return CURLE_OK;
}

#undef HTTP_SET

int cam_http_perform(cam_http *h, const cam_http_request *req,
                     cam_http_result *res)
{
    struct curl_slist *headers = NULL;
    struct curl_slist *appended;
    curl_off_t total_us = 0;
    long request_size = 0;
    CURLcode rc = CURLE_OK;
    size_t i;

    memset(res, 0, sizeof(*res));
    h->body.len = 0;
    h->headers.len = 0;
    h->body_too_large = 0;
    h->out_of_memory = 0;
    h->max_body = req->max_body;
    h->error[0] = '\0';

    /* The caller's lines, then two that switch off libcurl's own Expect and
     * Accept, so the request carries only the headers the caller chose. */
    for (i = 0; i < req->header_count + 2 && rc == CURLE_OK; i++) {
        const char *line = i < req->header_count ? req->headers[i]
                         : i == req->header_count ? "Expect:" : "Accept:";

        appended = curl_slist_append(headers, line);
        if (appended == NULL)
            rc = CURLE_OUT_OF_MEMORY;
        else
            headers = appended;
    }

    if (rc == CURLE_OK)
        rc = http_configure(h, req, headers);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(h->easy);

    /* The header list is freed below, so the handle must forget it. */
    (void)curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    (void)curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, (char *)NULL);
    curl_slist_free_all(headers);

    if (curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &res->status)
        != CURLE_OK)
        res->status = 0;
    if (curl_easy_getinfo(h->easy, CURLINFO_REQUEST_SIZE, &request_size)
        == CURLE_OK)
        res->request_sent = request_size > 0;
    if (curl_easy_getinfo(h->easy, CURLINFO_NUM_CONNECTS, &res->connects)
        != CURLE_OK)
        res->connects = -1;
    if (curl_easy_getinfo(h->easy, CURLINFO_TOTAL_TIME_T, &total_us)
        == CURLE_OK)
        res->total_seconds = (double)total_us / 1e6;

    res->code = rc;
    res->body_too_large = h->body_too_large;
    if (h->body_too_large)
        res->code = CURLE_FILESIZE_EXCEEDED;
    if (h->out_of_memory)
        res->code = CURLE_OUT_OF_MEMORY;
    if (res->code == CURLE_OK)
        return 0;

    res->message = h->error[0] != '\0' ? h->error
                                       : curl_easy_strerror(res->code);
    return -1;
}

#define HTTP_NAME(c) { c, #c }

static const struct {
    CURLcode code;
    const char *name;
} http_code_names[] = {
    HTTP_NAME(CURLE_UNSUPPORTED_PROTOCOL),
    HTTP_NAME(CURLE_FAILED_INIT),
    HTTP_NAME(CURLE_URL_MALFORMAT),
    HTTP_NAME(CURLE_COULDNT_RESOLVE_PROXY),
    HTTP_NAME(CURLE_COULDNT_RESOLVE_HOST),
    HTTP_NAME(CURLE_COULDNT_CONNECT),
    HTTP_NAME(CURLE_WEIRD_SERVER_REPLY),
    HTTP_NAME(CURLE_HTTP2),
    HTTP_NAME(CURLE_PARTIAL_FILE),
    HTTP_NAME(CURLE_WRITE_ERROR),
    HTTP_NAME(CURLE_READ_ERROR),
    HTTP_NAME(CURLE_OUT_OF_MEMORY),
    HTTP_NAME(CURLE_OPERATION_TIMEDOUT),
    HTTP_NAME(CURLE_SSL_CONNECT_ERROR),
    HTTP_NAME(CURLE_TOO_MANY_REDIRECTS),
    HTTP_NAME(CURLE_GOT_NOTHING),
    HTTP_NAME(CURLE_SEND_ERROR),
    HTTP_NAME(CURLE_RECV_ERROR),
    HTTP_NAME(CURLE_SSL_CERTPROBLEM),
    HTTP_NAME(CURLE_SSL_CIPHER),
    HTTP_NAME(CURLE_PEER_FAILED_VERIFICATION),
    HTTP_NAME(CURLE_FILESIZE_EXCEEDED),
    HTTP_NAME(CURLE_SSL_CACERT_BADFILE),
    HTTP_NAME(CURLE_SSL_ISSUER_ERROR),
    HTTP_NAME(CURLE_HTTP2_STREAM),
    HTTP_NAME(CURLE_PROXY),
};

#undef HTTP_NAME

const char *cam_http_code_name(CURLcode code, char *scratch, size_t size)
{
    size_t i;

    for (i = 0; i < sizeof(http_code_names) / sizeof(http_code_names[0]); i++)
        if (http_code_names[i].code == code)
            return http_code_names[i].name;
    (void)snprintf(scratch, size, "CURLE_%d", (int)code);
    return scratch;
}
