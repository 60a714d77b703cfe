/* c_host: a plain C libvlc host, as small as the smem clients people write:
 * it sets the callbacks, keeps one buffer per track, counts. `make bench`
 * times it; tests/delivery.rs reads which threads called it.
 *
 *   c_host MEDIA SOUT
 *
 * SOUT is the whole :sout chain; {vpre} {vpost} {vdata} {apre} {apost}
 * {adata} in it become this host's callback and data addresses (decimal, as
 * clients write them), and {vframe} {aframe} its frame callbacks (the frame
 * ABI of include/smem.h: nothing copied, the frame is only counted); without
 * {apost} or {aframe}, audio is not streamed. It prints
 * wall_seconds (play to end), frames, audio_blocks, faults_per_frame (minor
 * page faults of the whole process from the first video frame to the last,
 * per frame), video_threads, audio_threads and threads (distinct callers of
 * the callbacks), overlaps (a callback began while another ran) and
 * max_rss_kb. Allocator settings come from the environment (MALLOC_*_), as
 * a user would set them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <vlc/vlc.h>

#include "smem.h"

#define MAX_THREADS 16

struct sink {
    uint8_t *buffer;
    size_t capacity;
    unsigned long frames;
    long faults_at_first;
    long faults_at_last;
    pthread_t threads[MAX_THREADS];
    int thread_count;
};

static struct sink video, audio;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int in_callback;
static atomic_long overlaps;

static long minor_faults(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

static void note_thread(struct sink *sink)
{
    pthread_t me = pthread_self();
    pthread_mutex_lock(&lock);
    int known = 0;
    for (int i = 0; i < sink->thread_count; i++)
        known |= pthread_equal(sink->threads[i], me);
    if (!known && sink->thread_count < MAX_THREADS)
        sink->threads[sink->thread_count++] = me;
    pthread_mutex_unlock(&lock);
}

static void prerender(void *data, uint8_t **buffer, size_t size)
{
    struct sink *sink = data;
    if (atomic_fetch_add(&in_callback, 1) != 0)
        atomic_fetch_add(&overlaps, 1);
    note_thread(sink);
    if (sink == &video && sink->frames == 0)
        sink->faults_at_first = minor_faults();
    if (size > sink->capacity) {
        free(sink->buffer);
        sink->buffer = malloc(size);
        sink->capacity = sink->buffer ? size : 0;
    }
    *buffer = sink->buffer;
    if (*buffer == NULL)
        atomic_fetch_sub(&in_callback, 1);
}

static void done(struct sink *sink)
{
    note_thread(sink);
    sink->frames++;
    if (sink == &video)
        sink->faults_at_last = minor_faults();
    atomic_fetch_sub(&in_callback, 1);
}

static void video_postrender(void *data, uint8_t *buffer, int width, int height, int pitch, size_t size, int64_t pts)
{
    (void)buffer; (void)width; (void)height; (void)pitch; (void)size; (void)pts;
    done(data);
}

static void audio_postrender(void *data, uint8_t *buffer, unsigned channels, unsigned rate, unsigned samples,
                             unsigned bits, size_t size, int64_t pts)
{
    (void)buffer; (void)channels; (void)rate; (void)samples; (void)bits; (void)size; (void)pts;
    done(data);
}

/* The frame ABI: the frame points into VLC's block; a host that only
 * counts reads nothing of it, like the dummy sink. */
static void frame_callback(void *data, const smem_frame_t *frame)
{
    struct sink *sink = data;
    (void)frame;
    if (atomic_fetch_add(&in_callback, 1) != 0)
        atomic_fetch_add(&overlaps, 1);
    if (sink == &video && sink->frames == 0)
        sink->faults_at_first = minor_faults();
    done(sink);
}

static void replace(char *text, size_t room, const char *key, long long value)
{
    char *at;
    while ((at = strstr(text, key)) != NULL) {
        char rest[4096], number[32];
        snprintf(rest, sizeof rest, "%s", at + strlen(key));
        snprintf(number, sizeof number, "%lld", value);
        snprintf(at, room - (size_t)(at - text), "%s%s", number, rest);
    }
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int distinct_threads(void)
{
    int n = video.thread_count;
    for (int i = 0; i < audio.thread_count; i++) {
        int known = 0;
        for (int j = 0; j < video.thread_count; j++)
            known |= pthread_equal(audio.threads[i], video.threads[j]);
        n += !known;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s MEDIA SOUT\n", argv[0]);
        return 2;
    }
    char sout[4096];
    snprintf(sout, sizeof sout, ":sout=%s", argv[2]);
    int with_audio = strstr(sout, "{apost}") != NULL || strstr(sout, "{aframe}") != NULL;
    replace(sout, sizeof sout, "{vpre}", (long long)(intptr_t)prerender);
    replace(sout, sizeof sout, "{vpost}", (long long)(intptr_t)video_postrender);
    replace(sout, sizeof sout, "{vdata}", (long long)(intptr_t)&video);
    replace(sout, sizeof sout, "{apre}", (long long)(intptr_t)prerender);
    replace(sout, sizeof sout, "{apost}", (long long)(intptr_t)audio_postrender);
    replace(sout, sizeof sout, "{adata}", (long long)(intptr_t)&audio);
    replace(sout, sizeof sout, "{vframe}", (long long)(intptr_t)frame_callback);
    replace(sout, sizeof sout, "{aframe}", (long long)(intptr_t)frame_callback);

    const char *args[] = { "--no-xlib", "--aout=dummy", "--vout=dummy", "--quiet" };
    libvlc_instance_t *vlc = libvlc_new(sizeof args / sizeof *args, args);
    if (vlc == NULL)
        return 2;
    /* A URL (rtsp://camera/...) or a file's path. */
    libvlc_media_t *media = strstr(argv[1], "://") ? libvlc_media_new_location(vlc, argv[1])
                                                   : libvlc_media_new_path(vlc, argv[1]);
    libvlc_media_add_option(media, sout);
    if (!with_audio)
        libvlc_media_add_option(media, ":no-sout-audio");
    libvlc_media_player_t *player = libvlc_media_player_new_from_media(media);
    libvlc_media_release(media);
    double start = now();
    libvlc_media_player_play(player);
    libvlc_state_t state;
    for (;;) {
        state = libvlc_media_player_get_state(player);
        if (state == libvlc_Ended || state == libvlc_Error || state == libvlc_Stopped || now() - start > 300)
            break;
        usleep(2000);
    }
    double wall = now() - start;
    libvlc_media_player_stop(player);
    libvlc_media_player_release(player);
    libvlc_release(vlc);

    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("state: %s\n", state == libvlc_Ended ? "Ended" : "other");
    printf("wall_seconds: %.3f\n", wall);
    printf("frames: %lu\n", video.frames);
    printf("audio_blocks: %lu\n", audio.frames);
    if (video.frames > 1)
        printf("faults_per_frame: %.1f\n", (double)(video.faults_at_last - video.faults_at_first) / (video.frames - 1));
    printf("video_threads: %d\naudio_threads: %d\nthreads: %d\n", video.thread_count, audio.thread_count, distinct_threads());
    printf("overlaps: %ld\n", atomic_load(&overlaps));
    printf("max_rss_kb: %ld\n", usage.ru_maxrss);
    return state == libvlc_Ended ? 0 : 1;
}
