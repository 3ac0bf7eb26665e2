/*
 * cam_http.h: one HTTP exchange at a time over a reused libcurl easy handle.
 *
 * The handle keeps its connection and TLS session between requests.  Peer
 * and host verification are always on, redirects are never followed, no
 * signal is used for timeouts, and the response body is capped.
 */
#ifndef CAM_HTTP_H
#define CAM_HTTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "cam_sign.h"

typedef struct cam_http_request {
    const char *url;                    /* NUL-terminated */
    int is_get;                         /* 0 sends a POST with the body */
    const char *const *headers;         /* complete "Name: value" lines */
    size_t header_count;
    cam_bytes body;
    long timeout_ms;                    /* at least 1: libcurl reads 0 as */
    long connect_timeout_ms;            /* "no limit" */
    const char *ca_file;                /* NULL: the system's store */
    const char *ca_path;
    size_t max_body;                    /* larger responses are an error */
    int allow_http;                     /* 0: only https is spoken */
    int fresh_connect;                  /* 1: never reuse a connection */
} cam_http_request;

typedef struct cam_http_buffer {
    char *ptr;
    size_t len;
    size_t cap;
} cam_http_buffer;

typedef struct cam_http_result {
    long status;
    CURLcode code;              /* CURLE_OK, or why the exchange failed */
    int body_too_large;
    int request_sent;           /* some request bytes reached the socket */
    long connects;              /* new connections made; 0 means reused */
    double total_seconds;
    const char *message;        /* valid until the next request */
} cam_http_result;

typedef struct cam_http {
    CURL *easy;
    cam_http_buffer body;
    cam_http_buffer headers;    /* header lines of the final response */
    size_t max_body;
    int body_too_large;
    int out_of_memory;
    char error[CURL_ERROR_SIZE];
} cam_http;

/* Initialise libcurl for the process; safe to call from every loader. */
int cam_http_global_init(void);

/* Set up h, which the caller allocated.  Returns 0, or -1 when libcurl
 * cannot create a handle. */
int cam_http_init(cam_http *h);

/* Release everything h owns.  Idempotent. */
void cam_http_close(cam_http *h);

/* Perform one request.  Returns 0 when a response arrived (any status),
 * -1 otherwise.  res records which, and h->body and h->headers hold the
 * response until the next call. */
int cam_http_perform(cam_http *h, const cam_http_request *req,
                     cam_http_result *res);

/* The symbolic name of a libcurl error code, such as
 * "CURLE_OPERATION_TIMEDOUT". */
const char *cam_http_code_name(CURLcode code, char *scratch, size_t size);

#endif
