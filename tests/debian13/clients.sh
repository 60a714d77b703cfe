#!/bin/sh
# The three kinds of clients people write, on one machine: a plain C libvlc
# program (examples/smem_grab.c, compiled here), a python-vlc one
# (examples/smem_grab.py, on Debian's python3 and python3-vlc) and smem-grab. Prints `name: value` lines: what
# each got (frame and block counts, a hash of the bytes) and which smem
# module VLC used. Run by tests/debian13.sh on Debian 12 and in Debian 13.
# With a URL, the C client and smem-grab also grab a camera's stream there
# (rtsp://: the plugin's own RTSP input).
#   clients.sh DIR MEDIA GRAB [URL]    (DIR holds smem_grab.c and smem_grab.py)
set -eu
dir=$1 media=$2 grab=$3 url=${4:-}
cd "$dir"
cc -Wall -O2 -o smem_grab smem_grab.c $(pkg-config --cflags --libs libvlc)
module() { sed -n 's/.*using sout stream module "\([a-z_]*smem[a-z_]*\)".*/\1/p' "$1" | head -1; }
hash() { md5sum "$1" | cut -d' ' -f1; }
for chain in "" "transcode{vcodec=I420,acodec=s16l}"; do
  name=${chain:+transcode}; name=${name:-raw}
  SMEM_GRAB_VERBOSE=1 ./smem_grab "$media" c.video c.audio "$chain" >c.txt 2>c.log
  echo "c_${name}_video_frames: $(sed -n 's/^video_frames: //p' c.txt)"
  echo "c_${name}_audio_blocks: $(sed -n 's/^audio_blocks: //p' c.txt)"
  echo "c_${name}_video_md5: $(hash c.video)"
  echo "c_${name}_audio_md5: $(hash c.audio)"
  echo "c_${name}_module: $(module c.log)"
  SMEM_GRAB_VERBOSE=1 /usr/bin/python3 smem_grab.py "$media" py.video py.audio "$chain" >py.txt 2>py.log
  echo "python_${name}_video_frames: $(sed -n 's/^video_frames: //p' py.txt)"
  echo "python_${name}_video_md5: $(hash py.video)"
  echo "python_${name}_audio_md5: $(hash py.audio)"
  echo "python_${name}_module: $(module py.log)"
done
"$grab" "$media" -o grab --format raw --no-audio --no-progress >grab.txt
echo "grab_video_frames: $(sed -n 's/^video_frames: //p' grab.txt)"
echo "grab_abi: $(sed -n 's/^abi: //p' grab.txt)"
echo "grab_video_md5: $(hash grab/video.rgb)"
if [ -n "$url" ]; then
  SMEM_GRAB_VERBOSE=1 ./smem_grab "$url" c.video c.audio "transcode{vcodec=I420,venc=smem_raw}" >c.txt 2>c.log
  echo "c_rtsp_video_frames: $(sed -n 's/^video_frames: //p' c.txt)"
  echo "c_rtsp_video_md5: $(hash c.video)"
  echo "c_rtsp_module: $(module c.log)"
  "$grab" "$url" -o grab-rtsp --format raw --no-audio --no-progress >grab-rtsp.txt
  echo "grab_rtsp_video_frames: $(sed -n 's/^video_frames: //p' grab-rtsp.txt)"
  echo "grab_rtsp_video_md5: $(hash grab-rtsp/video.rgb)"
fi
