using System.CommandLine;
using MlNetTts.Cli;
using MlNetTts.Cli.Console;

namespace MlNetTts.Tests.Cli;

[TestClass]
public sealed class HelpAndUsageTests
{
    // Every command path of the tree, found from the tree itself so new verbs are covered without editing this test.
    private static IEnumerable<string[]> CommandPaths()
    {
        var root = CliApplication.BuildRoot(new CliConsole(TextWriter.Null, TextWriter.Null, TextReader.Null, false, false));
        IEnumerable<string[]> Walk(Command command, string[] path)
        {
            yield return path;
            foreach (var sub in command.Subcommands)
                foreach (var p in Walk(sub, [.. path, sub.Name]))
                    yield return p;
        }
        return Walk(root, []);
    }

    [TestMethod]
    public void EveryCommandHasHelp()
    {
        var paths = CommandPaths().ToList();
        foreach (var verb in new[] { "prepare", "synthesize", "bench", "plot" })
            Assert.IsTrue(paths.Any(p => p.Length == 1 && p[0] == verb), $"verb {verb} is missing");
        Assert.IsGreaterThan(7, paths.Count);
        foreach (var path in paths)
        {
            var run = CliRun.Of([.. path, "--help"]);
            Assert.AreEqual(ExitCodes.Ok, run.ExitCode, run.ToString());
            StringAssert.Contains(run.Out, "Usage:", run.ToString());
            StringAssert.Contains(run.Out, ("mlnet-tts " + string.Join(" ", path)).TrimEnd(), run.ToString());
            Assert.IsEmpty(run.Error, run.ToString());
        }
    }

    [TestMethod]
    public void RootHelpDocumentsExitCodesAndOmpWaitPolicy()
    {
        var run = CliRun.Of("--help");
        Assert.AreEqual(ExitCodes.Ok, run.ExitCode);
        StringAssert.Contains(run.Out, "OMP_WAIT_POLICY=PASSIVE");
        StringAssert.Matches(run.Out, new System.Text.RegularExpressions.Regex(@"130\s+cancelled"));
        StringAssert.Matches(run.Out, new System.Text.RegularExpressions.Regex(@"\b2\s+usage error"));
    }

    [TestMethod]
    public void BadCommandLinesExitWith2AndPrintUsageToStderr()
    {
        var cases = new[]
        {
            new[] { "speak" },
            [],
            ["prepare"],
            ["prepare", "x", "--sample-rate", "fast"],
            ["prepare", "x", "--unknown"],
            ["plot"],
            ["plot", "loss"],
            ["plot", "histogram", "x"],
        };
        foreach (var args in cases)
        {
            var run = CliRun.Of(args);
            Assert.AreEqual(ExitCodes.Usage, run.ExitCode, $"[{string.Join(" ", args)}] {run}");
            StringAssert.Contains(run.Error, "Usage:", run.ToString());
            Assert.IsEmpty(run.Out, run.ToString());
        }
    }
}
