#!/usr/bin/env bash
# Generates the default voice's teacher corpus: LJSpeech transcripts spoken by a flite voice, in
# LJSpeech layout (metadata.csv + wavs/), 22050 Hz mono 16-bit, leading/trailing silence trimmed.
# The audio is generated, never committed. Voice data licence: flite's CMU voices are under CMU's
# permissive (BSD-style) licence — see /usr/share/doc/flite/copyright after installing.
#
# usage: tools/voice/make-corpus.sh OUT_DIR [--voice rms] [--max-seconds 0] [--max-chars 0] [--split-long 0] [--limit 0] [--jobs 2]
#   --max-chars skips long transcripts before synthesis (cheaper than --max-seconds, which measures the audio).
#   --split-long N keeps every training transcript: one longer than N characters is cut by the inference sentence
#     splitter (tools/voice/SplitTranscripts) into pieces of at most N, spoken as <id>-1, <id>-2, ...; the validation
#     transcripts are still filtered by --max-chars (so validation stays the same clips).
#   needs: flite sox   (apt-get install flite sox)
#   Transcripts come from ../shared/data/ljspeech (NVIDIA's train and val file lists).
set -euo pipefail

out=${1:?usage: make-corpus.sh OUT_DIR [--voice NAME] [--max-seconds S] [--limit N] [--jobs J]}
shift
voice=rms; max_seconds=0; max_chars=0; split_long=0; limit=0; jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --voice) voice=$2; shift 2 ;;
    --max-seconds) max_seconds=$2; shift 2 ;;
    --max-chars) max_chars=$2; shift 2 ;;
    --split-long) split_long=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "make-corpus.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
for tool in flite sox soxi; do
  command -v "$tool" >/dev/null || { echo "make-corpus.sh: '$tool' not found (apt-get install flite sox)" >&2; exit 1; }
done

here=$(cd "$(dirname "$0")" && pwd)
lists=${LJSPEECH_FILELISTS:-$here/../../../shared/data/ljspeech}
[ -d "$lists" ] || { echo "make-corpus.sh: no file lists at $lists (set LJSPEECH_FILELISTS)" >&2; exit 1; }
mkdir -p "$out/wavs"

# One utterance: flite speaks at 16 kHz; sox resamples (band-limited) and trims silence at both ends.
speak() {
  local id=$1 text=$2 out=$3 voice=$4 max=$5
  local wav="$out/wavs/$id.wav"
  [ -s "$wav" ] && { echo "$id|$text|$text"; return 0; }
  local tmp; tmp=$(mktemp --suffix=.wav)
  flite -voice "$voice" -t "$text" -o "$tmp"
  sox "$tmp" -r 22050 -c 1 -b 16 "$wav.part.wav" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
  rm -f "$tmp"
  if [ "$max" != 0 ] && awk -v d="$(soxi -D "$wav.part.wav")" -v m="$max" 'BEGIN{exit !(d>m)}'; then
    rm -f "$wav.part.wav"; return 0
  fi
  mv "$wav.part.wav" "$wav"
  echo "$id|$text|$text"
}
export -f speak

# "<id>\t<text>" lines to speak: file-list lines within --max-chars, and with --split-long every training transcript cut.
transcripts() {
  local short=("$lists/ljs_audio_text_train_filelist.txt" "$lists/ljs_audio_text_val_filelist.txt")
  if [ "$split_long" != 0 ]; then
    dotnet build "$here/SplitTranscripts" -c Release -o "$out/.split-bin" >/dev/null
    dotnet "$out/.split-bin/SplitTranscripts.dll" "$split_long" < "$lists/ljs_audio_text_train_filelist.txt"
    short=("$lists/ljs_audio_text_val_filelist.txt")
  fi
  awk -F'|' -v c="$max_chars" '(c == 0 || length($2) <= c)' "${short[@]}" \
    | while IFS='|' read -r path text; do printf '%s\t%s\n' "$(basename "$path" .wav)" "$text"; done
}

transcripts | awk -v n="$limit" 'n == 0 || ++kept <= n' \
  | xargs -d '\n' -P "$jobs" -I{} bash -c 'IFS=$'"'"'\t'"'"' read -r id text <<< "$1"; speak "$id" "$text" "$2" "$3" "$4"' _ {} "$out" "$voice" "$max_seconds" \
  | sort > "$out/metadata.csv.part"
mv "$out/metadata.csv.part" "$out/metadata.csv"
echo "make-corpus.sh: $(wc -l < "$out/metadata.csv") utterances in $out (voice $voice)" >&2
