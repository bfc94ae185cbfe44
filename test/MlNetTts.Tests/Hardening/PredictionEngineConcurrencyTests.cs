using System.Collections.Concurrent;
using Microsoft.ML;
using MlNetTts.Tests.Speech;

namespace MlNetTts.Tests.Hardening;

/// <summary>
/// The supported way to serve a fitted speech model from several threads: ML.NET's PredictionEngine is not thread-safe,
/// so each thread takes its own engine (created from the one shared, thread-safe ITransformer), directly or from a pool.
/// 4 threads x 200 requests must give exactly the single-threaded outputs.
/// </summary>
[TestClass]
public sealed class PredictionEngineConcurrencyTests
{
    private const int Threads = 4;
    private const int RequestsPerThread = 200;
    private const int DistinctTexts = 16;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void OneEnginePerThreadGivesTheSingleThreadedOutputs() =>
        Run((ml, model) =>
        {
            // ThreadLocal: each thread creates its engine on first use and keeps it.
            using var engines = new ThreadLocal<PredictionEngine<TextRow, SpeechOutput>>(
                () => ml.Model.CreatePredictionEngine<TextRow, SpeechOutput>(model), trackAllValues: true);
            try
            {
                return Hammer(text => engines.Value!.Predict(text));
            }
            finally
            {
                foreach (var engine in engines.Values) engine.Dispose();
            }
        });

    [TestMethod]
    public void APoolOfEnginesGivesTheSingleThreadedOutputs() =>
        Run((ml, model) =>
        {
            // A pool: take an engine, use it on this thread only, give it back. Never shared while in use.
            var pool = new ConcurrentBag<PredictionEngine<TextRow, SpeechOutput>>();
            try
            {
                return Hammer(text =>
                {
                    if (!pool.TryTake(out var engine)) engine = ml.Model.CreatePredictionEngine<TextRow, SpeechOutput>(model);
                    try
                    {
                        return engine.Predict(text);
                    }
                    finally
                    {
                        pool.Add(engine);
                    }
                });
            }
            finally
            {
                foreach (var engine in pool) engine.Dispose();
            }
        });

    private void Run(Func<MLContext, ITransformer, float[][][]> concurrent)
    {
        var ml = new MLContext(seed: 1);
        var texts = TinySpeechPipeline.ShortTexts(DistinctTexts);
        var model = TinySpeechPipeline.Fit(ml, ml.Data.LoadFromEnumerable(texts));
        float[][] expected;
        using (var single = ml.Model.CreatePredictionEngine<TextRow, SpeechOutput>(model))
            expected = texts.Select(t => single.Predict(t).Audio.ToArray()).ToArray();
        Assert.IsTrue(expected.All(a => a.Length > 0));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = concurrent(ml, model);
        TestContext.WriteLine($"{Threads} threads x {RequestsPerThread} requests in {clock.Elapsed.TotalSeconds:F1} s");
        for (int thread = 0; thread < Threads; thread++)
            for (int i = 0; i < RequestsPerThread; i++)
                CollectionAssert.AreEqual(expected[TextIndex(thread, i)], results[thread][i], $"thread {thread} request {i}");
    }

    /// <summary>Each thread walks the texts in its own order, so different texts are in flight at once.</summary>
    private static int TextIndex(int thread, int request) => (request * (2 * thread + 1) + thread) % DistinctTexts;

    private static float[][][] Hammer(Func<TextRow, SpeechOutput> predict)
    {
        var texts = TinySpeechPipeline.ShortTexts(DistinctTexts);
        var results = new float[Threads][][];
        var failures = new ConcurrentQueue<Exception>();
        using var go = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(thread => new Thread(() =>
        {
            go.SignalAndWait();
            try
            {
                var mine = new float[RequestsPerThread][];
                for (int i = 0; i < RequestsPerThread; i++) mine[i] = predict(texts[TextIndex(thread, i)]).Audio.ToArray();
                results[thread] = mine;
            }
            catch (Exception e)
            {
                failures.Enqueue(e); // an exception escaping a thread would end the test host
            }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        Assert.IsEmpty(failures, string.Join("\n", failures));
        return results;
    }
}
