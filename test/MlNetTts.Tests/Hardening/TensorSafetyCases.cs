using MlNetTts.Audio;
using MlNetTts.Nn;
using MlNetTts.Tacotron2;
using MlNetTts.Tests.Tacotron2;
using MlNetTts.Tests.WaveGlow;
using MlNetTts.WaveGlow;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// Wrong tensors handed to every public entry point that takes tensors: wrong dtype, rank, shape or device. Each
/// case must raise an <see cref="ArgumentException"/> naming the argument before any native call can abort the
/// process. <see cref="RunInChild"/> runs them in a child process (see <see cref="TensorSafetyTests"/>), so a case
/// whose validation is missing kills only the child: the test then reports which case.
/// </summary>
public static class TensorSafetyCases
{
    // Built on first use, outside any case's dispose scope (a scope would free their parameters).
    private static readonly Lazy<Tacotron2Model> Tacotron = new(() => { var m = Tacotron2Fixture.Model(); m.PrenetDropout = false; return m; });
    private static readonly Lazy<WaveGlowModel> WaveGlow = new(() => WaveGlowFixture.Model(weightNorm: false));

    /// <summary>Case name -> (argument the error must name, the call).</summary>
    public static IReadOnlyList<(string Name, string Argument, Action Call)> All()
    {
        var bf16 = ScalarType.BFloat16;
        Tensor Rand(ScalarType type, params long[] shape) => rand(shape).to(type);
        var cases = new List<(string, string, Action)>
        {
            ("Cast.Matmul bf16 x fp32", "b", () => Cast.Matmul(Rand(bf16, 4, 4), rand(4, 4))),
            ("Cast.Matmul int x fp32", "a", () => Cast.Matmul(ones(4, 4, ScalarType.Int64), rand(4, 4))),
            ("Cast.Linear bf16 input, fp32 weight", "input", () => Cast.Linear(Rand(bf16, 2, 4), rand(3, 4), rand(3))),
            ("Cast.Linear fp32 input, fp32 weight, fp64 bias", "bias", () => Cast.Linear(rand(2, 4), rand(3, 4), rand(3).to(ScalarType.Float64))),
            ("Cast.Conv1d bf16 input", "input", () => Cast.Conv1d(Rand(bf16, 1, 2, 8), rand(3, 2, 3), null)),
            ("Cast.LstmCell bf16 h", "h", () => { _ = Cast.LstmCell(rand(1, 4), Rand(bf16, 1, 2), rand(1, 2), rand(8, 4), rand(8, 2), null, null); }),
            ("Cast.Matmul meta x cpu", "b", () => Cast.Matmul(empty(new long[] { 4, 4 }, device: new Device(TorchSharp.DeviceType.META)), rand(4, 4))),
            ("MelSpectrogram.Compute bf16", "audio", () => new MelSpectrogram().Compute(Rand(bf16, 1, 4000) * 0.5)),
            ("MelSpectrogram.Compute int", "audio", () => new MelSpectrogram().Compute(zeros(new long[] { 1, 4000 }, ScalarType.Int16))),
            ("MelSpectrogram.Compute rank 3", "audio", () => new MelSpectrogram().Compute(zeros(1, 1, 4000))),
            ("MelSpectrogram.ToLinear int", "logMel", () => new MelSpectrogram().ToLinear(zeros(new long[] { 1, 80, 5 }, ScalarType.Int64))),
            ("Stft.Transform bf16", "audio", () => { _ = new Stft().Transform(Rand(bf16, 1, 4000)); }),
            ("Stft.Inverse fp32 magnitude, bf16 phase", "phase", () => new Stft().Inverse(rand(1, 513, 5), Rand(bf16, 1, 513, 5))),
            ("Stft.Inverse int magnitude", "magnitude", () => new Stft().Inverse(ones(new long[] { 1, 513, 5 }, ScalarType.Int64), rand(1, 513, 5))),
            ("GriffinLim.Reconstruct bf16 magnitudes", "magnitudes", () => GriffinLim.Reconstruct(Rand(bf16, 1, 513, 5), new Stft(), 1)),
            ("GriffinLim.Reconstruct fp64 phase", "initialPhase", () => GriffinLim.Reconstruct(rand(1, 513, 5), new Stft(), 1, rand(1, 513, 5).to(ScalarType.Float64))),
        };

        var tacotron = Tacotron;
        var mels = new Lazy<int>(() => tacotron.Value.Config.MelChannels);
        Tensor Text() => ones(new long[] { 1, 5 }, ScalarType.Int64);
        Tensor Lengths() => tensor(new long[] { 5 });
        cases.AddRange(new (string, string, Action)[]
        {
            ("Tacotron2 Forward bf16 mel", "melPadded", () => tacotron.Value.Forward(Text(), Lengths(), Rand(bf16, 1, mels.Value, 4), tensor(new long[] { 4 }))),
            ("Tacotron2 Forward fp64 mel", "melPadded", () => tacotron.Value.Forward(Text(), Lengths(), rand(1, mels.Value, 4).to(ScalarType.Float64), tensor(new long[] { 4 }))),
            ("Tacotron2 Forward float output lengths", "outputLengths", () => tacotron.Value.Forward(Text(), Lengths(), rand(1, mels.Value, 4), tensor(new float[] { 4.5f }))),
            ("Tacotron2 Infer float input lengths", "inputLengths", () => tacotron.Value.Infer(Text(), tensor(new float[] { 4.5f }))),
            ("Tacotron2 Infer meta text", "textPadded", () => tacotron.Value.Infer(empty(new long[] { 1, 5 }, ScalarType.Int64, device: new Device(TorchSharp.DeviceType.META)), Lengths())),
            ("Tacotron2 Embed float text", "text", () => tacotron.Value.Embed(rand(1, 5))),
        });

        var waveglow = WaveGlow;
        var wgMels = new Lazy<int>(() => waveglow.Value.Config.NMelChannels);
        cases.AddRange(new (string, string, Action)[]
        {
            ("WaveGlow Infer bf16 mel", "mel", () => waveglow.Value.Infer(Rand(bf16, 1, wgMels.Value, 3), 0.5, new Generator(1))),
            ("WaveGlow Infer fp64 mel", "mel", () => waveglow.Value.Infer(rand(1, wgMels.Value, 3).to(ScalarType.Float64), 0.5, new Generator(1))),
            ("WaveGlow Infer meta mel", "mel", () => waveglow.Value.Infer(empty(new long[] { 1, wgMels.Value, 3 }, device: new Device(TorchSharp.DeviceType.META)), 0.5, new Generator(1))),
            ("WaveGlow forward bf16 audio", "audio", () => waveglow.Value.forward(rand(1, wgMels.Value, 3), Rand(bf16, 1, 256))),
            ("WaveGlow forward rank 2 mel", "mel", () => waveglow.Value.forward(rand(wgMels.Value, 3), rand(1, 256))),
            ("Denoiser.Denoise rank 3", "audio", () => new Denoiser(waveglow.Value).Denoise(rand(1, 1, 4000))),
            ("Denoiser.Denoise meta", "audio", () => new Denoiser(waveglow.Value).Denoise(empty(new long[] { 1, 4000 }, device: new Device(TorchSharp.DeviceType.META)))),
        });
        return cases;
    }

