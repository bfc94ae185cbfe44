using MlNetTts.Audio;
using MlNetTts.Tacotron2;

namespace MlNetTts.Voices;

/// <summary>
/// The <c>voice.json</c> of a voice folder: what the weights are and how to speak with them. A voice is a Tacotron 2
/// (weights in <see cref="WeightsFile"/>) plus the mel settings its vocoder must use; the synthesis defaults are the
/// ones its intelligibility figures were measured with.
/// </summary>
public sealed record VoiceManifest
{
    /// <summary>The <see cref="Format"/> this version of the library reads and writes.</summary>
    public const string CurrentFormat = "MlNetTts.Voice/1";

    /// <summary>The default of <see cref="SentenceMaxLength"/>.</summary>
    public const int DefaultSentenceMaxLength = 120;

    /// <summary>Format tag; a folder with another value is refused.</summary>
    public string Format { get; init; } = CurrentFormat;

    /// <summary>Short name, e.g. <c>ljs-flite-rms</c>.</summary>
    public required string Name { get; init; }

    /// <summary>One line on what the voice is (data, teacher); the model card next to it has the details.</summary>
    public string Description { get; init; } = "";

    /// <summary>The Tacotron 2 architecture the weights belong to.</summary>
    public required Tacotron2Config Tacotron2 { get; init; }

    /// <summary>The mel spectrogram the model was trained on; a vocoder must invert this one.</summary>
    public MelSettings Mel { get; init; } = MelSettings.Default;

    /// <summary>Safetensors file (relative to the folder) holding the Tacotron 2 state_dict, fp16 or bf16 or fp32.</summary>
    public string WeightsFile { get; init; } = "tacotron2.safetensors";

    /// <summary>Longest sentence (characters) spoken in one piece; longer ones are split at punctuation first.</summary>
    public int SentenceMaxLength { get; init; } = DefaultSentenceMaxLength;

    /// <summary>Griffin-Lim iterations when the voice is vocoded without a WaveGlow.</summary>
    public int GriffinLimIterations { get; init; } = GriffinLim.DefaultIterations;

    /// <summary>
    /// <see cref="MelSharpening"/> amount applied to the voice's mels before vocoding (0, the default: none); the
    /// voice's intelligibility figures were measured with it.
    /// </summary>
    public double MelSharpening { get; init; }

    /// <summary>
    /// Draws decoded per sentence, of which the one whose attention covers the most of the sentence is kept
    /// (<see cref="Tacotron2.TextSynthesisOptions.Candidates"/>); 1, the default, is a single draw.
    /// </summary>
    public int Candidates { get; init; } = 1;

    /// <summary>
    /// A CMUdict-format file in the voice folder, for a voice trained on text whose known words were ARPAbet
    /// (<c>train tacotron2 --pronunciations</c>): texts are rewritten with it before encoding
    /// (<see cref="Text.PronunciationDictionary"/>). Null, the default: the voice reads letters.
    /// </summary>
    public string? PronunciationsFile { get; init; }
}
