/* c_host: a plain C libvlc host for `make bench`, as small as the smem
 * clients people write: it sets the callbacks, keeps one buffer, counts.
 *
 *   c_host MEDIA SOUT
 *
 * SOUT is the whole :sout chain; {vpre} {vpost} {vdata} in it become this
 * host's callback and data addresses (decimal, as clients write them). It
 * prints wall_seconds (play to end), frames, faults_per_frame (minor page
 * faults of the whole process from the first frame to the last, per frame)
 * and max_rss_kb. Allocator settings come from the environment (MALLOC_*_),
 * as a user would set them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <vlc/vlc.h>

struct sink {
    uint8_t *buffer;
    size_t capacity;
    unsigned long frames;
    long faults_at_first;
    long faults_at_last;
};

static long minor_faults(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

static void prerender(void *data, uint8_t **buffer, size_t size)
{
    struct sink *sink = data;
    if (sink->frames == 0)
        sink->faults_at_first = minor_faults();
    if (size > sink->capacity) {
        free(sink->buffer);
        sink->buffer = malloc(size);
        sink->capacity = sink->buffer ? size : 0;
    }
    *buffer = sink->buffer;
}

static void postrender(void *data, uint8_t *buffer, int width, int height, int pitch, size_t size, int64_t pts)
{
    struct sink *sink = data;
    (void)buffer; (void)width; (void)height; (void)pitch; (void)size; (void)pts;
    sink->frames++;
    sink->faults_at_last = minor_faults();
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

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s MEDIA SOUT\n", argv[0]);
        return 2;
    }
    static struct sink video;
    char sout[4096];
    snprintf(sout, sizeof sout, ":sout=%s", argv[2]);
    replace(sout, sizeof sout, "{vpre}", (long long)(intptr_t)prerender);
    replace(sout, sizeof sout, "{vpost}", (long long)(intptr_t)postrender);
    replace(sout, sizeof sout, "{vdata}", (long long)(intptr_t)&video);

    const char *args[] = { "--no-xlib", "--aout=dummy", "--vout=dummy", "--quiet" };
    libvlc_instance_t *vlc = libvlc_new(sizeof args / sizeof *args, args);
    if (vlc == NULL)
        return 2;
    libvlc_media_t *media = libvlc_media_new_path(vlc, argv[1]);
    libvlc_media_add_option(media, sout);
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
    if (video.frames > 1)
        printf("faults_per_frame: %.1f\n", (double)(video.faults_at_last - video.faults_at_first) / (video.frames - 1));
    printf("max_rss_kb: %ld\n", usage.ru_maxrss);
    return state == libvlc_Ended ? 0 : 1;
}
