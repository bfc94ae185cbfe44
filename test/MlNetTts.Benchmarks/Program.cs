using System.Reflection;
using MlNetTts.Benchmarks.Harness;
using MlNetTts.Runtime;

// Usage: dotnet run -c Release --project test/MlNetTts.Benchmarks -- [suite ...] [--quick] [--json DIR]
// With no suite names, lists the suites. Set OMP_WAIT_POLICY=PASSIVE before starting (README, Tests).
var suites = typeof(Program).Assembly.GetTypes()
    .Where(t => typeof(IBenchmarkSuite).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchmarkSuite)Activator.CreateInstance(t)!)
    .OrderBy(s => s.Name, StringComparer.Ordinal)
    .ToList();

bool quick = args.Contains("--quick");
int jsonIndex = Array.IndexOf(args, "--json");
string? jsonDir = jsonIndex >= 0 && jsonIndex + 1 < args.Length ? args[jsonIndex + 1] : null;
var names = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (jsonIndex < 0 || i != jsonIndex + 1)).ToList();

if (names.Count == 0)
{
    Console.WriteLine("Benchmark suites (run: dotnet run -c Release --project test/MlNetTts.Benchmarks -- NAME [--quick] [--json DIR]):");
    foreach (var s in suites) Console.WriteLine($"  {s.Name,-28} {s.Description}");
    Console.WriteLine("  all                          every suite above");
    return 0;
}

var selected = names.Contains("all") ? suites : names.Select(n => suites.SingleOrDefault(s => s.Name == n)
    ?? throw new ArgumentException($"No benchmark suite named '{n}'. Run without arguments to list them.")).ToList();

Console.WriteLine($"{TorchRuntime.Describe()}; OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}; {Environment.ProcessorCount} cores");
foreach (var suite in selected)
{
    var table = suite.Run(quick);
    Console.WriteLine(table);
    if (jsonDir is not null)
    {
        Directory.CreateDirectory(jsonDir);
        File.WriteAllText(Path.Combine(jsonDir, suite.Name + ".json"), table.ToJson());
    }
}
return 0;
