using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MlNetTts.Audio;
using MlNetTts.Text;

namespace MlNetTts.Cli.Dataset;

/// <summary>
/// Checks one clip for everything that would spoil training: missing or unreadable audio, wrong sample rate, empty
/// text, characters the symbol set drops, more mel frames than the decoder may produce, long silence at either end.
/// All problems of a clip are reported, not just the first.
/// </summary>
internal sealed partial class DatasetChecker(DatasetCheckOptions options)
{
    private static readonly HashSet<char> Speakable = new((Symbols.Special + Symbols.Punctuation + Symbols.Letters).ToCharArray());

    /// <summary>The options in force.</summary>
    public DatasetCheckOptions Options { get; } = options;

    /// <summary>Checks <paramref name="entry"/>.</summary>
    public ClipCheck Check(DatasetEntry entry)
    {
        var problems = new List<DatasetProblem>();
        CheckText(entry, problems);
        var audio = CheckAudio(entry, problems);
        return new ClipCheck(entry, problems, audio);
    }

    /// <summary>Characters of <paramref name="text"/> that the symbol set drops after English cleaning (ARPAbet groups excluded), in order of appearance.</summary>
    public static string DroppedCharacters(string text)
    {
        string cleaned = EnglishCleaners.Clean(ArpabetGroup().Replace(text, " "));
        var dropped = new StringBuilder();
        foreach (char c in cleaned)
            if (!Speakable.Contains(c) && dropped.ToString().IndexOf(c, StringComparison.Ordinal) < 0)
                dropped.Append(c);
        return dropped.ToString();
    }

    private void CheckText(DatasetEntry entry, List<DatasetProblem> problems)
    {
        if (entry.Text.Trim().Length == 0)
        {
            problems.Add(Problem(entry, ProblemKinds.EmptyText, ProblemSeverity.Error, null, "the transcript is empty"));
            return;
        }
        if (TextEncoder.TextToSequence(entry.Text).Length == 0)
            problems.Add(Problem(entry, ProblemKinds.EmptyText, ProblemSeverity.Error, null, "nothing of the transcript is left after cleaning"));
        string dropped = DroppedCharacters(entry.Text);
        if (dropped.Length > 0)
            problems.Add(Problem(entry, ProblemKinds.DroppedCharacters, ProblemSeverity.Warning, null,
                "the symbol set drops " + string.Join(" ", dropped.Select(Describe))));
    }

    private Waveform? CheckAudio(DatasetEntry entry, List<DatasetProblem> problems)
    {
        if (!File.Exists(entry.AudioPath))
        {
            problems.Add(Problem(entry, ProblemKinds.MissingAudio, ProblemSeverity.Error, entry.AudioPath, "audio file not found"));
            return null;
        }
        Waveform audio;
        try
        {
            audio = WaveFile.Read(entry.AudioPath, targetSampleRate: null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            problems.Add(Problem(entry, ProblemKinds.UnreadableAudio, ProblemSeverity.Error, entry.AudioPath, e.Message));
            return null;
        }
        if (audio.SampleRate != Options.SampleRate)
            problems.Add(Problem(entry, ProblemKinds.WrongSampleRate, ProblemSeverity.Error, entry.AudioPath,
                $"{audio.SampleRate} Hz, expected {Options.SampleRate} Hz (--resample-to {Options.SampleRate} writes fixed copies)"));

        long samplesAtModelRate = Resampler.OutputLength(audio.Samples.Length, audio.SampleRate, Options.SampleRate);
        long frames = samplesAtModelRate / Options.HopLength + 1;
        long maxFrames = (long)Options.MaxDecoderSteps * Options.FramesPerStep;
        if (frames > maxFrames)
            problems.Add(Problem(entry, ProblemKinds.TooLong, ProblemSeverity.Warning, entry.AudioPath,
                $"{frames} mel frames ({audio.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s), the decoder stops at {maxFrames}"));

        CheckSilence(entry, audio, problems);
        return audio;
    }

    private void CheckSilence(DatasetEntry entry, Waveform audio, List<DatasetProblem> problems)
    {
        int window = Math.Max(1, audio.SampleRate / 100);
        int windows = (audio.Samples.Length + window - 1) / window;
        double threshold = Math.Pow(10, Options.SilenceThresholdDb / 20);
        int firstLoud = -1, lastLoud = -1;
        for (int w = 0; w < windows; w++)
        {
            if (Rms(audio.Samples, w * window, window) <= threshold) continue;
            if (firstLoud < 0) firstLoud = w;
            lastLoud = w;
        }
        string level = Options.SilenceThresholdDb.ToString("0.#", CultureInfo.InvariantCulture) + " dBFS";
        if (firstLoud < 0)
        {
            problems.Add(Problem(entry, ProblemKinds.Silent, ProblemSeverity.Error, entry.AudioPath, $"no sound above {level}"));
            return;
        }
        double leading = (double)firstLoud * window / audio.SampleRate;
        double trailing = Math.Max(0, audio.Samples.Length - (double)(lastLoud + 1) * window) / audio.SampleRate;
        if (leading > Options.MaxSilenceSeconds)
            problems.Add(Problem(entry, ProblemKinds.LeadingSilence, ProblemSeverity.Warning, entry.AudioPath,
                $"{leading.ToString("0.00", CultureInfo.InvariantCulture)} s below {level} at the start (limit {Options.MaxSilenceSeconds.ToString(CultureInfo.InvariantCulture)} s)"));
        if (trailing > Options.MaxSilenceSeconds)
            problems.Add(Problem(entry, ProblemKinds.TrailingSilence, ProblemSeverity.Warning, entry.AudioPath,
                $"{trailing.ToString("0.00", CultureInfo.InvariantCulture)} s below {level} at the end (limit {Options.MaxSilenceSeconds.ToString(CultureInfo.InvariantCulture)} s)"));
    }

    private static double Rms(float[] samples, int start, int count)
    {
        int end = Math.Min(samples.Length, start + count);
        double sum = 0;
        for (int i = start; i < end; i++) sum += (double)samples[i] * samples[i];
        return Math.Sqrt(sum / Math.Max(1, end - start));
    }

    private static DatasetProblem Problem(DatasetEntry entry, string kind, ProblemSeverity severity, string? file, string message) =>
        new(kind, severity, entry.Line, entry.Id, file, message);

    private static string Describe(char c) => char.IsControl(c) || char.IsWhiteSpace(c)
        ? $"U+{(int)c:X4}"
        : $"'{c}'";

    [GeneratedRegex(@"\{[^}\n]*\}")]
    private static partial Regex ArpabetGroup();
}
