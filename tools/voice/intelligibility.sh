#!/usr/bin/env bash
# Intelligibility of synthesized speech, measured by an off-the-shelf recogniser: pocketsphinx (CMU, en-us model)
# transcribes each WAV (resampled to 16 kHz mono), and the transcript is scored against the text it was made from.
# Prints per-utterance rows and the totals: WER (word edits / reference words) and CER (character edits /
# reference characters), both over lower-cased text with punctuation removed and spaces squeezed.
#
# usage: tools/voice/intelligibility.sh WAV_DIR [LISTING] [--jobs J] [--out REPORT.tsv]
#   WAV_DIR holds <id>.wav for every line of LISTING ("path/<id>.wav|text", NVIDIA's file-list format;
#   default: ../shared/data/ljspeech/ljs_audio_text_val_filelist.txt, the 100 LJSpeech validation sentences).
#   Make the WAVs with e.g.:
#     cut -d'|' -f1,2 LISTING | sed 's#^.*/\([^/]*\)\.wav|#\1|#' > lines.txt
#     mlnet-tts synthesize --with-ids -i lines.txt -o WAV_DIR            # the bundled voice
#   needs: pocketsphinx pocketsphinx-en-us sox   (apt-get install pocketsphinx pocketsphinx-en-us sox)
set -euo pipefail

wavs=${1:?usage: intelligibility.sh WAV_DIR [LISTING] [--jobs J] [--out REPORT.tsv]}
shift
here=$(cd "$(dirname "$0")" && pwd)
listing=$here/../../../shared/data/ljspeech/ljs_audio_text_val_filelist.txt
if [ $# -gt 0 ] && [ "${1:0:2}" != "--" ]; then listing=$1; shift; fi
jobs=2; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "intelligibility.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
for tool in pocketsphinx_continuous sox; do
  command -v "$tool" >/dev/null || { echo "intelligibility.sh: '$tool' not found (apt-get install pocketsphinx pocketsphinx-en-us sox)" >&2; exit 1; }
done
[ -f "$listing" ] || { echo "intelligibility.sh: no listing at $listing" >&2; exit 1; }
[ -d "$wavs" ] || { echo "intelligibility.sh: no folder $wavs" >&2; exit 1; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# One utterance: "<id>\t<hypothesis>" (empty hypothesis when the recogniser hears nothing).
recognise() {
  local id=$1 wav=$2 work=$3
  [ -s "$wav" ] || { echo "intelligibility.sh: missing $wav" >&2; printf '%s\t\n' "$id"; return 0; }
  # -R: sox dithers with a random seed per run otherwise, and the recogniser is sensitive enough for that to move CER.
  sox -R "$wav" -r 16000 -c 1 -b 16 "$work/$id.wav"
  local hyp; hyp=$(pocketsphinx_continuous -infile "$work/$id.wav" -logfn /dev/null 2>/dev/null | tr '\n' ' ')
  rm -f "$work/$id.wav"
  printf '%s\t%s\n' "$id" "$hyp"
}
export -f recognise

cut -d'|' -f1 "$listing" | sed 's#^.*/##; s#\.wav$##' \
  | xargs -P "$jobs" -I{} bash -c 'recognise "$1" "$2/$1.wav" "$3"' _ {} "$wavs" "$work" > "$work/hyp.tsv"

# Score in awk: Levenshtein distance over words and over characters.
awk -F'\t' -v report="${out:-/dev/null}" '
  function norm(s) { s = tolower(s); gsub(/[^a-z'"'"' ]/, " ", s); gsub(/ +/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s); return s }
  function dist(a, n, b, m,   i, j, prev, cur, c, best) {
    for (j = 0; j <= m; j++) prev[j] = j
    for (i = 1; i <= n; i++) {
      cur[0] = i
      for (j = 1; j <= m; j++) {
        c = prev[j - 1] + (a[i] != b[j]); best = c
        if (prev[j] + 1 < best) best = prev[j] + 1
        if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1
        cur[j] = best
      }
      for (j = 0; j <= m; j++) prev[j] = cur[j]
    }
    return prev[m]
  }
  FNR == NR { hyp[$1] = $2; next }
  {
    split($0, f, "|"); id = f[1]; sub(/^.*\//, "", id); sub(/\.wav$/, "", id)
    r = norm(f[2]); h = norm(hyp[id])
    nw = split(r, rw, " "); mw = split(h, hw, " ")
    nc = split(r, rc, ""); mc = split(h, hc, "")
    we = dist(rw, nw, hw, mw); ce = dist(rc, nc, hc, mc)
    W += we; NW += nw; C += ce; NC += nc; count++
    printf "%s\t%.3f\t%.3f\t%s\t%s\n", id, we / (nw ? nw : 1), ce / (nc ? nc : 1), r, h > report
  }
  END {
    printf "utterances %d  words %d  WER %.1f%%  characters %d  CER %.1f%%\n", count, NW, 100 * W / NW, NC, 100 * C / NC
  }' "$work/hyp.tsv" "$listing"
