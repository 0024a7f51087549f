#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerate the generated seeds of corpus/ (run by hand; the outputs are
# committed, so nothing is made at build or test time). Tiny files: the
# fuzzer mutates small inputs much faster. Copied seeds are listed in
# corpus/SOURCES.md.
set -euo pipefail
cd "$(dirname "$0")/corpus"
ff() { ffmpeg -v error -y "$@"; }
src="-f lavfi -i testsrc=size=32x24:rate=5:duration=0.4"
snd="-f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.3"
p=probe
mkdir -p $p/{mp4,mov,mkv,webm,ts,ogg,mp3,wav,jpeg,png,gif,webp,heif,tiff}
ff $src $snd -c:v libx264 -preset ultrafast -c:a aac -b:a 16k -movflags +faststart $p/mp4/gen_h264_aac.mp4
ff $src -c:v libx264 -preset ultrafast -frag_duration 100000 -movflags +frag_keyframe+empty_moov $p/mp4/gen_fragmented.mp4
ff $src $snd -c:v mjpeg -c:a pcm_s16le $p/mov/gen_mjpeg_pcm.mov
ff $src $snd -c:v mpeg4 -c:a mp3 $p/mkv/gen_mpeg4_mp3.mkv
ff $src $snd -c:v libvpx -b:v 50k -c:a libopus -b:a 16k $p/webm/gen_vp8_opus.webm
ff $src $snd -c:v mpeg2video -c:a mp2 $p/ts/gen_mpeg2_mp2.ts
ff $snd -c:a libopus -b:a 16k $p/ogg/gen_opus.ogg
ff $snd -c:a libvorbis -q:a 0 $p/ogg/gen_vorbis.oga
ff $snd -c:a libmp3lame -b:a 32k -metadata title=t $p/mp3/gen_cbr32_id3.mp3
ff $snd -c:a pcm_s16le $p/wav/gen_pcm16.wav
ff $snd -c:a pcm_alaw $p/wav/gen_alaw.wav
vips black /tmp/wapf-seed-0.v 16 12 --bands 3
vips copy /tmp/wapf-seed-0.v "$p/jpeg/gen_16x12.jpg[Q=50,strip]"
vips copy /tmp/wapf-seed-0.v "$p/jpeg/gen_progressive.jpg[Q=50,interlace]"
vips copy /tmp/wapf-seed-0.v "$p/png/gen_16x12.png"
vips copy /tmp/wapf-seed-0.v "$p/png/gen_interlaced.png[interlace]"
vips copy /tmp/wapf-seed-0.v "$p/webp/gen_lossy.webp[Q=30]"
vips copy /tmp/wapf-seed-0.v "$p/webp/gen_lossless.webp[lossless]"
vips copy /tmp/wapf-seed-0.v "$p/heif/gen_16x12.avif[compression=av1,Q=30,effort=0]"
vips copy /tmp/wapf-seed-0.v "$p/tiff/gen_16x12.tif[compression=lzw]"
vips copy /tmp/wapf-seed-0.v "$p/tiff/gen_tiled.tif[tile,tile-width=16,tile-height=16]"
ff -f lavfi -i testsrc=size=16x12:rate=5:duration=0.6 $p/gif/gen_3frames.gif
img2webp -loop 0 -lossy -q 10 -d 100 $p/webp/gen_lossy.webp -d 100 $p/webp/gen_lossless.webp -o $p/webp/gen_animated.webp >/dev/null
rm -f /tmp/wapf-seed-0.v
# the other targets' seeds are pieces of the same files
mkdir -p mp4box exif icc strip answer config
cp $p/mp4/gen_h264_aac.mp4 $p/mp4/gen_fragmented.mp4 $p/mov/gen_mjpeg_pcm.mov $p/heif/gen_16x12.avif mp4box/
cp $p/jpeg/gen_16x12.jpg $p/png/gen_16x12.png $p/png/gen_interlaced.png $p/jpeg/gen_progressive.jpg strip/
# animated WebPs with real content: moving offsets, blending, disposal
d=$(mktemp -d)
ff -f lavfi -i testsrc=size=24x16:rate=5:duration=0.8 "$d/f%d.png"
img2webp -loop 0 -mixed -d 120 "$d"/f1.png "$d"/f2.png "$d"/f3.png "$d"/f4.png -o frames/gen_mixed.webp >/dev/null
img2webp -loop 2 -lossy -q 20 -d 80 "$d"/f1.png -d 40 "$d"/f3.png -o frames/gen_lossy2.webp >/dev/null
ff -f lavfi -i testsrc=size=24x16:rate=5:duration=0.8 -loop 0 frames/gen_4frames.gif
rm -rf "$d"
cp frames/gen_mixed.webp probe/webp/
