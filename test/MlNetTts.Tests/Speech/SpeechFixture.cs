using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Speech;

/// <summary>The fixture checkpoints and texts the speech transform tests use (names and configs from the manifest).</summary>
internal static class SpeechFixture
{
    /// <summary>Path of the fixture's first Tacotron 2 checkpoint listed in the manifest.</summary>
    public static string Tacotron2Checkpoint => FirstCheckpoint("tacotron2");

    /// <summary>Path of the fixture's first WaveGlow checkpoint listed in the manifest.</summary>
    public static string WaveGlowCheckpoint => FirstCheckpoint("waveglow");

    public static int Tacotron2MelChannels => ReferenceFixtures.Current.Section("tacotron2").GetProperty("config").GetProperty("n_mel_channels").GetInt32();

    public static int WaveGlowMelChannels => ReferenceFixtures.Current.Section("waveglow").GetProperty("config").GetProperty("n_mel_channels").GetInt32();

    public static int MaxDecoderSteps => ReferenceFixtures.Current.Section("tacotron2").GetProperty("config").GetProperty("max_decoder_steps").GetInt32();

    /// <summary>The manifest's batch sentences.</summary>
    public static IReadOnlyList<string> Sentences =>
        ReferenceFixtures.Current.Section("tacotron2").GetProperty("batch").EnumerateArray().Select(e => e.GetProperty("text").GetString()!).ToList();

    private static string FirstCheckpoint(string model) =>
        ReferenceFixtures.Current.PathOf(ReferenceFixtures.Current.Section(model).GetProperty("checkpoints").EnumerateObject().First().Name);

    /// <summary><paramref name="count"/> texts of mixed lengths (one word to several sentences) built from the fixture sentences.</summary>
    public static TextRow[] MixedTexts(int count)
    {
        var words = string.Join(" ", Sentences).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var rows = new TextRow[count];
        for (int i = 0; i < count; i++)
        {
            int length = 1 + (i * 7) % Math.Max(1, words.Length);
            var text = new StringBuilder();
            for (int w = 0; w < length; w++) text.Append(words[(i + w) % words.Length]).Append(' ');
            rows[i] = new TextRow { Text = text.ToString().Trim(), Id = $"row{i}" };
        }
        return rows;
    }

    /// <summary>Every value of a float-vector column, in row order.</summary>
    public static List<float[]> ReadVectors(IDataView data, string name)
    {
        var column = data.Schema[name];
        using var cursor = data.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        var result = new List<float[]>();
        while (cursor.MoveNext())
        {
            get(ref value);
            result.Add(value.DenseValues().ToArray());
        }
        return result;
    }

    /// <summary>Every value of a scalar column, in row order.</summary>
    public static List<T> ReadScalars<T>(IDataView data, string name)
    {
        var column = data.Schema[name];
        using var cursor = data.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<T>(column);
        T value = default!;
        var result = new List<T>();
        while (cursor.MoveNext())
        {
            get(ref value);
            result.Add(value);
        }
        return result;
    }

    /// <summary>Largest |a - b| over two equally long arrays (asserts the lengths match).</summary>
    public static double MaxAbsDifference(float[] a, float[] b, string what)
    {
        Assert.HasCount(a.Length, b, $"{what}: lengths differ");
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - (double)b[i]));
        return max;
    }
}
