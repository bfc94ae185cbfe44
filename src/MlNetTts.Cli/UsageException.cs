namespace MlNetTts.Cli;

/// <summary>A command line that parses but cannot be carried out as given (exit code 2, with the command's usage help).</summary>
public sealed class UsageException(string message) : Exception(message);
