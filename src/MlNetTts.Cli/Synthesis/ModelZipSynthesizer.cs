using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Audio;
using MlNetTts.Runtime;
using MlNetTts.Speech;
using MlNetTts.Text;
using static TorchSharp.torch;

namespace MlNetTts.Cli.Synthesis;

/// <summary>
/// Speaks through an ML.NET model zip (mlContext.Model.Load) holding a TextToMel (+ MelToAudio) chain: the texts go
/// in as an IDataView of Id/Text rows; the WAV samples come from the waveform column (a float vector with a SampleRate
/// annotation and no mel annotations), or, when the chain ends at the mel, from Griffin-Lim over the mel column.
/// </summary>
internal sealed class ModelZipSynthesizer : ISpeechSynthesizer
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly string _path;
    private readonly int _griffinLimIterations;
    private readonly double _melSharpening;
    private readonly Generator? _generator;

    /// <summary>Loads <paramref name="path"/>; fails naming it when it is missing or not an ML.NET model.</summary>
    public ModelZipSynthesizer(string path, int griffinLimIterations, double melSharpening, int? seed, Generator? generator)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--model {path}: no such file.", path);
        TorchRuntime.EnsureLoaded();
        _ml = new MLContext(seed);
        // Model.Load finds the loaders by the assembly named in the zip; register ours so it is in ML.NET's catalog.
        _ml.ComponentCatalog.RegisterAssembly(typeof(SpeechCatalog).Assembly);
        _path = path;
        _griffinLimIterations = griffinLimIterations;
        _melSharpening = melSharpening;
        _generator = generator;
        try
        {
            _model = _ml.Model.Load(path, out _);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"--model {path}: not an ML.NET model zip this tool can load ({e.Message}).", e);
        }
    }

    /// <inheritdoc />
    public string VocoderName { get; private set; } = "model";

    /// <inheritdoc />
    public int SampleRate { get; private set; } = WaveFile.DefaultSampleRate;

    /// <inheritdoc />
    public IReadOnlyList<SpokenText> Speak(IReadOnlyList<string> texts, bool withAlignment, Action? progress = null)
    {
        var rows = texts.Select((t, i) => new TextRow { Id = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), Text = t }).ToList();
        var scored = _model.Transform(_ml.Data.LoadFromEnumerable(rows));
        var mel = scored.Schema.FirstOrDefault(c => IsFloatVector(c) && AudioAnnotations.GetMelSettings(c) is not null);
        var audio = scored.Schema.FirstOrDefault(c => IsFloatVector(c) && AudioAnnotations.GetSampleRate(c) is not null && AudioAnnotations.GetMelSettings(c) is null);
        if (mel.Name is null && audio.Name is null)
            throw new InvalidDataException($"--model {_path}: its output has neither a mel column (TextToMel) nor a waveform column (MelToAudio); columns: {string.Join(", ", scored.Schema.Select(c => c.Name))}.");
        var settings = mel.Name is null ? null : AudioAnnotations.GetMelSettings(mel);
        var mels = mel.Name is null ? null : scored.GetColumn<VBuffer<float>>(mel).Select(v => v.DenseValues().ToArray()).ToList();
        List<float[]>? waves = null;
        if (audio.Name is not null)
        {
            SampleRate = AudioAnnotations.GetSampleRate(audio)!.Value;
            VocoderName = $"the model's '{audio.Name}' column";
            waves = scored.GetColumn<VBuffer<float>>(audio).Select(v => v.DenseValues().ToArray()).ToList();
        }
        else
        {
            SampleRate = settings!.SampleRate;
            VocoderName = "griffin-lim (the model has no waveform column)";
        }

        using var melSpectrogram = waves is null ? new MelSpectrogram(settings!) : null;
        var splitter = new SentenceSplitter();
        var result = new List<SpokenText>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            int channels = settings?.MelChannels ?? 0;
            var melValues = mels?[i] ?? [];
            int frames = channels == 0 ? 0 : MelColumn.FrameCount(melValues.Length, channels);
            float[] samples = waves?[i] ?? GriffinLimOf(melValues, frames, channels, melSpectrogram!);
            var melMatrix = channels == 0 ? new float[0, 0] : SpeechSynthesizer.MelMatrix(melValues, frames, channels);
            result.Add(new SpokenText(samples, melMatrix, new float[0, 0], splitter.Split(texts[i]).Count, false));
            progress?.Invoke();
        }
        return result;
    }

    private float[] GriffinLimOf(float[] framesMajor, int frames, int channels, MelSpectrogram melSpectrogram)
    {
        // The STFT's reflect padding needs more than half a window of signal; a model that stops at once gives none.
        if ((long)(frames - 1) * melSpectrogram.Settings.HopLength <= melSpectrogram.Settings.FilterLength / 2) return [];
        using var scope = NewDisposeScope();
        var mel = MelSharpening.Apply(tensor(framesMajor, [frames, channels]).t().contiguous(), _melSharpening);
        return TensorValues.Floats(GriffinLim.FromLogMel(mel, melSpectrogram, _griffinLimIterations, _generator));
    }

    private static bool IsFloatVector(DataViewSchema.Column c) => c.Type is VectorDataViewType v && v.ItemType.RawType == typeof(float);

    public void Dispose() => (_model as IDisposable)?.Dispose();

    private sealed class TextRow
    {
        public string Id { get; set; } = "";

        public string Text { get; set; } = "";
    }
}
