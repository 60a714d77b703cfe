/* smem.h: the frame ABI of smem_rs, the Rust `smem` stream output for VLC 3.0.
 *
 * An opt-in second way to receive frames, beside the stock prerender /
 * postrender pair: one callback per kind gets a self-describing frame whose
 * planes point into VLC's own block (no copy).
 *
 *   :sout=#transcode{vcodec=RV32}:smem{video-frame-callback=<addr>,video-data=<addr>}
 *
 *   void on_frame(void *data, const smem_frame_t *frame);
 *
 * Lifetime: a frame is valid until the callback returns. To keep it longer,
 * call `frame->hold(frame)` (during the callback, on its thread): it returns
 * a frame that stays valid until you pass it to its `release`, from any
 * thread, even after the player, the smem output or libvlc itself is gone.
 * `hold` returns NULL when the output already holds `max-held` frames
 * (`sout-smem-max-held`, default 16): copy what you need, or release some.
 * Holding a held frame again adds a reference; each hold needs one release.
 *
 * Versioning: `struct_size` and `version` come first and the structures only
 * ever grow at their end. Read a field only if `struct_size` (or the
 * sub-structure's `struct_size`) covers it.
 *
 * Only <stdint.h> and <stddef.h> are needed; the module is found by VLC's
 * plugin loader, so nothing is linked.
 */
#ifndef SMEM_H
#define SMEM_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMEM_FRAME_VERSION 4
#define SMEM_MAX_PLANES 4

/* smem_frame_t.kind */
#define SMEM_KIND_VIDEO 1
#define SMEM_KIND_AUDIO 2

/* smem_frame_t.flags, from the block's flags */
#define SMEM_FLAG_KEYFRAME 0x1u      /* an intra frame (BLOCK_FLAG_TYPE_I) */
#define SMEM_FLAG_DISCONTINUITY 0x2u /* data before this one is not contiguous with it */
#define SMEM_FLAG_CORRUPTED 0x4u     /* the decoder or demuxer saw damage */

/* smem_video_t.field_order (version 3): how the frame was coded, as VLC's packetizer flagged
 * the block it was decoded from */
#define SMEM_FIELDS_UNKNOWN 0      /* no block flags reach smem (transcode drops them) */
#define SMEM_FIELDS_PROGRESSIVE 1  /* the block had no field flag: VLC takes it as progressive */
#define SMEM_FIELDS_TOP_FIRST 2    /* interlaced, top field first (BLOCK_FLAG_TOP_FIELD_FIRST) */
#define SMEM_FIELDS_BOTTOM_FIRST 3 /* interlaced, bottom field first */

/* smem_video_t.color_source (version 3): where the colour fields come from */
#define SMEM_COLOR_UNKNOWN 0 /* nothing said: the colour fields are 0 */
#define SMEM_COLOR_FRAMES 1  /* the format of the frames smem receives */
#define SMEM_COLOR_SOURCE 2  /* the source track's, as its demuxer or packetizer declared it before
                              * transcode (which drops it): needs smem_mark first in the chain */

/* smem_frame_t.media_time and camera_time when it is not known */
#define SMEM_TIME_UNKNOWN (-9223372036854775807LL - 1) /* INT64_MIN */

typedef struct smem_plane {
    const uint8_t *pixels; /* the first visible byte of the plane */
    size_t pitch;          /* bytes from one line to the next */
    size_t visible_bytes;  /* picture bytes at the start of each line */
    size_t lines;          /* visible lines */
} smem_plane_t;

