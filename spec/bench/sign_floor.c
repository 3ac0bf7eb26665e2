/*
 * sign_floor.c: the C floor for the signing benchmark, with no Lua.
 *
 *   sign_floor BODY_FILE ITERATIONS
 *
 * Calls cam_sign() from csrc/cam_sign.c on the fixture inputs (the same
 * values as spec/bench/fixture.lua) and prints one line: microseconds of
 * process CPU time per call, then the Authorization value of the last call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cam_sign.h"

#define FLOOR_BYTES(s) { (s), sizeof(s) - 1 }

static double floor_cpu_seconds(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *floor_read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    char *data = NULL;
    long size;

    if (file == NULL || fseek(file, 0, SEEK_END) != 0
        || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0
        || (data = malloc((size_t)size + 1)) == NULL
        || fread(data, 1, (size_t)size, file) != (size_t)size) {
        perror(path);
        exit(1);
    }
    fclose(file);
    *len = (size_t)size;
    return data;
}

int main(int argc, char **argv)
{
    cam_sign_request req = {
        FLOOR_BYTES("AKIDCamEmulatorDemo00000000000001"),
        FLOOR_BYTES("CamEmulatorDemoSecretKey00000001"),
        FLOOR_BYTES("cam"),
        FLOOR_BYTES("cam.tencentcloudapi.com"),
        FLOOR_BYTES("application/json"),
        FLOOR_BYTES("POST"),
        FLOOR_BYTES(""),
        { NULL, 0 },
        1700000000,
    };
    cam_signer *signer;
    char *body;
    char *out;
    size_t out_size;
    size_t out_len = 0;
    long iterations;
    long i;
    double started;
    double seconds;

    if (argc != 3 || (iterations = strtol(argv[2], NULL, 10)) <= 0) {
        fprintf(stderr, "usage: sign_floor BODY_FILE ITERATIONS\n");
        return 2;
    }
    body = floor_read_file(argv[1], &req.body.len);
    req.body.ptr = body;

    signer = cam_signer_new();
    out_size = cam_sign_max_len(&req);
    out = malloc(out_size);
    if (signer == NULL || out == NULL) {
        fprintf(stderr, "sign_floor: setup failed\n");
        return 1;
    }

    for (i = 0; i < iterations && i < 2000; i++)
        if (cam_sign(signer, &req, out, out_size, &out_len) != 0)
            return 1;

    started = floor_cpu_seconds();
    for (i = 0; i < iterations; i++)
        if (cam_sign(signer, &req, out, out_size, &out_len) != 0)
            return 1;
    seconds = floor_cpu_seconds() - started;

    printf("%.3f %.*s\n", seconds * 1e6 / (double)iterations, (int)out_len,
           out);
    cam_signer_free(signer);
    free(out);
    free(body);
    return 0;
}
