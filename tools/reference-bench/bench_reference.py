"""Times NVIDIA's Tacotron 2 / WaveGlow (DeepLearningExamples, PyTorch/SpeechSynthesis/Tacotron2, unmodified) on
this machine with the configurations of our benchmark suites, so the two can be compared in one sitting.

A development tool only: MlNetTts needs no Python at run or test time, and NVIDIA's code is not in this repository.
Usage: python3 bench_reference.py NVIDIA_TACOTRON2_DIR SUITE [SUITE...] [--reps N] [--json FILE]
  NVIDIA_TACOTRON2_DIR: a clone's PyTorch/SpeechSynthesis/Tacotron2 folder (holds tacotron2/, waveglow/,
  tacotron2_common/). Suites: tacotron2-decoder, waveglow-infer, tacotron2-train, waveglow-train.
Settings, as in test/MlNetTts.Benchmarks: full default configs, random weights, float32, 2 torch threads, median
after one warm-up; decoder: 200 steps with the gate stop off, batch 1 and 4, encoder memory of 100 frames;
WaveGlow: 256 channels, weight norm removed, 200-frame mel, sigma 0.6; Tacotron 2 training: batch 8, texts of
116-124 symbols, 400-frame mels, Adam 1e-3 (weight decay 1e-6), gradient clip 1.0 (as NVIDIA's train.py);
WaveGlow training: batch 2 x 8000 samples, Adam 1e-4.
"""
import argparse, importlib, json, os, platform, random, statistics, subprocess, sys, time, types


def stub_unneeded_modules():
    # tacotron2_common imports librosa and scipy for the STFT/audio helpers, which the timed paths never call;
    # Debian ships neither with python3-torch. A stand-in lets the model modules import and fails loudly if used.
    def placeholder(name):
        def fail(*args, **kwargs):
            raise RuntimeError(f"{name} is a stand-in (the timed code should not call it)")
        return fail

    class StandIn(types.ModuleType):
        def __getattr__(self, attr):
            if attr.startswith("__"):
                raise AttributeError(attr)
            return placeholder(f"{self.__name__}.{attr}")

    for name in ("librosa", "librosa.filters", "librosa.util", "scipy", "scipy.signal", "scipy.io", "scipy.io.wavfile"):
        try:
            importlib.import_module(name)
        except ImportError:
            sys.modules[name] = StandIn(name)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.machine()


def median_after_warmup(run, reps):
    times = []
    for r in range(reps + 1):
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        if r > 0:
            times.append(elapsed)
        print(f"    rep {r}{' (warm-up)' if r == 0 else ''}: {elapsed:.3f} s", flush=True)
    return statistics.median(times), min(times)


def tacotron2_defaults():
    # NVIDIA's train.py/inference.py argument defaults (tacotron2/arg_parser.py), 148 symbols (english_basic).
    return dict(mask_padding=False, n_mel_channels=80, n_symbols=148, symbols_embedding_dim=512,
                encoder_kernel_size=5, encoder_n_convolutions=3, encoder_embedding_dim=512, attention_rnn_dim=1024,
                attention_dim=128, attention_location_n_filters=32, attention_location_kernel_size=31,
                n_frames_per_step=1, decoder_rnn_dim=1024, prenet_dim=256, max_decoder_steps=2000,
                gate_threshold=0.5, p_attention_dropout=0.1, p_decoder_dropout=0.1, postnet_embedding_dim=512,
                postnet_kernel_size=5, postnet_n_convolutions=5, decoder_no_early_stopping=False)


def waveglow_config():
    return dict(n_mel_channels=80, n_flows=12, n_group=8, n_early_every=4, n_early_size=2,
                WN_config=dict(n_layers=8, n_channels=256, kernel_size=3))


def tacotron2_decoder(torch, reps):
    from tacotron2.model import Tacotron2
    model = Tacotron2(**dict(tacotron2_defaults(), max_decoder_steps=200, decoder_no_early_stopping=True)).eval()
    rows = []
    for batch in (1, 4):
        memory = torch.randn(batch, 100, 512)
        lengths = torch.full((batch,), 100, dtype=torch.int64)

        def decode():
            with torch.no_grad():
                mel = model.decoder.infer(memory, lengths)[0]
            if mel.shape[2] != 200:
                raise RuntimeError(f"decoder ran {mel.shape[2]} steps, expected 200 (gate stop should be off)")
        print(f"  tacotron2-decoder batch {batch}")
        med, best = median_after_warmup(decode, reps)
        rows.append(dict(suite="tacotron2-decoder", batch=batch, steps=200, median_ms_per_step=med / 200 * 1000,
                         best_ms_per_step=best / 200 * 1000))
    return rows


