using MlNetTts.WaveGlow;
using Nn = MlNetTts.Nn;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Synthesis;

/// <summary>
/// WaveGlow as NVIDIA's inference.py runs it: infer the padded batch with <c>sigma</c>, cut each item to its mel length
/// times the hop, then (strength &gt; 0) the denoiser.
/// </summary>
internal sealed class WaveGlowVocoder : IVocoder
{

    private readonly WaveGlowModel _model;
    private readonly Denoiser? _denoiser;
    private readonly double _sigma;
    private readonly double _strength;
    private readonly Generator? _generator;

    public WaveGlowVocoder(WaveGlowModel model, double sigma, double denoiserStrength, Generator? generator)
    {
        _model = model;
        _sigma = sigma;
        _strength = denoiserStrength;
        _generator = generator;
        _denoiser = denoiserStrength > 0 ? new Denoiser(model) : null;
    }

    public string Name => "waveglow";

    /// <summary>The WaveGlow's precision (bench switches it per row).</summary>
    public Nn.Precision Precision
    {
        get => _model.Precision;
        set => _model.Precision = value;
    }

    public int MelChannels => _model.Config.NMelChannels;

    public IReadOnlyList<float[]> Vocode(Tensor melBatch, IReadOnlyList<int> frames)
    {
        using var scope = NewDisposeScope();
        var audio = _model.Infer(melBatch, _sigma, _generator).to(ScalarType.Float32);
        int hop = _model.Config.UpsampleStride;
        var result = new List<float[]>(frames.Count);
        for (int b = 0; b < frames.Count; b++)
        {
            var item = audio[b, ..(int)Math.Min(audio.shape[1], (long)frames[b] * hop)].unsqueeze(0);
            if (_denoiser is not null)
                item = _denoiser.Denoise(item, _strength).reshape(-1);
            result.Add(TensorValues.Floats(item));
        }
        return result;
    }

    public void Dispose()
    {
        _denoiser?.Dispose();
        _model.Dispose();
    }
}
