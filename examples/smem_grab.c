/* smem_grab: the smallest libvlc client of smem, in C, as applications have
 * written it since VLC 1.1. Plays MEDIA through
 *   #transcode{...}:smem{video-prerender-callback=...,...,time-sync=false}
 * and writes every video frame to VIDEO_OUT and every audio block to
 * AUDIO_OUT, back to back, then prints what arrived.
 *
 *   cc -o smem_grab smem_grab.c $(pkg-config --cflags --libs libvlc)
 *   ./smem_grab MEDIA VIDEO_OUT AUDIO_OUT ["transcode{vcodec=RV24,acodec=s16l}"]
 *
 * SMEM_GRAB_VERBOSE=1 shows VLC's log on stderr. The callback signatures are
 * VLC 3.0's (size_t sizes since VLC 2.2).
 */
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vlc/vlc.h>

struct sink {
    FILE *out;
    uint8_t *buffer;
    size_t capacity;
    unsigned long count;
    unsigned long bytes;
    char format[128];
};

/* prerender: hand smem a buffer of at least `size` bytes. */
static void prerender(void *data, uint8_t **buffer, size_t size)
{
    struct sink *sink = data;
    if (size > sink->capacity) {
        uint8_t *bigger = realloc(sink->buffer, size);
        if (bigger == NULL) {
            *buffer = NULL; /* smem drops this frame and asks again next time */
            return;
        }
        sink->buffer = bigger;
        sink->capacity = size;
    }
    *buffer = sink->buffer;
}

/* Both postrenders: keep the bytes, count them. */
static struct sink *record(void *data, const uint8_t *buffer, size_t size)
{
    struct sink *sink = data;
    fwrite(buffer, 1, size, sink->out);
    sink->count++;
    sink->bytes += size;
    return sink;
}

static void video_postrender(void *data, uint8_t *buffer, int width, int height,
                             int pixel_pitch, size_t size, int64_t pts)
{
    struct sink *sink = record(data, buffer, size);
    snprintf(sink->format, sizeof sink->format, "%dx%d pixel_pitch=%d size=%zu last_pts=%" PRId64,
             width, height, pixel_pitch, size, pts);
}

static void audio_postrender(void *data, uint8_t *buffer, unsigned channels, unsigned rate,
                             unsigned nb_samples, unsigned bits_per_sample, size_t size, int64_t pts)
{
    struct sink *sink = record(data, buffer, size);
    snprintf(sink->format, sizeof sink->format, "%u channels %u Hz %u bits, %u samples, last_pts=%" PRId64,
             channels, rate, bits_per_sample, nb_samples, pts);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s MEDIA VIDEO_OUT AUDIO_OUT [CHAIN]\n", argv[0]);
        return 2;
    }
    struct sink video = { .out = fopen(argv[2], "wb") }, audio = { .out = fopen(argv[3], "wb") };
    if (video.out == NULL || audio.out == NULL) {
        perror("fopen");
        return 2;
    }
    const char *chain = argc > 4 ? argv[4] : "transcode{vcodec=RV24,acodec=s16l}";

    /* Addresses as decimal numbers, as every smem client writes them. */
    char sout[1024];
    snprintf(sout, sizeof sout,
             ":sout=#%s%ssmem{video-prerender-callback=%lld,video-postrender-callback=%lld,"
             "audio-prerender-callback=%lld,audio-postrender-callback=%lld,"
             "video-data=%lld,audio-data=%lld,time-sync=false}",
             chain, *chain ? ":" : "",
             (long long)(intptr_t)prerender, (long long)(intptr_t)video_postrender,
             (long long)(intptr_t)prerender, (long long)(intptr_t)audio_postrender,
             (long long)(intptr_t)&video, (long long)(intptr_t)&audio);

    /* VLC 3's transcodes fault their picture buffers in again every frame
     * when glibc gives them back to the kernel (2-3x slower): keep them in
     * the process, before VLC starts its threads. */
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    mallopt(M_ARENA_MAX, 1);

    const char *verbose = getenv("SMEM_GRAB_VERBOSE");
    const char *args[] = { "--no-xlib", "--aout=dummy", "--vout=dummy",
                           verbose && *verbose == '1' ? "--verbose=2" : "--quiet" };
    libvlc_instance_t *vlc = libvlc_new(sizeof args / sizeof *args, args);
    if (vlc == NULL) {
        fprintf(stderr, "libvlc_new failed\n");
        return 2;
    }
    /* A URL (rtsp://camera/...) or a file's path. */
    libvlc_media_t *media = strstr(argv[1], "://") ? libvlc_media_new_location(vlc, argv[1])
                                                   : libvlc_media_new_path(vlc, argv[1]);
    libvlc_media_add_option(media, sout);
    libvlc_media_player_t *player = libvlc_media_player_new_from_media(media);
    libvlc_media_release(media);
    libvlc_media_player_play(player);

    libvlc_state_t state;
    for (int waited_ms = 0; waited_ms < 60000; waited_ms += 10) {
        state = libvlc_media_player_get_state(player);
        if (state == libvlc_Ended || state == libvlc_Error || state == libvlc_Stopped)
            break;
        usleep(10000);
    }
    libvlc_media_player_stop(player); /* no callback runs after this */
    libvlc_media_player_release(player);
    libvlc_release(vlc);
    fclose(video.out);
    fclose(audio.out);

    printf("state: %s\n", state == libvlc_Ended ? "Ended" : state == libvlc_Error ? "Error" : "other");
    printf("video_frames: %lu\nvideo_bytes: %lu\nvideo_format: %s\n", video.count, video.bytes, video.format);
    printf("audio_blocks: %lu\naudio_bytes: %lu\naudio_format: %s\n", audio.count, audio.bytes, audio.format);
    free(video.buffer);
    free(audio.buffer);
    return state == libvlc_Ended ? 0 : 1;
}
