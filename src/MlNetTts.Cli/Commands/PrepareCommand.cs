using System.CommandLine;
using System.Globalization;
using MlNetTts.Audio;
using MlNetTts.Cli.Console;
using MlNetTts.Cli.Dataset;
using Spectre.Console;
using TorchSharp;

namespace MlNetTts.Cli.Commands;

/// <summary>
/// <c>prepare</c>: checks a dataset in one pass and reports every problem (NVIDIA's preprocess_audio2mel.py plus the
/// checks it lacks), optionally writes resampled copies and a mel cache.
/// </summary>
internal static class PrepareCommand
{
    public static Command Create(CliConsole console)
    {
        var dataset = new Argument<string>("dataset")
        {
            Description = "An LJSpeech folder (metadata.csv + wavs/), its metadata.csv, or a NVIDIA file list ('wav path|text' lines).",
        };
        var audioRoot = new Option<string?>("--audio-root", "-d")
        {
            Description = "Folder the file list's wav paths are relative to (default: the current folder, as NVIDIA's --dataset-path); for LJSpeech the wavs folder (default: wavs/ beside metadata.csv).",
        };
        var sampleRate = CliOptions.PositiveInt("--sample-rate", WaveFile.DefaultSampleRate, "Sample rate the clips must have.");
        var resampleTo = new Option<int?>("--resample-to")
        {
            Description = "Write a copy resampled to this rate (16-bit WAV, atomically) of every clip with another rate, into --resampled-dir; also sets the expected rate.",
        };
        var resampledDir = new Option<string?>("--resampled-dir") { Description = "Folder for --resample-to copies (default: wavs_<rate> beside the listing)." };
        var melCache = new Option<string?>("--mel-cache") { Description = "Write a float16 mel spectrogram per usable clip into this folder (<id>.safetensors, tensor 'mel', plus filelist.txt)." };
        var melChannels = CliOptions.PositiveInt("--n-mel-channels", 80, "Mel channels.");
        var filterLength = CliOptions.PositiveInt("--filter-length", 1024, "FFT size.");
        var hopLength = CliOptions.PositiveInt("--hop-length", 256, "Samples per mel frame.");
        var winLength = CliOptions.PositiveInt("--win-length", 1024, "Window length.");
        var fmin = CliOptions.NonNegative("--mel-fmin", 0, "Lowest mel frequency (Hz).");
        var fmax = CliOptions.NonNegative("--mel-fmax", 8000, "Highest mel frequency (Hz); NVIDIA's published checkpoints use 8000 in training (config.json of NGC: 7000 for some).");
        var maxSteps = CliOptions.PositiveInt("--max-decoder-steps", 2000, "Decoder step cap: clips with more mel frames are reported too long.");
        var framesPerStep = CliOptions.PositiveInt("--n-frames-per-step", 1, "Mel frames per decoder step.");
        var silenceDb = CliOptions.WithDefault("--silence-threshold", -40.0, "Level in dBFS at or below which a 10 ms window is silence.");
        var maxSilence = CliOptions.NonNegative("--max-silence", 0.5, "Longest silence (s) allowed at the start or end of a clip.");
        var strict = new Option<bool>("--strict") { Description = "Exit with 1 on warnings too (default: only errors fail)." };
        var json = CliOptions.Json();

        var command = new Command("prepare", "Check a dataset and report every problem in one pass: malformed lines, duplicate ids, missing or unreadable audio, wrong sample rate, empty transcripts, characters the symbol set drops, clips longer than the decoder limit, long leading/trailing silence. Optionally write resampled copies and a mel cache. Exit code 0 when no problem of severity error was found (warnings too with --strict), else 1.")
        {
            dataset, audioRoot, sampleRate, resampleTo, resampledDir, melCache, melChannels, filterLength, hopLength, winLength,
            fmin, fmax, maxSteps, framesPerStep, silenceDb, maxSilence, strict, json,
        };
        command.SetAction(result => CliApplication.Guard(console, command, () =>
        {
            int rate = result.GetValue(resampleTo) ?? result.GetValue(sampleRate);
            if (rate < WaveFile.MinSampleRate || rate > WaveFile.MaxSampleRate)
                throw new UsageException($"the sample rate must lie in [{WaveFile.MinSampleRate}, {WaveFile.MaxSampleRate}] Hz; got {rate}.");
            var mel = new MelSettings
            {
                SampleRate = rate,
                FilterLength = result.GetValue(filterLength),
                HopLength = result.GetValue(hopLength),
                WinLength = result.GetValue(winLength),
                MelChannels = result.GetValue(melChannels),
                FMin = result.GetValue(fmin),
                FMax = result.GetValue(fmax),
            };
            try
            {
                mel.Validate();
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            var check = new DatasetCheckOptions
            {
                SampleRate = rate,
                HopLength = mel.HopLength,
                MaxDecoderSteps = result.GetValue(maxSteps),
                FramesPerStep = result.GetValue(framesPerStep),
                SilenceThresholdDb = result.GetValue(silenceDb),
                MaxSilenceSeconds = result.GetValue(maxSilence),
            };
            return Run(console, result.GetValue(dataset)!, result.GetValue(audioRoot), check, mel,
                result.GetValue(resampleTo) is not null, result.GetValue(resampledDir), result.GetValue(melCache),
                result.GetValue(strict), result.GetValue(json));
        }));
        return command;
    }

    private static int Run(CliConsole console, string datasetPath, string? audioRoot, DatasetCheckOptions options, MelSettings melSettings,
        bool resample, string? resampledDir, string? melCacheDir, bool strict, bool json)
    {
        var listing = DatasetListing.Read(datasetPath, audioRoot);
        var listingDir = Path.GetDirectoryName(listing.ListingPath)!;
        if (resample)
        {
            resampledDir = Path.GetFullPath(resampledDir ?? Path.Combine(listingDir, $"wavs_{options.SampleRate}"));
            Directory.CreateDirectory(resampledDir);
        }
        if (melCacheDir is not null)
        {
            melCacheDir = Path.GetFullPath(melCacheDir);
            Directory.CreateDirectory(melCacheDir);
        }

        var checker = new DatasetChecker(options);
        var problems = new List<DatasetProblem>(listing.Problems);
        var cached = new List<(string Id, string Text)>();
        int readable = 0, resampledCount = 0;
        double seconds = 0;
        using var melSpectrogram = melCacheDir is null ? null : new MelSpectrogram(melSettings);
        ProgressReporter.Run(console, "Checking clips", listing.Entries.Count, advance =>
        {
            foreach (var entry in listing.Entries)
            {
                var clip = checker.Check(entry);
                problems.AddRange(clip.Problems);
                if (clip.Audio is { } audio)
                {
                    readable++;
                    seconds += audio.Seconds;
                    float[]? atModelRate = null;
                    if (resample && audio.SampleRate != options.SampleRate)
                    {
                        atModelRate = Resampler.Resample(audio.Samples, audio.SampleRate, options.SampleRate);
                        WaveFile.Write(Path.Combine(resampledDir!, entry.Id + ".wav"), atModelRate, options.SampleRate);
                        resampledCount++;
                    }
                    if (melSpectrogram is not null && !clip.HasErrorBesidesSampleRate)
                    {
                        atModelRate ??= audio.SampleRate == options.SampleRate
                            ? audio.Samples
                            : Resampler.Resample(audio.Samples, audio.SampleRate, options.SampleRate);
                        WriteMel(melSpectrogram, melCacheDir!, entry, atModelRate);
                        cached.Add((entry.Id, entry.Text));
                    }
                }
                advance();
            }
        });
        if (melCacheDir is not null)
            MelCache.WriteFileList(melCacheDir, cached);

        problems.Sort((a, b) => (a.Line ?? 0).CompareTo(b.Line ?? 0));
        var report = new PrepareReport
        {
            Dataset = listing.ListingPath,
            Layout = listing.Layout == DatasetLayout.LjSpeech ? "ljspeech" : "filelist",
            Clips = listing.Entries.Count,
            Readable = readable,
            AudioSeconds = Math.Round(seconds, 3),
            Errors = problems.Count(p => p.Severity == ProblemSeverity.Error),
            Warnings = problems.Count(p => p.Severity == ProblemSeverity.Warning),
            ProblemCounts = problems.GroupBy(p => p.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            Problems = problems.Select(p => new PrepareReport.ReportedProblem(p.Kind, p.Severity == ProblemSeverity.Error ? "error" : "warning",
                p.Line, p.Id, p.File, p.Message)).ToList(),
            Resampled = resample ? new PrepareReport.WrittenFiles(resampledDir!, resampledCount) : null,
            MelCache = melCacheDir is null ? null : new PrepareReport.WrittenFiles(melCacheDir, cached.Count),
        };
        if (json) JsonOutput.Write(console.Out, report);
        else WriteHuman(console, report);
        bool failed = report.Errors > 0 || (strict && report.Warnings > 0);
        return failed ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private static void WriteMel(MelSpectrogram melSpectrogram, string directory, DatasetEntry entry, float[] samples)
    {
        using var scope = torch.NewDisposeScope();
        // Resampling can overshoot full scale by a hair; the front end requires [-1, 1].
        var audio = torch.tensor(samples).clamp(-1f, 1f);
        var mel = melSpectrogram.Compute(audio);
        int channels = (int)mel.shape[0], frames = (int)mel.shape[1];
        MelCache.Write(MelCache.PathOf(directory, entry.Id), mel.contiguous().data<float>().ToArray(), channels, frames,
            melSpectrogram.Settings, samples.Length, entry.AudioPath);
    }

    private static void WriteHuman(CliConsole console, PrepareReport report)
    {
        var output = console.Out;
        output.WriteLine($"Dataset: {report.Dataset} ({report.Layout})");
        output.WriteLine($"Clips: {report.Clips} listed, {report.Readable} readable, {(report.AudioSeconds / 3600).ToString("0.00", CultureInfo.InvariantCulture)} h of audio");
        if (report.Problems.Count > 0)
        {
            var table = new Table().AddColumns("Line", "Id", "Severity", "Problem", "Details");
            foreach (var p in report.Problems)
                table.AddRow(Markup.Escape(p.Line?.ToString(CultureInfo.InvariantCulture) ?? ""), Markup.Escape(p.Id ?? ""), p.Severity, p.Kind, Markup.Escape(p.Message));
            console.Tables.Write(table);
            foreach (var (kind, count) in report.ProblemCounts)
                output.WriteLine($"  {kind}: {count}");
        }
        output.WriteLine($"Problems: {report.Errors} error(s), {report.Warnings} warning(s)");
        if (report.Resampled is { } r) output.WriteLine($"Resampled copies: {r.Files} written to {r.Directory}");
        if (report.MelCache is { } m) output.WriteLine($"Mel cache: {m.Files} clip(s) written to {m.Directory} (file list: {Path.Combine(m.Directory, MelCache.FileListName)})");
    }
}
