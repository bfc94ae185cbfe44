#!/usr/bin/env bash
# The default voice's recipe, end to end, with the same code paths users run (mlnet-tts prepare / train / voice export).
# Resumable: run it again and training continues from the newest checkpoint in RUN_DIR (Ctrl+C writes one too).
#
# usage: tools/voice/train-default-voice.sh WORK_DIR [--epochs N] [--warm-start VOICE_OR_CHECKPOINT] [--pronunciations DICT] [--export CHECKPOINT] [-- TRAIN_OPTIONS...]
#   WORK_DIR/corpus   the teacher corpus (made first with tools/voice/make-corpus.sh WORK_DIR/corpus --max-chars 90)
#   WORK_DIR/mels     mel cache;  WORK_DIR/run  checkpoints, loss.csv, TensorBoard events
#   --warm-start X    a fresh run (new optimizer) from X's weights: a voice folder (e.g. voices/default, when the
#                     run's checkpoints are gone) or a checkpoint; ignored when WORK_DIR/run has a checkpoint to resume
#   --pronunciations DICT  words as CMUdict phones: training reads the transcripts through DICT (every run and
#                     resume of the run needs it), and --export copies it into the voice
#   --export CKPT     instead of training: write voices/default from CKPT
#   -- OPTIONS...     passed on to `mlnet-tts train tacotron2` (e.g. `-- -lr 3e-4`; on a resume they replace the saved ones)
# The LJSpeech validation sentences (NVIDIA's val file list) are held out of training and used for validation.
set -euo pipefail
work=${1:?usage: train-default-voice.sh WORK_DIR [--epochs N] [--warm-start VOICE_OR_CHECKPOINT] [--pronunciations DICT] [--export CHECKPOINT] [-- TRAIN_OPTIONS...]}
shift
epochs=300; export_from=""; warm_start=""; extra=(); dictionary=()
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs=$2; shift 2 ;;
    --export) export_from=$2; shift 2 ;;
    --pronunciations) dictionary=(--pronunciations "$2"); shift 2 ;;
    --warm-start) warm_start=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "train-default-voice.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
source "$here/voice-settings.sh"
lists=${LJSPEECH_FILELISTS:-$repo/../shared/data/ljspeech}
export OMP_WAIT_POLICY=PASSIVE
dotnet build "$repo/src/MlNetTts.Cli" -c Release -o "$work/bin" >/dev/null
cli=("dotnet" "$work/bin/mlnet-tts.dll")

if [ -n "$export_from" ]; then
  "${cli[@]}" voice export "$export_from" -o "$repo/voices/default" --name ljs-flite-rms \
    --description "LJSpeech transcripts read by flite's rms voice; reduced Tacotron 2 (r=3), bf16 training on 2 CPU cores" \
    "${voice_settings[@]}" "${dictionary[@]}"
  exit 0
fi

# Hold the validation sentences out; listings in NVIDIA's "wav path|text" form relative to the corpus.
cut -d'|' -f1 "$lists/ljs_audio_text_val_filelist.txt" | sed 's#^.*/##; s#\.wav$##' > "$work/val_ids.txt"
grep -v -F -f "$work/val_ids.txt" "$work/corpus/metadata.csv" | awk -F'|' '{print "wavs/"$1".wav|"$2}' > "$work/train_list.txt"
grep -F -f "$work/val_ids.txt" "$work/corpus/metadata.csv" | awk -F'|' '{print "wavs/"$1".wav|"$2}' > "$work/val_list.txt"
[ -d "$work/mels" ] || "${cli[@]}" prepare "$work/train_list.txt" --audio-root "$work/corpus" --mel-cache "$work/mels"

newest=$(ls -t "$work"/run/checkpoint_Tacotron2_*.safetensors 2>/dev/null | head -1 || true)
common=("$work/train_list.txt" --audio-root "$work/corpus" -o "$work/run" --validation "$work/val_list.txt" --mel-cache "$work/mels" --epochs "$epochs")
if [ -n "$newest" ]; then
  "${cli[@]}" train tacotron2 "${common[@]}" --resume "$newest" "${dictionary[@]}" "${extra[@]}"
else
  # The architecture comes from the config for a new run, from the voice or checkpoint for a warm start (which a
  # --config among TRAIN_OPTIONS may widen, e.g. {"DecoderRnnDim": 768}).
  if [ -n "$warm_start" ]; then model=(--checkpoint "$warm_start"); else model=(--config "$here/tacotron2-small.json"); fi
  "${cli[@]}" train tacotron2 "${common[@]}" "${model[@]}" --guided-attention-weight 5 \
    --gate-positive-weight 8 -bs 32 --amp --epochs-per-checkpoint 1 --seed 1234 "${dictionary[@]}" "${extra[@]}"
fi
