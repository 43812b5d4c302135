#!/bin/bash
# CPU cost of `staydown hash` per second of video, against decoding alone (`ffmpeg -f null`).
#
#   scripts/hash_cost.sh target/release/staydown VIDEO... [-- HASH ARGS]
#
# For each video: CPU seconds (user + system, ffmpeg children included), best of 3, of
# `ffmpeg -i VIDEO -f null -`, of `staydown hash VIDEO` (reference-grade: whole frames at full
# resolution) and of `staydown hash --fast --crop-borders VIDEO` (the 256-pixel plane the
# index uses), then each per second of video in milliseconds. HASH ARGS (e.g. --every-frame)
# are given to both staydown runs.
set -euo pipefail
BIN=$1; shift
VIDEOS=(); EXTRA=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; EXTRA=("$@"); break; fi
  VIDEOS+=("$1"); shift
done
T=$(mktemp)
trap 'rm -f "$T"' EXIT
cpu() {
  local best=""
  for _ in 1 2 3; do
    /usr/bin/time -o "$T" -f "%U %S" "$@" >/dev/null 2>&1
    local t; t=$(awk '{print $1 + $2}' "$T" | tail -1)
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  echo "$best"
}
printf "%-40s %8s %8s %8s %8s | ms CPU per video-second: %6s %6s %6s\n" video seconds null reference fast null reference fast
for v in "${VIDEOS[@]}"; do
  d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$v")
  a=$(cpu ffmpeg -v error -nostdin -i "$v" -f null -)
  b=$(cpu "$BIN" hash "${EXTRA[@]}" "$v")
  c=$(cpu "$BIN" hash --fast --crop-borders "${EXTRA[@]}" "$v")
  printf "%-40s %8.2f %8.2f %8.2f %8.2f | %6.1f %6.1f %6.1f\n" "$(basename "$v")" "$d" "$a" "$b" "$c" \
    "$(awk "BEGIN{print 1000 * $a / $d}")" "$(awk "BEGIN{print 1000 * $b / $d}")" "$(awk "BEGIN{print 1000 * $c / $d}")"
done
