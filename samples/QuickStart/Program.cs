using System.CommandLine;
using MlNetTts.Samples.QuickStart;

// The README's main job: speak with the bundled default voice, no download, no checkpoint to find.
//   dotnet run --project samples/QuickStart                       # the default sentences
//   dotnet run --project samples/QuickStart -- "Any sentence."    # your own (several allowed)
var sentences = new Argument<string[]>("text") { Description = "Sentences to speak, one WAV each (default: three sample sentences).", Arity = ArgumentArity.ZeroOrMore };
var output = new Option<string>("--output-dir", "-o") { Description = "Folder for the WAV files.", DefaultValueFactory = _ => "quickstart-output" };
var root = new RootCommand("Speak sentences with MlNetTts's bundled default voice (Tacotron 2 + Griffin-Lim) through an ML.NET pipeline.") { sentences, output };
root.SetAction(result =>
{
    try
    {
        var texts = result.GetValue(sentences) is { Length: > 0 } given ? given : QuickStartRun.DefaultSentences;
        var run = QuickStartRun.Speak(texts, result.GetValue(output)!);
        foreach (var file in run.Files) Console.WriteLine(file);
        Console.WriteLine($"{run.Files.Count} WAV file(s) in {Path.GetFullPath(result.GetValue(output)!)}: " +
            $"{run.AudioSeconds:0.00} s of speech in {run.WallSeconds:0.00} s, RTF {run.Rtf:0.0} (seconds of speech per second of compute; " +
            $"loading the voice took {run.LoadSeconds:0.00} s more)");
        return 0;
    }
    catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException or InvalidDataException)
    {
        Console.Error.WriteLine($"QuickStart: {e.Message}");
        return 1;
    }
});
return root.Parse(args).Invoke();
