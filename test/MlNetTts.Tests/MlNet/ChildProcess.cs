using System.Diagnostics;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MlNetTts.Tests.MlNet;

/// <summary>
/// Runs a static method of this test assembly in a NEW process: a three-instruction launcher assembly
/// (Main(args) => method(args)) is emitted next to the test assembly and started with `dotnet exec` using the
/// test assembly's runtimeconfig and deps files, so the child resolves ML.NET, TorchSharp and its natives exactly
/// as the test host does — no extra project, no compiler at test time.
/// </summary>
internal static class ChildProcess
{
    private static readonly Lock Gate = new();

    /// <summary>Runs <paramref name="entry"/> (public static int M(string[])) in a child process; returns exit code and output.</summary>
    public static (int ExitCode, string Output) Run(MethodInfo entry, TimeSpan timeout, params string[] args)
    {
        using var process = Start(entry, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"child process did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Starts <paramref name="entry"/> in a child process with redirected output and returns it (the caller waits, reads, kills and disposes).</summary>
    public static Process Start(MethodInfo entry, params string[] args)
    {
        var launcher = EmitLauncher(entry);
        var folder = AppContext.BaseDirectory;
        var testAssembly = Path.GetFileNameWithoutExtension(typeof(ChildProcess).Assembly.Location);
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var a in new[] { "exec", "--runtimeconfig", Path.Combine(folder, testAssembly + ".runtimeconfig.json"),
                     "--depsfile", Path.Combine(folder, testAssembly + ".deps.json"), launcher })
            start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the child process");
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    /// <summary>Writes MlNetTts.Tests.Launcher.&lt;method&gt;.dll next to the test assembly (rewritten each time).</summary>
    private static string EmitLauncher(MethodInfo entry)
    {
        if (!entry.IsStatic || entry.ReturnType != typeof(int) || entry.GetParameters() is not [{ ParameterType: var p }] || p != typeof(string[]))
            throw new ArgumentException($"{entry.Name} must be static int {entry.Name}(string[] args).", nameof(entry));
        var name = $"MlNetTts.Tests.Launcher.{entry.DeclaringType!.Name}.{entry.Name}";
        var assembly = new PersistedAssemblyBuilder(new AssemblyName(name), typeof(object).Assembly);
        var module = assembly.DefineDynamicModule(name);
        var type = module.DefineType("Launcher", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.Class);
        var main = type.DefineMethod("Main", MethodAttributes.Public | MethodAttributes.Static, typeof(int), [typeof(string[])]);
        var il = main.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Call, entry);
        il.Emit(OpCodes.Ret);
        type.CreateType();

        var metadata = assembly.GenerateMetadata(out BlobBuilder ilStream, out BlobBuilder fieldData);
        var pe = new ManagedPEBuilder(PEHeaderBuilder.CreateExecutableHeader(), new MetadataRootBuilder(metadata), ilStream,
            mappedFieldData: fieldData, entryPoint: MetadataTokens.MethodDefinitionHandle(main.MetadataToken));
        var blob = new BlobBuilder();
        pe.Serialize(blob);
        var path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        lock (Gate)
        {
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
            blob.WriteContentTo(file);
        }
        return path;
    }
}
