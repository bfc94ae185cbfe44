using MlNetTts.Audio;
using MlNetTts.Tacotron2;
using MlNetTts.Voices;
using static TorchSharp.torch;

namespace MlNetTts.Tests.Voices;

/// <summary>The voice shipped in voices/default (copied into every build output) really speaks.</summary>
[TestClass]
public sealed class BundledVoiceTests
{
    // Ten words, in the style of the training transcripts but not one of them.
    private const string Sentence = "The committee met again on Tuesday to discuss the new report.";

    // One synthesis shared by the tests (a broken voice runs to the decoder cap, which takes a while).
    private static readonly Lazy<(Voice Voice, SynthesizedText Spoken)> Spoken = new(() =>
    {
        var voice = Voice.LoadDefault();
        using var model = voice.CreateTacotron2();
        var synthesizer = new TextSynthesizer(model, voice.SynthesisOptions(new TextSynthesisOptions { Seed = 1 }));
        return (voice, synthesizer.Synthesize([Sentence], withAlignment: true).Single());
    });

    [TestMethod]
    public void TheBundledVoiceSpeaksASentenceAtAHumanRateBeforeTheDecoderCap()
    {
        var (voice, spoken) = Spoken.Value;

        Assert.IsFalse(spoken.HitMaxDecoderSteps, "the gate never fired: the voice babbles instead of stopping");
        // Speech runs at about 10-20 characters per second; allow 5-40 so only a broken voice fails.
        double seconds = spoken.Frames * (double)voice.Manifest.Mel.HopLength / voice.Manifest.Mel.SampleRate;
        double rate = Sentence.Length / seconds;
        Assert.IsTrue(rate is > 5 and < 40, $"{Sentence.Length} characters in {seconds:0.00} s = {rate:0.0} characters/s");
    }

    [TestMethod]
    public void TheBundledVoiceReadsEverySymbolInOrder()
    {
        var spoken = Spoken.Value.Spoken;

        // Where the attention looks, frame by frame: it must end on the last symbols, move forward, and visit almost every symbol.
        int frames = spoken.Frames, symbols = spoken.Symbols;
        var focus = new int[frames];
        for (int t = 0; t < frames; t++)
        {
            int best = 0;
            for (int n = 1; n < symbols; n++)
                if (spoken.Alignment[t * symbols + n] > spoken.Alignment[t * symbols + best]) best = n;
            focus[t] = best;
        }
        Assert.IsGreaterThanOrEqualTo(symbols - 1 - Math.Max(3, symbols / 10), focus[^1], "the attention stopped before the end of the text (words skipped)");
        int backwards = Enumerable.Range(1, frames - 1).Count(t => focus[t] < focus[t - 1] - 2);
        Assert.IsLessThanOrEqualTo(frames / 20, backwards, "the attention jumps backwards (repeated words)");
        double visited = focus.Distinct().Count() / (double)symbols;
        Assert.IsGreaterThan(0.6, visited, $"only {visited:P0} of the symbols were ever the attention's focus (skipped words)");
    }

    [TestMethod]
    public void TheBundledVoiceIsNotSilentThroughItsSharpeningAndGriffinLim()
    {
        var (voice, spoken) = Spoken.Value;
        using var scope = NewDisposeScope();
        using var melFrontEnd = new MelSpectrogram(voice.Manifest.Mel);
        var mel = MelSharpening.Apply(tensor(spoken.Mel, [spoken.Frames, spoken.MelChannels]).transpose(0, 1), voice.Manifest.MelSharpening);
        var audio = GriffinLim.FromLogMel(mel, melFrontEnd, voice.Manifest.GriffinLimIterations, new Generator(1));
        double rms = audio.square().mean().sqrt().item<float>();
        Assert.IsGreaterThan(0.01, rms, $"RMS {rms:0.0000}: the audio is (nearly) silent");
        Assert.IsLessThan(1.5f, audio.abs().max().item<float>(), "the audio is far beyond full scale");
    }
}
