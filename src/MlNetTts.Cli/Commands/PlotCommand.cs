using System.CommandLine;
using MlNetTts.Audio;
using MlNetTts.Checkpoints;
using MlNetTts.Cli.Console;
using MlNetTts.Cli.Dataset;
using MlNetTts.Cli.Plots;
using MlNetTts.Cli.Synthesis;
using MlNetTts.Runtime;
using TorchSharp;

namespace MlNetTts.Cli.Commands;

/// <summary><c>plot mel|alignment|loss</c>: PNG figures from files.</summary>
internal static class PlotCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("plot", "Draw PNG figures: a mel spectrogram, an attention alignment, or training/validation loss curves.");
        command.Add(Mel(console));
        command.Add(Alignment(console));
        command.Add(Loss(console));
        CliApplication.RequireSubcommand(command, console, "mlnet-tts plot: name what to plot (mel, alignment or loss).");
        return command;
    }

    private static Option<string?> Output() => new("--output", "-o") { Description = "PNG file to write (default: the input's name with .png)." };

    private static string OutputPath(string input, string? output) => output ?? Path.ChangeExtension(input, ".png");

    private static Command Mel(CliConsole console)
    {
        var input = new Argument<string>("file") { Description = "A WAV file (its log-mel is computed with the reference front end) or a mel-cache .safetensors file (tensor 'mel')." };
        var fmax = CliOptions.NonNegative("--mel-fmax", 8000, "Highest mel frequency (Hz) for WAV input.");
        var channels = CliOptions.PositiveInt("--n-mel-channels", 80, "Mel channels for WAV input.");
        var output = Output();
        var command = new Command("mel", "Plot a mel spectrogram.") { input, fmax, channels, output };
        command.SetAction(result => CliApplication.Guard(console, command, () =>
        {
            string file = result.GetValue(input)!;
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such file.", file);
            TorchRuntime.EnsureLoaded();
            using var scope = torch.NewDisposeScope();
            torch.Tensor mel;
            if (file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                mel = Matrix(file, MelCache.TensorName);
            else
            {
                var audio = WaveFile.Read(file, WaveFile.DefaultSampleRate);
                using var front = new MelSpectrogram(new MelSettings { FMax = result.GetValue(fmax), MelChannels = result.GetValue(channels) });
                mel = front.Compute(torch.tensor(audio.Samples).clamp(-1f, 1f));
            }
            string png = OutputPath(file, result.GetValue(output));
            Figures.Mel(png, TensorValues.Matrix(mel), Path.GetFileName(file));
            console.Out.WriteLine(png);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Alignment(CliConsole console)
    {
        var input = new Argument<string>("file") { Description = "A .safetensors file holding the alignment: (decoder steps, encoder steps), or (1, steps, inputs)." };
        var name = CliOptions.WithDefault("--tensor", "alignments", "Name of the tensor in the file.");
        var output = Output();
        var command = new Command("alignment", "Plot an attention alignment (decoder steps along x, encoder steps along y).") { input, name, output };
        command.SetAction(result => CliApplication.Guard(console, command, () =>
        {
            string file = result.GetValue(input)!;
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such file.", file);
            TorchRuntime.EnsureLoaded();
            using var scope = torch.NewDisposeScope();
            var alignment = Matrix(file, result.GetValue(name)!);
            string png = OutputPath(file, result.GetValue(output));
            Figures.Alignment(png, TensorValues.Matrix(alignment), Path.GetFileName(file));
            console.Out.WriteLine(png);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Loss(CliConsole console)
    {
        var input = new Argument<string>("log") { Description = "Training log CSV with the header step,epoch,train_loss,val_loss (empty cell: not measured)." };
        var title = CliOptions.WithDefault("--title", "Loss", "Figure title.");
        var output = Output();
        var command = new Command("loss", "Plot training and validation loss against the step.") { input, title, output };
        command.SetAction(result => CliApplication.Guard(console, command, () =>
        {
            string file = result.GetValue(input)!;
            var log = LossLog.Read(file);
            string png = OutputPath(file, result.GetValue(output));
            Figures.Loss(png, log, result.GetValue(title)!);
            console.Out.WriteLine(png);
            return ExitCodes.Ok;
        }));
        return command;
    }

    // A 2-D float view of a stored tensor; a leading batch dimension of 1 is dropped.
    private static torch.Tensor Matrix(string file, string name)
    {
        var store = SafeTensorsFile.Open(file);
        if (!store.Names.Contains(name))
            throw new InvalidDataException($"{file}: no tensor '{name}' (it has: {string.Join(", ", store.Names)}).");
        var t = store.Read(name).to(torch.ScalarType.Float32);
        while (t.dim() > 2 && t.shape[0] == 1) t = t.squeeze(0);
        if (t.dim() != 2)
            throw new InvalidDataException($"{file}: tensor '{name}' has shape ({string.Join(", ", t.shape)}); expected 2 dimensions.");
        return t;
    }
}
