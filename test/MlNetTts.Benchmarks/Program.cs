using MlNetTts.Runtime;

// Suites land with the Performance issue; until then this reports the native backend only.
Console.WriteLine(TorchRuntime.Describe());
return 0;
