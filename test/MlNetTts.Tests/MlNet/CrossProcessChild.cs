using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Tests.MlNet;

/// <summary>
/// What the child process of <see cref="ModelPersistenceTests"/> runs: load a model zip with nothing but
/// mlContext.Model.Load, score one WAV path, write the waveform and mel columns to a file. It touches no MlNetTts
/// type, so the plug-in is found through the model zip alone (exit code 2 if it was loaded beforehand).
/// </summary>
public static class CrossProcessChild
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
            var ml = new MLContext(seed: 1);
            var model = ml.Model.Load(args[0], out _);
            var data = ml.Data.LoadFromEnumerable(new[] { new AudioRow { AudioPath = args[1], Id = "child" } });
            var scored = model.Transform(data);
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
