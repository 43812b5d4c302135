#!/usr/bin/env bash
# Scan throughput against bare ffmpeg decode (issue 5 target: scan <= 1.3x decode time).
# Builds release, generates 8 re-encoded 720p H.264 clips under target/scan-bench/videos
# (skipped when present), then runs the criterion bench `scan` (which builds the
# 1,000-work index in-process) and, when hyperfine is installed, a hyperfine comparison
# of the same two commands (wall time plus user/sys CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/scan-bench
VID=$OUT/videos
SRC=fixtures/video/bbb-720p.mp4
N=${N:-8}
nice cargo build --release
mkdir -p "$VID"
# Each file: the 5.28 s clip looped 4x (~21 s), a different crop (rescaled back to 1280x720)
# and hue per file so no two files are identical; libx264 veryfast crf 23, no audio.
for i in $(seq 0 $((N - 1))); do
  f=$VID/clip-$i.mp4
  [ -s "$f" ] && continue
  crop=$((i * 16))
  hue=$((i * 40))
  nice ffmpeg -v error -y -stream_loop 3 -i "$SRC" -an \
    -vf "crop=iw-$crop:ih-$crop:$((crop / 2)):$((crop / 2)),scale=1280:720,hue=h=$hue" \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p "$f.tmp.mp4"
  mv "$f.tmp.mp4" "$f"
done
# Criterion bench: scan/720p/jobs2 and scan/720p/ffmpeg_null_jobs2 (also writes the index
# to target/scan-bench/index on first run).
nice cargo bench --bench scan -- "$@"
if command -v hyperfine >/dev/null; then
  BIN=target/release/staydown
  mapfile -t FILES < <(ls "$VID"/*.mp4)
  half=$(( (${#FILES[@]} + 1) / 2 ))
  A=("${FILES[@]:0:half}")
  B=("${FILES[@]:half}")
  dec_a="for f in ${A[*]}; do ffmpeg -v error -i \$f -f null -; done"
  dec_b="for f in ${B[*]}; do ffmpeg -v error -i \$f -f null -; done"
  hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown "$OUT/hyperfine.md" \
    -n scan_jobs2 "$BIN scan $VID --index $OUT/index --jobs 2 --json --no-progress > /dev/null" \
    -n ffmpeg_null_jobs2 "( $dec_a ) & ( $dec_b ) & wait"
fi
