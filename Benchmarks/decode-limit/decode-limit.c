/* decode-limit: the decoders' own speed, the yardstick for voxgate's throughput (issue 18).
 *
 * Decodes every file named in LIST (one path a line) with libsndfile to 32-bit floats, in blocks of 4096
 * frames, and does nothing else with the samples. With --mpg123, files named *.mp3 go to libmpg123 directly
 * (float output, no libsndfile layer) instead: to measure what that layer costs. JOBS processes take the next file from a shared counter
 * (as voxgate's workers do), so a long file does not leave the other process idle. Prints one JSON line:
 * files, frames, audio seconds, wall seconds, failures.
 *
 *   cc -O2 -o decode-limit decode-limit.c -lsndfile -lmpg123
 *   decode-limit LIST [JOBS] [--mpg123]
 */
#include <mpg123.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
    atomic_long next;
    atomic_long frames;
    atomic_long micro_audio_s; /* audio seconds × 1e6 */
    atomic_long failures;
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int use_mpg123 = 0;

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* One MP3 through libmpg123 alone, floats out, gapless (as libsndfile sets it up). */
static void decode_mpg123(const char *path, struct shared *sh, mpg123_handle *mh) {
    static float out[4096 * 2];
    long rate;
    int channels, encoding;
    if (mpg123_open(mh, path) != MPG123_OK || mpg123_getformat(mh, &rate, &channels, &encoding) != MPG123_OK) {
        atomic_fetch_add(&sh->failures, 1);
        mpg123_close(mh);
        return;
    }
    long samples = 0;
    size_t done;
    int err;
    while ((err = mpg123_read(mh, out, sizeof out, &done)) == MPG123_OK || err == MPG123_NEW_FORMAT || done > 0) {
        samples += done / sizeof(float);
        if (err == MPG123_DONE) break;
    }
    if (err != MPG123_DONE && err != MPG123_OK) atomic_fetch_add(&sh->failures, 1);
    mpg123_close(mh);
    long frames = samples / channels;
    atomic_fetch_add(&sh->frames, frames);
    atomic_fetch_add(&sh->micro_audio_s, (long)((double)frames / rate * 1e6));
}

static void worker(char **paths, long count, struct shared *sh) {
    float *block = NULL;
    size_t capacity = 0;
    mpg123_handle *mh = NULL;
    if (use_mpg123) {
        mpg123_init();
        mh = mpg123_new(NULL, NULL);
        mpg123_param(mh, MPG123_ADD_FLAGS, MPG123_FORCE_FLOAT | MPG123_GAPLESS | MPG123_QUIET, 0.0);
    }
    for (;;) {
        long i = atomic_fetch_add(&sh->next, 1);
        if (i >= count) break;
        if (mh && ends_with(paths[i], ".mp3")) {
            decode_mpg123(paths[i], sh, mh);
            continue;
        }
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *f = sf_open(paths[i], SFM_READ, &info);
        if (!f) {
            atomic_fetch_add(&sh->failures, 1);
            continue;
        }
        size_t need = (size_t)4096 * (size_t)info.channels;
        if (need > capacity) {
            free(block);
            block = malloc(need * sizeof(float));
            capacity = need;
        }
        long frames = 0;
        sf_count_t got;
        while ((got = sf_readf_float(f, block, 4096)) > 0) frames += got;
        if (sf_error(f)) atomic_fetch_add(&sh->failures, 1);
        sf_close(f);
        atomic_fetch_add(&sh->frames, frames);
        atomic_fetch_add(&sh->micro_audio_s, (long)((double)frames / info.samplerate * 1e6));
    }
    free(block);
    if (mh) mpg123_delete(mh);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: decode-limit LIST [JOBS] [--mpg123]\n");
        return 64;
    }
    int jobs = argc > 2 ? atoi(argv[2]) : 1;
    use_mpg123 = argc > 3 && strcmp(argv[3], "--mpg123") == 0;
    if (jobs < 1) jobs = 1;
    FILE *list = fopen(argv[1], "r");
    if (!list) {
        perror(argv[1]);
        return 66;
    }
    char **paths = NULL;
    long count = 0, cap = 0;
    char line[4096];
    while (fgets(line, sizeof line, list)) {
        size_t n = strcspn(line, "\n");
        if (n == 0) continue;
        line[n] = 0;
        if (count == cap) {
            cap = cap ? cap * 2 : 1024;
            paths = realloc(paths, cap * sizeof *paths);
        }
        paths[count++] = strdup(line);
    }
    fclose(list);
    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 71;
    }
    memset(sh, 0, sizeof *sh);
    double start = now();
    for (int j = 0; j < jobs; j++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 71;
        }
        if (pid == 0) {
            worker(paths, count, sh);
            _exit(0);
        }
    }
    int status, failed = 0;
    while (wait(&status) > 0)
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
    double wall = now() - start;
    printf("{\"mode\":\"decode-limit%s\",\"jobs\":%d,\"files\":%ld,\"frames\":%ld,\"audio_s\":%.3f,\"wall_s\":%.3f,"
           "\"failures\":%ld}\n",
           use_mpg123 ? "+mpg123" : "", jobs, count, atomic_load(&sh->frames), atomic_load(&sh->micro_audio_s) / 1e6, wall,
           atomic_load(&sh->failures));
    return failed ? 70 : 0;
}