def waveglow_infer(torch, reps):
    from waveglow.model import WaveGlow
    model = WaveGlow.remove_weightnorm(WaveGlow(**waveglow_config())).eval()
    mel = torch.randn(1, 80, 200) - 5
    samples = []

    def infer():
        with torch.no_grad():
            samples[:] = [model.infer(mel, sigma=0.6).shape[1]]
    print("  waveglow-infer")
    med, best = median_after_warmup(infer, reps)
    return [dict(suite="waveglow-infer", samples=samples[0], median_ms=med * 1000, best_ms=best * 1000,
                 samples_per_s=samples[0] / med)]


def tacotron2_train(torch, reps):
    from tacotron2.model import Tacotron2
    from tacotron2.loss_function import Tacotron2Loss
    model = Tacotron2(**tacotron2_defaults()).train()
    criterion = Tacotron2Loss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-6)
    rnd, batch, frames = random.Random(1), 8, 400
    lengths = sorted([116 + rnd.randrange(9) for _ in range(batch)], reverse=True)
    text = torch.zeros(batch, lengths[0], dtype=torch.long)
    for i, length in enumerate(lengths):
        text[i, :length] = torch.randint(1, 148, (length,))
    mel = torch.rand(batch, 80, frames) * 8 - 10
    gate = torch.zeros(batch, frames)
    gate[:, -1] = 1
    x = (text, torch.tensor(lengths), mel, lengths[0], torch.full((batch,), frames, dtype=torch.long))

    def step():
        model.zero_grad()
        loss = criterion(model(x), (mel, gate))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    print("  tacotron2-train")
    med, best = median_after_warmup(step, reps)
    return [dict(suite="tacotron2-train", batch=batch, frames=frames, median_s=med, best_s=best,
                 mel_frames_per_s=batch * frames / med)]


def waveglow_train(torch, reps):
    from waveglow.model import WaveGlow
    from waveglow.loss_function import WaveGlowLoss
    model = WaveGlow(**waveglow_config()).train()
    criterion = WaveGlowLoss(1.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    batch, segment = 2, 8000
    mel = torch.randn(batch, 80, segment // 256 + 1) - 5   # the mel of an 8000-sample segment (hop 256)
    audio = torch.randn(batch, segment) * 0.1

    def step():
        optimizer.zero_grad()
        loss = criterion(model((mel, audio)), audio)
        loss.backward()
        optimizer.step()
    print("  waveglow-train")
    med, best = median_after_warmup(step, reps)
    return [dict(suite="waveglow-train", batch=batch, segment=segment, median_s=med, best_s=best,
                 samples_per_s=batch * segment / med)]


SUITES = {"tacotron2-decoder": tacotron2_decoder, "waveglow-infer": waveglow_infer,
          "tacotron2-train": tacotron2_train, "waveglow-train": waveglow_train}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nvidia_dir", help="DeepLearningExamples/PyTorch/SpeechSynthesis/Tacotron2")
    parser.add_argument("suites", nargs="+", choices=sorted(SUITES))
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions after one warm-up (default 5)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(args.nvidia_dir, "tacotron2")) or \
            not os.path.isdir(os.path.join(args.nvidia_dir, "waveglow")):
        parser.error(f"'{args.nvidia_dir}' has no tacotron2/ and waveglow/ folders: "
                     "expected DeepLearningExamples/PyTorch/SpeechSynthesis/Tacotron2")
    sys.path.insert(0, os.path.abspath(args.nvidia_dir))
    stub_unneeded_modules()
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    blas = os.environ.get("LD_PRELOAD", "")
    setting = "oneDNN sgemm (LD_PRELOAD shim)" if "dnnlblas" in blas else "as installed"
    # The vector width PyTorch's own kernels dispatch to (Debian's 1.13 build stops at AVX2).
    capability = next((line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                       if "CPU capability usage" in line), "unknown")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS: {setting}, "
          f"CPU capability {capability}", flush=True)
    rows = []
    for suite in args.suites:
        for row in SUITES[suite](torch, args.reps):
            print("  " + json.dumps(row), flush=True)
            rows.append(row)
    if args.json:
        report = dict(tool="tools/reference-bench/bench_reference.py", torch=torch.__version__,
                      threads=torch.get_num_threads(), blas=setting, cpu_capability=capability, machine=cpu_model(),
                      omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"), load_average=os.getloadavg(),
                      utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), rows=rows)
        temp = args.json + ".tmp"
        with open(temp, "w") as f:
            json.dump(report, f, indent=2)
        os.replace(temp, args.json)


if __name__ == "__main__":
    main()
