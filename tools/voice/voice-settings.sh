# The default voice's inference settings, written into voice.json by `mlnet-tts voice export` (sourced by
# train-default-voice.sh --export and evaluate-voice.sh, so a measured checkpoint speaks as it would when shipped):
# sentences longer than the training transcripts are split, a decoder cap of 400 steps (13.9 s), mel sharpening 1.5.
voice_settings=(--max-sentence-length 90 --max-decoder-steps 400 --mel-sharpening 1.5)
