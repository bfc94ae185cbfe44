using MlNetTts.Audio;
using MlNetTts.Samples.BatchScoring;
using MlNetTts.Tests.Fixtures;

namespace MlNetTts.Tests.Samples;

/// <summary>The BatchScoring sample runs end to end on a small CSV with the fixture Tacotron 2 and Griffin-Lim.</summary>
[TestClass]
public sealed class BatchScoringSampleTests
{
    [TestMethod]
    public void WritesOneWavPerCsvRow()
    {
        var dir = Directory.CreateTempSubdirectory("mlnettts-batchscoring-");
        try
        {
            var csv = Path.Combine(dir.FullName, "lines.csv");
            File.WriteAllText(csv, "Id,Text\nfirst,Hello world.\nsecond,\"Printing, in the only sense with which we are at present concerned.\"\nthird,Dr. Smith paid $3.50.\n");
            var fixtures = ReferenceFixtures.Current;
            var checkpoint = fixtures.PathOf(fixtures.Section("tacotron2").GetProperty("checkpoints").EnumerateObject().First().Name);

            var written = BatchScoringPipeline.Run(csv, Path.Combine(dir.FullName, "out"), checkpoint, waveGlowCheckpoint: null);

            CollectionAssert.AreEqual(new[] { "first.wav", "second.wav", "third.wav" }, written.Select(Path.GetFileName).ToArray());
            foreach (var path in written)
            {
                var wave = WaveFile.Read(path, targetSampleRate: null);
                Assert.AreEqual(22050, wave.SampleRate, path);
                Assert.IsNotEmpty(wave.Samples, path);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void MissingCsvIsAClearError()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => BatchScoringPipeline.Run("/nonexistent/lines.csv", "out", "t.pt", null));
        StringAssert.Contains(error.Message, "/nonexistent/lines.csv");
    }
}
