#!/usr/bin/env bash
# Peak memory of a 500-file scan (issue 5 target: <= 500 MB).
# Makes 500 small files under target/scan-memory/uploads (stream copies of bbb-360p.mp4
# cut to different lengths, plus zero-byte and truncated files), bans 2 works into
# target/scan-memory/index, then runs the scan under /usr/bin/time -v and prints the
# scan process's maximum RSS. A sampler polls `ps` every 0.2 s for the largest RSS of any
# ffmpeg child of the scan.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/scan-memory
UP=$OUT/uploads
IDX=$OUT/index
BIN=target/release/staydown
[ -x "$BIN" ] || nice cargo build --release
if [ ! -f "$UP/.done" ]; then
  rm -rf "$UP" "$IDX"
  mkdir -p "$UP/good" "$UP/bad" "$OUT/works"
  # Two works to ban: the 360p clip and a synthetic test pattern.
  cp fixtures/video/bbb-360p.mp4 "$OUT/works/bbb.mp4"
  ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=30 -t 5 \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p "$OUT/works/pattern.mp4"
  # Five stream-copied variants of the clip (different start and length).
  for v in 0 1 2 3 4; do
    ffmpeg -v error -y -ss "$v" -i fixtures/video/bbb-360p.mp4 -t $((5 - v / 2)) -c copy \
      "$OUT/variant-$v.mp4"
  done
  # 490 good files, named differently, spread over 10 directories.
  for i in $(seq 0 489); do
    d=$UP/good/dir-$((i % 10))
    mkdir -p "$d"
    cp "$OUT/variant-$((i % 5)).mp4" "$d/upload-$i.mp4"
  done
  # 10 bad files: 5 zero-byte, 5 truncated to a third of their size.
  for i in 0 1 2 3 4; do
    : > "$UP/bad/empty-$i.mp4"
    head -c $(( $(stat -c %s "$OUT/variant-$i.mp4") / 3 )) "$OUT/variant-$i.mp4" > "$UP/bad/truncated-$i.mp4"
  done
  touch "$UP/.done"
fi
if [ ! -d "$IDX" ]; then
  "$BIN" ban "$OUT/works/bbb.mp4" --index "$IDX" --work bbb --title "Big Buck Bunny" \
    --rightsholder "Blender Foundation" --notice N-1
  "$BIN" ban "$OUT/works/pattern.mp4" --index "$IDX" --work pattern --title "Test pattern" \
    --rightsholder "Bench" --notice N-2
fi
echo "files: $(find "$UP" -type f ! -name .done | wc -l)"
PEAK=$OUT/ffmpeg_peak_kb
echo 0 > "$PEAK"
# Sampler: largest RSS (kB) of any ffmpeg process whose parent is a staydown process.
(
  peak=0
  while sleep 0.2; do
    for p in $(pgrep -x staydown || true); do
      for c in $(pgrep -P "$p" -x ffmpeg || true); do
        r=$(ps -o rss= -p "$c" 2>/dev/null | tr -d ' ' || true)
        [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" > "$PEAK"
      done
    done
  done
) &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true' EXIT
set +e
/usr/bin/time -v "$BIN" scan "$UP" --index "$IDX" --jobs 2 --json --no-progress \
  > "$OUT/scan.jsonl" 2> "$OUT/time.txt"
rc=$?
set -e
kill "$SAMPLER" 2>/dev/null || true
echo "scan exit status: $rc"
grep -E "Maximum resident set size|Elapsed \(wall clock\)|User time|System time" "$OUT/time.txt"
echo "largest ffmpeg child RSS (sampled every 0.2 s): $(cat "$PEAK") kB"
echo "verdicts: $(grep -oE '"verdict": ?"[a-z]+"' "$OUT/scan.jsonl" | sort | uniq -c | tr '\n' ' ')"
