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
        AssertHumanRate(voice, spoken, Sentence);
    }

    [TestMethod]
    public void TheBundledVoiceReadsEverySymbolInOrder() => AssertReadsInOrder(Spoken.Value.Spoken, Sentence);

    [TestMethod]
    public void TheBundledVoiceNeitherSkipsNorBabblesOnSentencesOf5To40Words()
    {
        // Held-out LJSpeech validation transcripts (5, 10, 14, 18 and 26 words) and one of 40 words written for this test,
        // which the voice splits at its clause marks.
        string[] sentences =
        [
            "We come to the sermon.",
            "Speaking on a debate on prison matters, he declared that",
            "The police asked him whether he could pick out his passenger from the lineup.",
            "Mrs. Kennedy chose the hospital in Bethesda for the autopsy because the President had served in the Navy.",
            "The arguments he used to justify his use of the alias suggest that Oswald may have come to think that the whole world was becoming involved",
            "The committee met again on Tuesday morning to read the new report, and after a long discussion about the prison, the courts and the police, its members finally agreed to publish their findings before the end of the following month.",
        ];
        var voice = Voice.LoadDefault();
        using var model = voice.CreateTacotron2();
        var synthesizer = new TextSynthesizer(model, voice.SynthesisOptions(new TextSynthesisOptions { Seed = 1, BatchSize = 4 }));
        var spoken = synthesizer.Synthesize(sentences, withAlignment: true);
        for (int i = 0; i < sentences.Length; i++)
        {
            Assert.IsFalse(spoken[i].HitMaxDecoderSteps, $"sentence {i + 1}: the gate never fired (babbling)");
            AssertHumanRate(voice, spoken[i], sentences[i]);
            AssertReadsInOrder(spoken[i], sentences[i]);
        }
    }

    private static void AssertHumanRate(Voice voice, SynthesizedText spoken, string text)
    {
        // Speech runs at about 10-20 characters per second; allow 5-40 so only a broken voice fails.
        double seconds = spoken.Frames * (double)voice.Manifest.Mel.HopLength / voice.Manifest.Mel.SampleRate;
        double rate = text.Length / seconds;
        Assert.IsTrue(rate is > 5 and < 40, $"\"{text}\": {text.Length} characters in {seconds:0.00} s = {rate:0.0} characters/s");
    }

    private static void AssertReadsInOrder(SynthesizedText spoken, string text)
    {
        // Where the attention looks, frame by frame: it must end on the last symbols, move forward, and visit almost every
        // symbol. The pauses between the sentences of a split text attend to nothing and are left out.
        int symbols = spoken.Symbols;
        var focus = new List<int>(spoken.Frames);
        for (int t = 0; t < spoken.Frames; t++)
        {
            int best = 0;
            float total = 0;
            for (int n = 0; n < symbols; n++)
            {
                float weight = spoken.Alignment[t * symbols + n];
                total += weight;
                if (weight > spoken.Alignment[t * symbols + best]) best = n;
            }
            if (total > 0.5f) focus.Add(best);
        }
        int frames = focus.Count;
        Assert.IsGreaterThanOrEqualTo(symbols - 1 - Math.Max(3, symbols / 10), focus[^1], $"\"{text}\": the attention stopped before the end of the text (words skipped)");
        int backwards = Enumerable.Range(1, frames - 1).Count(t => focus[t] < focus[t - 1] - 2);
        Assert.IsLessThanOrEqualTo(frames / 20, backwards, $"\"{text}\": the attention jumps backwards (repeated words)");
        double visited = focus.Distinct().Count() / (double)symbols;
        Assert.IsGreaterThan(0.6, visited, $"\"{text}\": only {visited:P0} of the symbols were ever the attention's focus (skipped words)");
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
