// How much the log-mels of a folder of WAVs change over time: for each WAV, each channel's standard deviation over
// time (level swings) and the standard deviation of its frame-to-frame difference (fast changes), averaged over
// channels and WAVs. The default voice's model card compares the teacher, the teacher through Griffin-Lim and the
// voice with it (a model that predicts several frames per step smooths fast changes; see MelSharpening).
// Usage: dotnet run -c Release --project tools/voice/MelDynamics -- WAV_DIR [WAV_DIR...]
using MlNetTts.Audio;
using static TorchSharp.torch;

if (args.Length == 0 || args.Any(d => !Directory.Exists(d)))
{
    Console.Error.WriteLine("usage: MelDynamics WAV_DIR [WAV_DIR...]  (each folder must exist and hold .wav files)");
    return 2;
}
using var mel = new MelSpectrogram(new MelSettings());
Console.WriteLine("folder\tWAVs\tlevel std\tframe-to-frame std");
foreach (var dir in args)
{
    var files = Directory.GetFiles(dir, "*.wav");
    double level = 0, change = 0;
    int counted = 0;
    foreach (var path in files)
    {
        using var scope = NewDisposeScope();
        var wave = WaveFile.Read(path, mel.Settings.SampleRate); // flite's 16 kHz WAVs are resampled
        var logMel = mel.Compute(tensor(wave.Samples).unsqueeze(0)).squeeze(0); // (mels, frames)
        if (logMel.shape[1] < 3) continue;
        level += logMel.std(1).mean().item<float>();
        change += (logMel[.., 1..] - logMel[.., ..^1]).std(1).mean().item<float>();
        counted++;
    }
    Console.WriteLine($"{dir}\t{counted}\t{level / Math.Max(1, counted):0.000}\t{change / Math.Max(1, counted):0.000}");
}
return 0;
