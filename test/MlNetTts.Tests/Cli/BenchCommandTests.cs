using System.Text.Json;
using MlNetTts.Cli;

namespace MlNetTts.Tests.Cli;

[TestClass]
public sealed class BenchCommandTests
{
    private static string[] Fast => ["bench", "--tacotron2", CliFixtures.Tacotron2Checkpoint, "--vocoder", "griffin-lim", "--griffin-lim-iters", "2",
        "--input-length", "12", "--repeats", "2", "--warmup", "0"];

    [TestMethod]
    public void PrintsNvidiasInferenceTable()
    {
        var run = CliRun.Of(Fast);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        foreach (var column in new[] { "Batch size", "Input length", "Precision", "Avg latency (s)", "Latency std (s)", "Latency 50% (s)",
                     "Latency 90% (s)", "Latency 95% (s)", "Latency 99% (s)", "Throughput (samples/s)", "Avg mels", "Avg audio (s)", "Avg RTF" })
            StringAssert.Contains(run.Out, column);
        StringAssert.Contains(run.Out, "fp32");
        StringAssert.Contains(run.Out, "libtorch");
    }

    [TestMethod]
    public void JsonHasOneRowPerConfigurationWithOrderedPercentiles()
    {
        var run = CliRun.Of([.. Fast, "--batch-size", "1", "2", "--precision", "fp32", "mixed", "--json"]);
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.HasCount(4, rows);
        CollectionAssert.AreEquivalent(new[] { "1 fp32", "1 mixed", "2 fp32", "2 mixed" },
            rows.Select(r => $"{r.GetProperty("batchSize").GetInt32()} {r.GetProperty("precision").GetString()}").ToArray());
        foreach (var r in rows)
        {
            double p50 = r.GetProperty("latency50").GetDouble(), p90 = r.GetProperty("latency90").GetDouble();
            double p95 = r.GetProperty("latency95").GetDouble(), p99 = r.GetProperty("latency99").GetDouble();
            Assert.IsGreaterThan(0, p50);
            Assert.IsTrue(p50 <= p90 && p90 <= p95 && p95 <= p99, r.ToString());
            Assert.IsGreaterThan(0, r.GetProperty("samplesPerSecond").GetDouble());
            Assert.IsGreaterThan(0, r.GetProperty("melsPerItem").GetDouble());
            Assert.IsGreaterThan(0, r.GetProperty("rtf").GetDouble());
            Assert.AreEqual(12, r.GetProperty("inputLength").GetInt32());
        }
    }

    [TestMethod]
    public void BadValuesAreUsageErrors()
    {
        foreach (var args in new[] { new[] { "bench", "--batch-size", "0" }, ["bench", "--precision", "int8"], ["bench", "--repeats", "x"], ["bench", "--vocoder", "hifigan"] })
        {
            var run = CliRun.Of(args);
            Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.ToString());
            StringAssert.Contains(run.Error, "Usage:");
        }
    }
}
