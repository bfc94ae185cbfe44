using System.CommandLine;
using System.CommandLine.Parsing;

namespace MlNetTts.Cli.Commands;

/// <summary>Small builders for options every verb declares the same way.</summary>
internal static class CliOptions
{
    /// <summary>Whether the user typed <paramref name="option"/> (not just its default).</summary>
    public static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    /// <summary>An option with a default value shown in help.</summary>
    public static Option<T> WithDefault<T>(string name, T defaultValue, string description, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary>A string option restricted to <paramref name="choices"/> (anything else is a usage error).</summary>
    public static Option<string> Choice(string name, string defaultValue, string description, params string[] choices)
    {
        var option = WithDefault(name, defaultValue, description);
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    /// <summary>An option that must be positive.</summary>
    public static Option<int> PositiveInt(string name, int defaultValue, string description, params string[] aliases)
    {
        var option = WithDefault(name, defaultValue, description, aliases);
        option.Validators.Add(r =>
        {
            if (TryGet(r, out int v) && v < 1) r.AddError($"{name} must be at least 1.");
        });
        return option;
    }

    /// <summary>A number option that must not be negative.</summary>
    public static Option<double> NonNegative(string name, double defaultValue, string description)
    {
        var option = WithDefault(name, defaultValue, description);
        option.Validators.Add(r =>
        {
            if (TryGet(r, out double v) && (!(v >= 0) || double.IsInfinity(v))) r.AddError($"{name} must be a finite number, 0 or more.");
        });
        return option;
    }

    /// <summary>
    /// The option's value, or false when its text does not convert (validators run even then, and reading the value
    /// would throw; the conversion error is reported on its own).
    /// </summary>
    public static bool TryGet<T>(OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    /// <summary>The <c>--json</c> switch.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Print a machine-readable JSON result on stdout instead of the table." };
}
