using System.Diagnostics;

namespace MlNetTts.Nn;

/// <summary>
/// Helper threads for <see cref="SmallBatchGemv"/>: a decoder step makes a few sub-millisecond kernel calls with
/// libtorch ops in between, and a thread-pool worker that went to sleep in between wakes too late to take its
/// share (the caller then does all the rows alone). These threads spin briefly after each job, so the next call
/// finds them awake, then block. The caller always works too and takes any part no helper has claimed, so a late
/// or missing helper costs speed, never correctness. A spinning helper yields its core to any other runnable thread.
/// </summary>
internal static class KernelWorkers
{
    /// <summary>How long an idle helper keeps spinning before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 2000; // 0.5 ms

    private static readonly object Gate = new();
    private static Worker[] _workers = [];

    /// <summary>Runs <paramref name="body"/>(0 .. parts-1), the calling thread and up to parts-1 helpers together.</summary>
    public static void Run(int parts, Action<int> body)
    {
        if (parts <= 1)
        {
            for (int i = 0; i < parts; i++) body(i);
            return;
        }
        var workers = Ensure(parts - 1);
        var job = new Job(body, parts);
        for (int w = 0; w < parts - 1; w++) workers[w].Post(job);
        job.Work();
        job.Wait();
    }

    private static Worker[] Ensure(int count)
    {
        var workers = Volatile.Read(ref _workers);
        if (workers.Length >= count) return workers;
        lock (Gate)
        {
            if (_workers.Length < count)
            {
                var grown = new Worker[count];
                Array.Copy(_workers, grown, _workers.Length);
                for (int i = _workers.Length; i < count; i++) grown[i] = new Worker(i);
                Volatile.Write(ref _workers, grown);
            }
            return _workers;
        }
    }

    /// <summary>Parts handed out by an atomic counter; done when every part has finished.</summary>
    private sealed class Job
    {
        private readonly Action<int> _body;
        private readonly int _parts;
        private int _next = -1;
        private int _remaining;
        private Exception? _error;

        public Job(Action<int> body, int parts)
        {
            _body = body;
            _parts = parts;
            _remaining = parts;
        }

        public void Work()
        {
            int part;
            while ((part = Interlocked.Increment(ref _next)) < _parts)
            {
                try
                {
                    _body(part);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
                finally
                {
                    Interlocked.Decrement(ref _remaining);
                }
            }
        }

        public void Wait()
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _remaining) > 0) spin.SpinOnce(sleep1Threshold: -1);
            if (_error is not null) throw new AggregateException("A small-batch GEMV worker failed.", _error);
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private Job? _pending;
        private int _sleeping;

        public Worker(int index)
        {
            new Thread(Loop) { IsBackground = true, Name = $"MlNetTts GEMV {index + 1}" }.Start();
        }

        public void Post(Job job)
        {
            Volatile.Write(ref _pending, job);
            // Set-then-check on both sides: either the worker sees the job before sleeping, or we see it asleep.
            if (Volatile.Read(ref _sleeping) == 1) _wake.Release();
        }

        private void Loop()
        {
            while (true)
            {
                var job = Take();
                if (job is null)
                {
                    Volatile.Write(ref _sleeping, 1);
                    job = Interlocked.Exchange(ref _pending, null);
                    if (job is null)
                    {
                        _wake.Wait();
                        Volatile.Write(ref _sleeping, 0);
                        continue;
                    }
                    Volatile.Write(ref _sleeping, 0);
                }
                job.Work();
            }
        }

        /// <summary>The posted job, spinning up to <see cref="SpinTicks"/> for one; null if none came.</summary>
        private Job? Take()
        {
            long start = Stopwatch.GetTimestamp();
            do
            {
                var job = Interlocked.Exchange(ref _pending, null);
                if (job is not null) return job;
                // Give the core away whenever anything else wants it (libtorch's own OpenMP threads run the ops
                // between our calls); spin only on an otherwise idle core.
                if (!Thread.Yield()) Thread.SpinWait(30);
            }
            while (Stopwatch.GetTimestamp() - start < SpinTicks);
            return null;
        }
    }
}
