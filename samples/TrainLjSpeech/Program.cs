using MlNetTts.Samples.TrainLjSpeech;

// usage: dotnet run -c Release --project samples/TrainLjSpeech -- LJSPEECH_DIR OUT_DIR [--epochs N] [--batch-size N] [--no-waveglow]
//        dotnet run -c Release --project samples/TrainLjSpeech -- --smoke OUT_DIR
//   LJSPEECH_DIR: the LJSpeech-1.1 folder (metadata.csv + wavs/). Full runs take days on a GPU (NVIDIA trains 1501
//   Tacotron 2 and 1001 WaveGlow epochs); --epochs shortens both. --smoke trains tiny models a few steps on generated clips.
if (args.Length >= 2 && args[0] == "--smoke")
{
    var output = Path.GetFullPath(args[1]);
    var options = RecipeOptions.Smoke(SmokeData.Write(Path.Combine(output, "data")), output);
    return Run(options);
}
if (args.Length < 2 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: TrainLjSpeech LJSPEECH_DIR OUT_DIR [--epochs N] [--batch-size N] [--no-waveglow] | TrainLjSpeech --smoke OUT_DIR");
    return 2;
}
var recipe = new RecipeOptions { DatasetDirectory = Path.GetFullPath(args[0]), OutputDirectory = Path.GetFullPath(args[1]) };
for (int i = 2; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--epochs":
            int epochs = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
            recipe = recipe with { Tacotron2Training = recipe.Tacotron2Training with { Epochs = epochs }, WaveGlowTraining = recipe.WaveGlowTraining with { Epochs = epochs } };
            break;
        case "--batch-size":
            int batch = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
            recipe = recipe with { Tacotron2Training = recipe.Tacotron2Training with { BatchSize = batch }, WaveGlowTraining = recipe.WaveGlowTraining with { BatchSize = batch } };
            break;
        case "--no-waveglow":
            recipe = recipe with { TrainWaveGlow = false };
            break;
        default:
            Console.Error.WriteLine($"TrainLjSpeech: unknown option {args[i]}");
            return 2;
    }
}
return Run(recipe);

static int Run(RecipeOptions options)
{
    try
    {
        TrainingRecipe.Run(options, Console.Out);
        return 0;
    }
    catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException or FormatException)
    {
        Console.Error.WriteLine($"TrainLjSpeech: {e.Message}");
        return 1;
    }
}
