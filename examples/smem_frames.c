/* smem_frames: a libvlc client of smem-rs's frame ABI (include/smem.h), in C.
 * Plays MEDIA through
 *   #transcode{...}:smem{video-frame-callback=...,audio-frame-callback=...,time-sync=false}
 * and writes the visible lines of every picture (plane after plane, read
 * through the pitches smem gives) to VIDEO_OUT and every audio block to
 * AUDIO_OUT, then prints what arrived. Nothing is copied before the
 * callback: the planes point into VLC's own picture (venc=smem_raw, smem-rs's
 * encoder: without it VLC's raw encoder copies each picture first).
 *
 * It also keeps the last picture past its callback (hold), reads it after
 * libvlc is gone, and only then releases it: the lifetime smem.h promises.
 *
 *   cc -o smem_frames smem_frames.c $(pkg-config --cflags --libs libvlc smem)
 *   ./smem_frames MEDIA VIDEO_OUT AUDIO_OUT ["transcode{vcodec=RV24,venc=smem_raw,acodec=s16l}"]
 *
 * (Without `make install`, use -I include instead of `pkg-config smem`.)
 * SMEM_GRAB_VERBOSE=1 shows VLC's log on stderr.
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

#include <smem.h>

struct sink {
    FILE *out;
    unsigned long count;
    unsigned long bytes;
    int es_id;
    char format[256];
    const smem_frame_t *kept; /* the last picture, held */
};

static void fourcc(uint32_t code, char text[5])
{
    memcpy(text, &code, 4); /* VLC fourccs are little-endian: 'R','V','2','4' */
    text[4] = '\0';
}

/* Writes a picture's visible lines, plane after plane; returns the bytes. */
static size_t write_picture(const smem_video_t *v, FILE *out)
{
    size_t bytes = 0;
    if (v->plane_count == 0) /* not a picture smem can lay out: the data as VLC gave it */
        return fwrite(v->data, 1, v->size, out);
    for (uint32_t p = 0; p < v->plane_count; p++) {
        const smem_plane_t *plane = &v->planes[p];
        for (size_t line = 0; line < plane->lines; line++)
            bytes += fwrite(plane->pixels + line * plane->pitch, 1, plane->visible_bytes, out);
    }
    return bytes;
}

static void on_video(void *data, const smem_frame_t *frame)
{
    struct sink *sink = data;
    const smem_video_t *v = frame->video;
    sink->bytes += write_picture(v, sink->out);
    sink->count++;
    sink->es_id = frame->es_id;
    char chroma[5];
    fourcc(v->chroma, chroma);
    snprintf(sink->format, sizeof sink->format, "%ux%u %s planes=%u pitch0=%zu sar=%u/%u fps=%u/%u last_pts=%" PRId64,
             v->width, v->height, chroma, v->plane_count, v->plane_count ? v->planes[0].pitch : 0,
             v->sar_num, v->sar_den, v->frame_rate_num, v->frame_rate_den, frame->pts);

    /* Keep this picture instead of the previous one. hold returns NULL when
     * smem's max-held is reached: then simply do not keep it. */
    const smem_frame_t *held = frame->hold(frame);
    if (held != NULL) {
        if (sink->kept != NULL)
            sink->kept->release(sink->kept);
        sink->kept = held;
    }
}

static void on_audio(void *data, const smem_frame_t *frame)
{
    struct sink *sink = data;
    const smem_audio_t *a = frame->audio;
    fwrite(a->data, 1, a->size, sink->out);
    sink->count++;
    sink->bytes += a->size;
    sink->es_id = frame->es_id;
    char format[5];
    fourcc(a->format, format);
    snprintf(sink->format, sizeof sink->format, "%u channels %u Hz %u bits %s, %u samples, last_pts=%" PRId64,
             a->channels, a->rate, a->bits_per_sample, format, a->samples, frame->pts);
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
    const char *chain = argc > 4 ? argv[4] : "transcode{vcodec=RV24,venc=smem_raw,acodec=s16l}";

    /* Addresses as decimal numbers, as every smem client writes them. */
    char sout[1024];
    snprintf(sout, sizeof sout,
             ":sout=#%s%ssmem{video-frame-callback=%lld,video-data=%lld,"
             "audio-frame-callback=%lld,audio-data=%lld,time-sync=false}",
             chain, *chain ? ":" : "",
             (long long)(intptr_t)on_video, (long long)(intptr_t)&video,
             (long long)(intptr_t)on_audio, (long long)(intptr_t)&audio);

    /* VLC 3's transcodes fault their picture buffers in again every frame
     * when glibc gives them back to the kernel: keep them in the process. */
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

    /* libvlc is gone; the held picture is still ours until released. */
    unsigned long kept_checksum = 0;
    if (video.kept != NULL) {
        const smem_video_t *v = video.kept->video;
        for (size_t i = 0; i < v->size; i++)
            kept_checksum = kept_checksum * 31 + v->data[i];
        video.kept->release(video.kept);
    }
    fclose(video.out);
    fclose(audio.out);

    printf("state: %s\n", state == libvlc_Ended ? "Ended" : state == libvlc_Error ? "Error" : "other");
    printf("video_frames: %lu\nvideo_bytes: %lu\nvideo_format: %s\nvideo_es: %d\n", video.count, video.bytes,
           video.format, video.es_id);
    printf("audio_blocks: %lu\naudio_bytes: %lu\naudio_format: %s\naudio_es: %d\n", audio.count, audio.bytes,
           audio.format, audio.es_id);
    printf("kept_after_exit: %s (checksum %lu)\n", video.count ? "read and released" : "none", kept_checksum);
    return state == libvlc_Ended ? 0 : 1;
}