typedef struct smem_video {
    uint32_t struct_size;
    uint32_t chroma;         /* VLC fourcc (VLC_FOURCC('R','V','3','2')...), or the codec if not raw */
    uint32_t width;          /* visible size */
    uint32_t height;
    uint32_t x_offset;       /* where the visible part starts in the coded picture */
    uint32_t y_offset;
    uint32_t coded_width;    /* the coded picture, as VLC's format says */
    uint32_t coded_height;
    uint32_t sar_num;        /* sample aspect ratio; 0/0 if unknown */
    uint32_t sar_den;
    uint32_t frame_rate_num; /* frames per second as num/den; 0/0 if unknown */
    uint32_t frame_rate_den;
    int32_t color_space;     /* VLC's video_color_space_t: 0 undefined, 1 BT.601, 2 BT.709, 3 BT.2020 */
    int32_t color_range_full; /* 1 full range, 0 limited (studio) range */
    int32_t primaries;       /* VLC's video_color_primaries_t */
    int32_t transfer;        /* VLC's video_transfer_func_t */
    int32_t orientation;     /* VLC's video_orientation_t: 0 normal (top left) */
    uint32_t plane_count;    /* 0: not a picture smem can lay out (encoded data): use data/size */
    smem_plane_t planes[SMEM_MAX_PLANES];
    const uint8_t *data;     /* the whole block as VLC gave it */
    size_t size;
    /* Version 3. */
    uint32_t pixel_size;     /* bytes of a plane's pixel, as libvlccore says: one sample of planar YUV
                              * (2 for 10, 12 and 16 bits), a whole pixel of packed RGB (3 for RV24); 0 if not raw */
    uint32_t pixel_bits;     /* bits of those used: 10 for I0AL and P010, 8 for I420, 24 for RV24 */
    uint32_t field_order;    /* SMEM_FIELDS_* */
    uint32_t color_source;   /* SMEM_COLOR_*: where color_space..transfer come from */
} smem_video_t;

typedef struct smem_audio {
    uint32_t struct_size;
    uint32_t format;            /* VLC fourcc of the samples: 's16l', 'f32l'... */
    uint32_t rate;              /* Hz */
    uint32_t channels;
    uint32_t physical_channels; /* VLC's AOUT_CHAN_* mask */
    uint32_t bits_per_sample;
    uint32_t samples;           /* per channel */
    uint32_t reserved;
    const uint8_t *data;        /* interleaved samples */
    size_t size;                /* bytes */
} smem_audio_t;

typedef struct smem_frame smem_frame_t;

struct smem_frame {
    uint32_t struct_size; /* sizeof(smem_frame_t) as the module was built */
    uint32_t version;     /* SMEM_FRAME_VERSION */
    uint32_t kind;        /* SMEM_KIND_VIDEO or SMEM_KIND_AUDIO */
    int32_t es_id;        /* VLC's ES id: tells two audio tracks apart */
    int64_t pts;          /* microseconds on VLC's clock; 0 if unknown */
    int64_t dts;
    uint32_t flags;       /* SMEM_FLAG_* */
    uint32_t generation;  /* changes whenever the format of the frames does */
    uint64_t dropped_before; /* frames of this track dropped since the previous one (queue drop policy) */
    const smem_video_t *video; /* the kind's description; the other is NULL */
    const smem_audio_t *audio;
    /* Keeps the frame past the callback: returns the frame to use and release, or NULL at the bound. */
    const smem_frame_t *(*hold)(const smem_frame_t *frame);
    /* Gives a held frame back. Any thread; after the output, player or libvlc is gone too. */
    void (*release)(const smem_frame_t *frame);
    /* Version 2. The frame's time in the stream's own time line (the demuxer's, as ffprobe's
     * pts_time gives it), microseconds, through seeks and pauses; SMEM_TIME_UNKNOWN unless the chain
     * starts with smem_mark and the input has :demux-filter=smem_preroll, as smem-client does. */
    int64_t media_time;
    /* Version 4. When the camera took the frame, on its own wall clock as its RTCP sender reports
     * tell it (RTP time against NTP time): microseconds since the Unix epoch (1970, UTC).
     * SMEM_TIME_UNKNOWN before the input's first sender report, for inputs that send none (files,
     * any input but smem_rs's rtsp://), and without media_time. */
    int64_t camera_time;
    /* Version 4. The frame is the track's first after a gap in the stream (the input lost its
     * connection and reconnected): the gap's length, microseconds; 0 if none. Such a frame has
     * SMEM_FLAG_DISCONTINUITY too. Needs media_time, as camera_time. */
    int64_t gap_before;
};

/* The type of video-frame-callback and audio-frame-callback. */
typedef void (*smem_frame_callback)(void *data, const smem_frame_t *frame);

#ifdef __cplusplus
}
#endif

#endif /* SMEM_H */
