// The Griffin-Lim ceiling of the default voice: each teacher WAV -> log-mel (the training front end) -> Griffin-Lim
// -> WAV, so tools/voice/intelligibility.sh scores what the vocoder alone leaves of the mels the model learns.
// Usage: dotnet run -c Release --project tools/voice/GriffinLimCeiling -- WAV_DIR OUT_DIR [ITERATIONS=30]
using System.Globalization;
using MlNetTts.Audio;
using static TorchSharp.torch;

if (args.Length < 2 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: GriffinLimCeiling WAV_DIR OUT_DIR [ITERATIONS=30]  (WAV_DIR must exist and hold .wav files)");
    return 2;
}
var (input, output) = (args[0], args[1]);
int iterations = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : GriffinLim.DefaultIterations;
Directory.CreateDirectory(output);
using var mel = new MelSpectrogram(new MelSettings());
foreach (var path in Directory.GetFiles(input, "*.wav"))
{
    using var scope = NewDisposeScope();
    var wave = WaveFile.Read(path);
    var audio = tensor(wave.Samples).unsqueeze(0);
    var logMel = mel.Compute(audio);
    var rebuilt = GriffinLim.FromLogMel(logMel, mel, iterations).squeeze(0);
    WaveFile.Write(Path.Combine(output, Path.GetFileName(path)), rebuilt.data<float>().ToArray(), wave.SampleRate);
}
int written = Directory.GetFiles(output, "*.wav").Length;
Console.WriteLine($"{written} WAVs in {output} (Griffin-Lim, {iterations} iterations)");
return 0;
