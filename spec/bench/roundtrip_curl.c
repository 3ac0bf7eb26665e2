/*
 * roundtrip_curl.c: the round trip of the fixture request with libcurl
 * alone, for comparison with cam's update_oidc (spec/bench/roundtrip.lua)
 * and with wrk.
 *
 *   roundtrip_curl URL CALLS DIR [CA_FILE]
 *
 * Sends DIR/body.json with the header lines of DIR/headers.txt (written by
 * write_request.lua) plus Host, CALLS times on one easy handle, with the
 * options cam's transport uses: verified TLS, no redirects, no signals,
 * and empty Expect and Accept headers. It does no validation, encoding or
 * signing, and it throws the response away. The first 200 calls open the
 * connection and are not timed. Prints one line: calls per second, then
 * the median and 99th percentile latency in microseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define WARM_UP 200

static void rt_fail(const char *message)
{
    fprintf(stderr, "roundtrip_curl: %s\n", message);
    exit(1);
}

static double rt_seconds(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        rt_fail("clock_gettime failed");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read a whole file into a NUL-terminated buffer. */
static char *rt_read(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    char *data;
    FILE *file;
    long size;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        rt_fail("path too long");
    file = fopen(path, "rb");
    if (file == NULL || fseek(file, 0, SEEK_END) != 0
        || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0)
        rt_fail("cannot read the request files");
    data = malloc((size_t)size + 1);
    if (data == NULL || fread(data, 1, (size_t)size, file) != (size_t)size)
        rt_fail("cannot read the request files");
    fclose(file);
    data[size] = '\0';
    *len = (size_t)size;
    return data;
}

static size_t rt_discard(char *data, size_t size, size_t count, void *ud)
{
    (void)data;
    (void)ud;
    return size * count;
}

static int rt_compare(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static void rt_set(CURLcode rc)
{
    if (rc != CURLE_OK)
        rt_fail(curl_easy_strerror(rc));
}

int main(int argc, char **argv)
{
    struct curl_slist *headers = NULL;
    size_t body_len;
    size_t lines_len;
    char *body;
    char *lines;
    char *line;
    double *latency;
    double started;
    double elapsed;
    long status = 0;
    long calls;
    long i;
    CURL *easy;

    if (argc < 4 || (calls = strtol(argv[2], NULL, 10)) <= 0)
        rt_fail("usage: roundtrip_curl URL CALLS DIR [CA_FILE]");
    body = rt_read(argv[3], "body.json", &body_len);
    lines = rt_read(argv[3], "headers.txt", &lines_len);
    latency = malloc((size_t)calls * sizeof(*latency));
    if (latency == NULL)
        rt_fail("out of memory");

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rt_fail("curl_global_init failed");
    easy = curl_easy_init();
    if (easy == NULL)
        rt_fail("curl_easy_init failed");

    for (line = strtok(lines, "\n"); line != NULL; line = strtok(NULL, "\n"))
        headers = curl_slist_append(headers, line);
    headers = curl_slist_append(headers, "Host: cam.tencentcloudapi.com");
    headers = curl_slist_append(headers, "Expect:");
    headers = curl_slist_append(headers, "Accept:");
    if (headers == NULL)
        rt_fail("out of memory");

    rt_set(curl_easy_setopt(easy, CURLOPT_URL, argv[1]));
    rt_set(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers));
    rt_set(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                            (curl_off_t)body_len));
    rt_set(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body));
    rt_set(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, rt_discard));
    rt_set(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
    rt_set(curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L));
    rt_set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L));
    rt_set(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L));
    rt_set(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L));
    if (argc > 4)
        rt_set(curl_easy_setopt(easy, CURLOPT_CAINFO, argv[4]));

    for (i = 0; i < WARM_UP; i++)
        rt_set(curl_easy_perform(easy));

    started = rt_seconds();
    for (i = 0; i < calls; i++) {
        double t0 = rt_seconds();

        rt_set(curl_easy_perform(easy));
        latency[i] = rt_seconds() - t0;
    }
    elapsed = rt_seconds() - started;

    rt_set(curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status));
    if (status != 200)
        rt_fail("the server did not return 200");

    qsort(latency, (size_t)calls, sizeof(*latency), rt_compare);
    printf("%.1f %.1f %.1f\n", (double)calls / elapsed,
           latency[(calls + 1) / 2 - 1] * 1e6,
           latency[(calls * 99 + 99) / 100 - 1] * 1e6);

    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    free(latency);
    free(lines);
    free(body);
    return 0;
}
