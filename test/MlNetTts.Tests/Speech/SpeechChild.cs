using MlNetTts.Tests.MlNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Tests.Speech;

/// <summary>
/// What the child process of <see cref="SpeechPersistenceTests"/> runs: load a model zip with nothing but
/// mlContext.Model.Load, score the texts of a file (one per line) and write the named float-vector columns to a file.
/// It touches no MlNetTts type, so the plug-in is found through the model zip alone (exit code 2 if it was loaded before).
/// </summary>
public static class SpeechChild
{
    public static int LoadAndScore(string[] args)
    {
        try
        {
            if (AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "MlNetTts"))
            {
                Console.Error.WriteLine("MlNetTts was loaded before Model.Load");
                return 2;
            }
            var ml = new MLContext(seed: 99); // another seed: the model zip's own seed must be used
            var model = ml.Model.Load(args[0], out _);
            var texts = File.ReadAllLines(args[1]).Select(t => new TextRow { Text = t }).ToArray();
            var scored = model.Transform(ml.Data.LoadFromEnumerable(texts));
            FloatVectorFile.Write(args[2], scored, args.Skip(3));
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 1;
        }
    }
}
