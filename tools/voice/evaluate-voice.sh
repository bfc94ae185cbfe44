#!/usr/bin/env bash
# Intelligibility of a voice or a training checkpoint over several prenet-dropout seeds: the measurement behind every
# CER in voices/default/MODEL_CARD.md, in one command. Each seed synthesises the 100 LJSpeech validation sentences
# (batch 8, the voice's own level) and tools/voice/intelligibility.sh scores them; then the mean over the seeds.
# The seeds matter: the prenet's dropout stays on at inference, and one seed's CER moves 0.5-1 point from another's.
#
# usage: tools/voice/evaluate-voice.sh OUT_DIR VOICE_DIR | CHECKPOINT... [--seeds 1,2,3,4] [--pronunciations DICT] [-- SYNTHESIZE_OPTIONS...]
#   VOICE_DIR      a voice folder (voices/default, or one from `mlnet-tts voice export`)
#   CHECKPOINT...  Tacotron 2 checkpoints (several: their weights averaged), exported first to OUT_DIR/voice with the
#                  default voice's inference settings (tools/voice/voice-settings.sh)
#   --seeds        comma-separated dropout seeds (default 1,2,3,4)
#   --pronunciations DICT  checkpoints trained with `train tacotron2 --pronunciations DICT`: exported with it
#   -- OPTIONS     passed on to `mlnet-tts synthesize` (e.g. `-- --candidates 3`)
# Writes OUT_DIR/seed-N/*.wav, OUT_DIR/seed-N.tsv (per-sentence report), OUT_DIR/summary.tsv (seed, WER, CER, RTF),
# and prints one line per seed and the means. RTF is that of the run, so it only means something on an idle machine.
# The CLI is built into OUT_DIR/bin unless MLNET_TTS names a built mlnet-tts.dll.
#   needs: pocketsphinx pocketsphinx-en-us sox   (apt-get install pocketsphinx pocketsphinx-en-us sox)
set -euo pipefail
usage="usage: evaluate-voice.sh OUT_DIR VOICE_DIR | CHECKPOINT... [--seeds 1,2,3,4] [--pronunciations DICT] [-- SYNTHESIZE_OPTIONS...]"
out=${1:?$usage}; shift
models=(); seeds=1,2,3,4; extra=(); dictionary=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --pronunciations) dictionary=(--pronunciations "$2"); shift 2 ;;
    --) shift; extra=("$@"); break ;;
    --*) echo "evaluate-voice.sh: unknown option '$1'" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || { echo "$usage" >&2; exit 2; }
[[ $seeds =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "evaluate-voice.sh: --seeds wants comma-separated integers, got '$seeds'" >&2; exit 2; }
if [ -d "${models[0]}" ] && [ ${#dictionary[@]} -gt 0 ]; then
  echo "evaluate-voice.sh: --pronunciations is for checkpoints; a voice folder carries its own" >&2; exit 2
fi
for m in "${models[@]}"; do [ -e "$m" ] || { echo "evaluate-voice.sh: no voice folder or checkpoint at '$m'" >&2; exit 2; }; done

here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
source "$here/voice-settings.sh"
listing=${LJSPEECH_FILELISTS:-$repo/../shared/data/ljspeech}/ljs_audio_text_val_filelist.txt
[ -f "$listing" ] || { echo "evaluate-voice.sh: no validation list at $listing" >&2; exit 1; }
mkdir -p "$out"
export OMP_WAIT_POLICY=PASSIVE
if [ -n "${MLNET_TTS:-}" ]; then cli=(dotnet "$MLNET_TTS"); else
  dotnet build "$repo/src/MlNetTts.Cli" -c Release -o "$out/bin" >/dev/null
  cli=(dotnet "$out/bin/mlnet-tts.dll")
fi

if [ ${#models[@]} -eq 1 ] && [ -d "${models[0]}" ]; then voice=${models[0]}; else
  voice=$out/voice
  "${cli[@]}" voice export "${models[@]}" -o "$voice" --name "$(basename "$out")" "${voice_settings[@]}" "${dictionary[@]}" >/dev/null
fi

# "id|text" lines from NVIDIA's "wavs/id.wav|text" list.
cut -d'|' -f1,2 "$listing" | sed 's#^.*/\([^/]*\)\.wav|#\1|#' > "$out/sentences.txt"
printf 'seed\tWER\tCER\tRTF\n' > "$out/summary.tsv"
for seed in ${seeds//,/ }; do
  synth=$("${cli[@]}" synthesize --voice "$voice" --with-ids -i "$out/sentences.txt" -o "$out/seed-$seed" -bs 8 --seed "$seed" --json "${extra[@]}")
  rtf=$(grep -o '"rtf": *[0-9.]*' <<< "$synth" | head -1 | grep -o '[0-9.]*$')
  score=$("$here/intelligibility.sh" "$out/seed-$seed" "$listing" --out "$out/seed-$seed.tsv" | tail -1)
  wer=$(sed 's/.*WER \([0-9.]*\)%.*/\1/' <<< "$score"); cer=$(sed 's/.*CER \([0-9.]*\)%.*/\1/' <<< "$score")
  printf '%s\t%s\t%s\t%s\n' "$seed" "$wer" "$cer" "$rtf" >> "$out/summary.tsv"
  echo "seed $seed: WER $wer%  CER $cer%  RTF $rtf"
done
awk -F'\t' 'NR > 1 { w += $2; c += $3; n++ } END { printf "mean over %d seeds: WER %.1f%%  CER %.2f%%\n", n, w / n, c / n }' "$out/summary.tsv"
