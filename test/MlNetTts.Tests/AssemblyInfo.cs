// TorchSharp tests are compute-bound on a 2-core machine; running them side by side only adds contention.
[assembly: DoNotParallelize]