    /// <summary>
    /// Child process entry: runs the cases named in args (all when none), one line per case: "OK name | argument | message"
    /// for an ArgumentException naming the expected argument, "BAD name | ..." otherwise. Exit code 0 when every case is OK.
    /// </summary>
    public static int RunInChild(string[] args)
    {
        int bad = 0;
        _ = Tacotron.Value;
        _ = WaveGlow.Value;
        foreach (var (name, argument, call) in All().Where(c => args.Length == 0 || args.Contains(c.Name)))
        {
            Console.Out.Flush();
            Console.WriteLine($"RUN {name}");
            Console.Out.Flush(); // so a native abort leaves the case's name in the output
            using var scope = NewDisposeScope();
            try
            {
                call();
                Console.WriteLine($"BAD {name} | no exception");
                bad++;
            }
            catch (ArgumentException e) when (e.ParamName == argument)
            {
                Console.WriteLine($"OK {name} | {e.ParamName} | {e.Message.ReplaceLineEndings(" ")}");
            }
            catch (Exception e)
            {
                Console.WriteLine($"BAD {name} | expected ArgumentException for '{argument}', got {e.GetType().Name} ({(e as ArgumentException)?.ParamName}): {e.Message.ReplaceLineEndings(" ")}");
                bad++;
            }
        }
        return bad == 0 ? 0 : 1;
    }

    /// <summary>Child process entry: the raw TorchSharp call our validation exists for (bf16 @ fp32 matmul aborts the process).</summary>
    public static int RawMixedMatmul(string[] args)
    {
        using var a = rand(4, 4).to(ScalarType.BFloat16);
        using var b = rand(4, 4);
        try
        {
            using var c = a.matmul(b);
            Console.WriteLine("returned");
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine("caught " + e.GetType().Name);
            return 1;
        }
    }
}
