#!/usr/bin/env bash
# make_media.sh - regenerates the simulator's media fixtures (committed).
#
# Needs Debian's ffmpeg (libx264, mjpeg, aac, pcm_mulaw, g726).  Every encoder runs
# single-threaded with bitexact flags, so the output depends only on the
# ffmpeg/x264 versions.  qvrsim splits these files into frames at startup:
#   h264_*.h264   H.264 Annex B, an AUD NAL before every access unit, SPS/PPS
#                 repeated before every IDR, GOP 10, no B-frames, 10 fps, 4 s
#   mjpeg_240p.mjpeg  concatenated JPEGs, 5 fps, 4 s
#   g711_8k.ulaw  raw G.711 mu-law, 8 kHz mono, 4 s (160-byte chunks = 20 ms)
#   g726_8k.g726  the G.711 beeps as raw G.726 (ffmpeg's g726 encoder, 32 kbit/s,
#                 4-bit codes packed big-endian, "left-justified"), 8 kHz mono, 4 s
#                 (80-byte chunks = 20 ms)
#   aac_16k.adts  AAC-LC ADTS, 16 kHz mono, about 4 s (1024 samples a frame)
#   snap0..3.jpg  one snapshot per camera (different patterns)
# Usage: bash tools/media/make_media.sh [OUTDIR]   (default: this directory)
set -euo pipefail
OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$OUT"

FF=(ffmpeg -hide_banner -loglevel error -y -threads 1 -fflags +bitexact)
BITEXACT=(-flags:v +bitexact -flags:a +bitexact -map_metadata -1)
X264="keyint=10:min-keyint=10:scenecut=0:bframes=0:repeat-headers=1:aud=1:threads=1:sliced-threads=0:lookahead-threads=1"

h264() { # NAME SOURCE SIZE BITRATE
  "${FF[@]}" -f lavfi -i "$2=size=$3:rate=10" -t 4 -an -c:v libx264 -profile:v baseline \
    -pix_fmt yuv420p -b:v "$4" -maxrate "$4" -bufsize "$4" -x264-params "$X264" \
    "${BITEXACT[@]}" -bsf:v h264_mp4toannexb -f h264 "$OUT/$1"
}

h264 h264_720p.h264 testsrc 1280x720 160k
h264 h264_360p.h264 mandelbrot 640x360 120k

"${FF[@]}" -f lavfi -i "testsrc2=size=320x240:rate=5" -t 4 -an -c:v mjpeg -q:v 12 \
  -pix_fmt yuvj420p "${BITEXACT[@]}" -f mjpeg "$OUT/mjpeg_240p.mjpeg"

"${FF[@]}" -f lavfi -i "sine=frequency=440:sample_rate=8000:beep_factor=4" -t 4 -vn \
  -ac 1 -c:a pcm_mulaw "${BITEXACT[@]}" -f mulaw "$OUT/g711_8k.ulaw"

"${FF[@]}" -f mulaw -ar 8000 -ac 1 -i "$OUT/g711_8k.ulaw" -vn -c:a g726 -b:a 32k \
  "${BITEXACT[@]}" -f g726 "$OUT/g726_8k.g726"

"${FF[@]}" -f lavfi -i "sine=frequency=660:sample_rate=16000:beep_factor=2" -t 4 -vn \
  -ac 1 -c:a aac -b:a 24k "${BITEXACT[@]}" -f adts "$OUT/aac_16k.adts"

snap() { # NAME SOURCE
  "${FF[@]}" -f lavfi -i "$2" -frames:v 1 -an -c:v mjpeg -q:v 8 -pix_fmt yuvj420p \
    "${BITEXACT[@]}" -f image2 "$OUT/$1"
}
snap snap0.jpg "testsrc=size=640x360:rate=1"
snap snap1.jpg "mandelbrot=size=640x360:rate=1"
snap snap2.jpg "smptebars=size=640x360:rate=1"
snap snap3.jpg "rgbtestsrc=size=640x360:rate=1"

ls -l "$OUT" | grep -v make_media
du -cb "$OUT"/*.h264 "$OUT"/*.mjpeg "$OUT"/*.ulaw "$OUT"/*.g726 "$OUT"/*.adts "$OUT"/*.jpg | tail -1
