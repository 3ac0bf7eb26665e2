/*
 * fuzz_http_response.c: libFuzzer target for the libcurl transport in
 * csrc/cam_http.c and the header splitting in csrc/cam_headers.c.
 *
 * The first input byte picks the response size limit, the method and
 * whether a second request follows on the same handle. The rest is the raw
 * bytes a server sends back. A server thread of the target listens on
 * 127.0.0.1, and for each connection it writes those bytes, shuts the
 * connection for writing and reads until the client closes. libcurl thus
 * reads a real TCP stream, and its body and header callbacks see the
 * chunks it really produces from arbitrary, truncated or repeated
 * responses (1xx interim heads included).
 *
 * Checks: a completed exchange never keeps more body bytes than the
 * limit, an exceeded limit is reported as CURLE_FILESIZE_EXCEEDED, and
 * the kept header bytes split into fields that lie inside the buffer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cam_headers.h"
#include "cam_http.h"

/* The response of the current input. The server thread holds the lock
 * while it sends, so the next input cannot change the bytes under it. */
static pthread_mutex_t fuzz_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *fuzz_response;
static size_t fuzz_response_size;

static int fuzz_listener = -1;
static char fuzz_url[64];

static void fuzz_serve_one(int fd)
{
    char scratch[4096];
    size_t sent = 0;

    pthread_mutex_lock(&fuzz_lock);
    while (sent < fuzz_response_size) {
        ssize_t n = send(fd, fuzz_response + sent, fuzz_response_size - sent,
                         MSG_NOSIGNAL);

        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    pthread_mutex_unlock(&fuzz_lock);
    shutdown(fd, SHUT_WR);
    /* Read the request and wait for the client to close, so that closing
     * this end does not reset a response the client has not read. */
    while (recv(fd, scratch, sizeof(scratch), 0) > 0)
        continue;
    close(fd);
}

static void *fuzz_server(void *unused)
{
    (void)unused;
    for (;;) {
        int fd = accept(fuzz_listener, NULL, NULL);

        if (fd >= 0)
            fuzz_serve_one(fd);
    }
    return NULL;
}

static void fuzz_start_server(void)
{
    struct sockaddr_in address;
    socklen_t len = sizeof(address);
    pthread_t thread;

    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fuzz_listener = socket(AF_INET, SOCK_STREAM, 0);
    if (fuzz_listener < 0
        || bind(fuzz_listener, (struct sockaddr *)&address,
                sizeof(address)) != 0
        || listen(fuzz_listener, 8) != 0
        || getsockname(fuzz_listener, (struct sockaddr *)&address, &len)
           != 0)
        abort();
    snprintf(fuzz_url, sizeof(fuzz_url), "http://127.0.0.1:%u/",
             (unsigned)ntohs(address.sin_port));
    if (pthread_create(&thread, NULL, fuzz_server, NULL) != 0)
        abort();
    pthread_detach(thread);
}

static void fuzz_set_response(const uint8_t *data, size_t size)
{
    pthread_mutex_lock(&fuzz_lock);
    free(fuzz_response);
    fuzz_response = malloc(size ? size : 1);
    if (fuzz_response == NULL)
        abort();
    if (size > 0)
        memcpy(fuzz_response, data, size);
    fuzz_response_size = size;
    pthread_mutex_unlock(&fuzz_lock);
}

static void fuzz_check_result(const cam_http *h, const cam_http_request *req,
                              const cam_http_result *res, int rc)
{
    cam_header_field field;
    size_t pos = 0;
    size_t last = 0;

    if (res->body_too_large && res->code != CURLE_FILESIZE_EXCEEDED)
        abort();
    if (rc == 0 && (res->code != CURLE_OK || h->body.len > req->max_body))
        abort();
    if (rc != 0 && res->message == NULL)
        abort();
    if (h->body.len > h->body.cap || h->headers.len > h->headers.cap)
        abort();
    while (cam_headers_next(h->headers.ptr, h->headers.len, &pos, &field)) {
        if (pos <= last || pos > h->headers.len)
            abort();
        if (field.name < h->headers.ptr
            || field.value + field.value_len
               > h->headers.ptr + h->headers.len)
            abort();
        last = pos;
    }
}

static void fuzz_perform(cam_http *h, const cam_http_request *req)
{
    cam_http_result res;
    int rc = cam_http_perform(h, req, &res);

    fuzz_check_result(h, req, &res, rc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (cam_http_global_init() != 0)
        abort();
    fuzz_start_server();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[4] = { 16, 300, 4096, 1048576 };
    static const char *const headers[] = {
        "Content-Type: application/json",
        "X-TC-Action: DescribeUserOIDCConfig",
    };
    cam_http_request req;
    cam_http h;

    if (size < 1)
        return 0;
    fuzz_set_response(data + 1, size - 1);

    memset(&req, 0, sizeof(req));
    req.url = fuzz_url;
    req.allow_http = 1;
    req.headers = headers;
    req.header_count = 2;
    req.body.ptr = "{}";
    req.body.len = 2;
    req.timeout_ms = 2000;
    req.connect_timeout_ms = 2000;
    req.max_body = limits[data[0] & 3];
    req.is_get = (data[0] & 4) != 0;

    if (cam_http_init(&h) != 0)
        abort();
    fuzz_perform(&h, &req);
    /* The same handle again: nothing of the first exchange may remain. */
    if (data[0] & 8)
        fuzz_perform(&h, &req);
    cam_http_close(&h);
    return 0;
}
