/* decode-limit: the decoders' own speed, the yardstick for voxgate's throughput (issue 18).
 *
 * Decodes every file named in LIST (one path a line) with libsndfile to 32-bit floats, in blocks of 4096
 * frames, and does nothing else with the samples. With --mpg123, files named *.mp3 go to libmpg123 directly
 * (float output, no libsndfile layer) instead: to measure what that layer costs. With --memory, each file is read whole
 * into memory first and libsndfile decodes it from there (sf_open_virtual), as voxgate does with uploads up to 4 MiB:
 * one read instead of libsndfile's hundreds of small reads and seeks. With --opus, as --memory, and files named *.opus
 * go to libogg and libopus's single-stream decoder (opus_decode_float) instead of libsndfile, whose multistream path
 * runs libopus's CPU-feature check (cpuid, which exits to the hypervisor in a VM) about four times a packet: voxgate's
 * OggOpusBackend does the same. JOBS processes take the next file from a shared counter
 * (as voxgate's workers do), so a long file does not leave the other process idle. Prints one JSON line:
 * files, frames, audio seconds, wall seconds, failures.
 *
 *   cc -O2 -o decode-limit decode-limit.c -lsndfile -lmpg123 -logg -lopus
 *   decode-limit LIST [JOBS] [--mpg123 | --memory | --opus]
 */
#include <fcntl.h>
#include <mpg123.h>
#include <ogg/ogg.h>
#include <opus/opus.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
static int use_memory = 0;
static int use_opus = 0;

/* A file in memory, as libsndfile's virtual I/O sees it. */
struct memory_file {
    const unsigned char *bytes;
    sf_count_t size, position;
};
static sf_count_t memory_length(void *user) { return ((struct memory_file *)user)->size; }
static sf_count_t memory_seek(sf_count_t offset, int whence, void *user) {
    struct memory_file *m = user;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->position : m->size;
    sf_count_t p = base + offset;
    m->position = p < 0 ? 0 : p > m->size ? m->size : p;
    return m->position;
}
static sf_count_t memory_read(void *out, sf_count_t count, void *user) {
    struct memory_file *m = user;
    if (count > m->size - m->position) count = m->size - m->position;
    memcpy(out, m->bytes + m->position, (size_t)count);
    m->position += count;
    return count;
}
static sf_count_t memory_write(const void *in, sf_count_t count, void *user) { return 0; }
static sf_count_t memory_tell(void *user) { return ((struct memory_file *)user)->position; }

/* Reads PATH whole into *BUFFER (grown as needed); the byte count, or -1. */
static long read_whole(const char *path, unsigned char **buffer, size_t *capacity) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    if ((size_t)st.st_size > *capacity) {
        free(*buffer);
        *capacity = (size_t)st.st_size;
        *buffer = malloc(*capacity);
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, *buffer + got, (size_t)st.st_size - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    return (long)got;
}

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

/* One Ogg Opus file in memory through libogg and opus_decode_float: the decoding rate libsndfile picks, the pre-skip
 * dropped and the end trimmed to the last granule (plain files: one stream, mono or stereo). */
static void decode_opus(const unsigned char *bytes, long size, struct shared *sh) {
    ogg_sync_state oy;
    ogg_stream_state os;
    ogg_page og;
    ogg_packet op;
    static float pcm[5760 * 2];
    ogg_sync_init(&oy);
    memcpy(ogg_sync_buffer(&oy, size), bytes, size);
    ogg_sync_wrote(&oy, size);
    OpusDecoder *dec = NULL;
    int started = 0, packets = 0, channels = 1, factor = 1, preskip = 0, bad = 0;
    long long position = 0;
    long frames = 0;
    while (!bad && ogg_sync_pageout(&oy, &og) == 1) {
        if (!started) ogg_stream_init(&os, ogg_page_serialno(&og));
        started = 1;
        ogg_stream_pagein(&os, &og);
        long long granule = ogg_page_granulepos(&og);
        while (!bad && ogg_stream_packetout(&os, &op) == 1) {
            if (packets++ == 0) {
                if (op.bytes < 19 || memcmp(op.packet, "OpusHead", 8) != 0 || op.packet[9] < 1 || op.packet[9] > 2) {
                    bad = 1;
                    break;
                }
                channels = op.packet[9];
                preskip = op.packet[10] | op.packet[11] << 8;
                int rate = op.packet[12] | op.packet[13] << 8 | op.packet[14] << 16 | op.packet[15] << 24;
                factor = rate > 24000 ? 1 : rate > 16000 ? 2 : rate > 12000 ? 3 : rate > 8000 ? 4 : 6;
                int err;
                dec = opus_decoder_create(48000 / factor, channels, &err);
                if (err != OPUS_OK) bad = 1;
                continue;
            }
            if (packets == 2) continue; /* OpusTags */
            int n = opus_decode_float(dec, op.packet, op.bytes, pcm, 5760, 0);
            if (n < 0) {
                bad = 1;
                break;
            }
            long long end = position + (long long)n * factor;
            long len = n;
            if (ogg_page_eos(&og) && end > granule) len = granule > position ? (granule - position) / factor : 0;
            long skip = position < preskip ? (preskip - position) / factor : 0;
            frames += len > skip ? len - skip : 0;
            position = end;
        }
    }
    if (started) ogg_stream_clear(&os);
    ogg_sync_clear(&oy);
    if (dec) opus_decoder_destroy(dec);
    if (bad || !dec) atomic_fetch_add(&sh->failures, 1);
    atomic_fetch_add(&sh->frames, frames);
    atomic_fetch_add(&sh->micro_audio_s, (long)((double)frames / (48000 / factor) * 1e6));
}

static void worker(char **paths, long count, struct shared *sh) {
    float *block = NULL;
    size_t capacity = 0;
    unsigned char *image = NULL;
    size_t image_capacity = 0;
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
        SNDFILE *f;
        struct memory_file file;
        if (use_memory) {
            long size = read_whole(paths[i], &image, &image_capacity);
            if (use_opus && size > 0 && ends_with(paths[i], ".opus")) {
                decode_opus(image, size, sh);
                continue;
            }
            file = (struct memory_file){image, size < 0 ? 0 : size, 0};
            SF_VIRTUAL_IO io = {memory_length, memory_seek, memory_read, memory_write, memory_tell};
            f = size < 0 ? NULL : sf_open_virtual(&io, SFM_READ, &info, &file);
        } else {
            f = sf_open(paths[i], SFM_READ, &info);
        }
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
    free(image);
    if (mh) mpg123_delete(mh);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: decode-limit LIST [JOBS] [--mpg123 | --memory | --opus]\n");
        return 64;
    }
    int jobs = argc > 2 ? atoi(argv[2]) : 1;
    use_mpg123 = argc > 3 && strcmp(argv[3], "--mpg123") == 0;
    use_opus = argc > 3 && strcmp(argv[3], "--opus") == 0;
    use_memory = use_opus || (argc > 3 && strcmp(argv[3], "--memory") == 0);
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
           use_mpg123 ? "+mpg123" : use_opus ? "+opus" : use_memory ? "+memory" : "", jobs, count, atomic_load(&sh->frames), atomic_load(&sh->micro_audio_s) / 1e6, wall,
           atomic_load(&sh->failures));
    return failed ? 70 : 0;
}
