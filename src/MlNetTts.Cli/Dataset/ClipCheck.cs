using MlNetTts.Audio;

namespace MlNetTts.Cli.Dataset;

/// <summary>The result of checking one clip.</summary>
/// <param name="Entry">The clip.</param>
/// <param name="Problems">Everything found wrong with it.</param>
/// <param name="Audio">The audio at the file's own rate, when it could be read.</param>
internal sealed record ClipCheck(DatasetEntry Entry, IReadOnlyList<DatasetProblem> Problems, Waveform? Audio)
{
    /// <summary>Whether the clip has an error other than a wrong sample rate (which resampling fixes).</summary>
    public bool HasErrorBesidesSampleRate => Problems.Any(p => p.Severity == ProblemSeverity.Error && p.Kind != ProblemKinds.WrongSampleRate);
}
