using System.Runtime.InteropServices;
using TorchSharp;

namespace MlNetTts.Runtime;

/// <summary>
/// Loads TorchSharp's native library once, with an error that says what went wrong and how to fix it.
/// </summary>
public static class TorchRuntime
{
    private const string NativeLibraryName = "libLibTorchSharp.so";
    private static readonly Lazy<string> Description = new(LoadAndDescribe);

    /// <summary>Makes sure libtorch is loaded; throws <see cref="InvalidOperationException"/> with a remedy if it cannot be.</summary>
    public static void EnsureLoaded() => _ = Description.Value;

    /// <summary>A one-line description of the native backend, e.g. "libtorch 2.10.0.0 (cpu), 2 threads".</summary>
    public static string Describe() => Description.Value;

    private static string LoadAndDescribe()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // TorchSharp's own message hides the loader's reason; ask the loader directly.
            var loaderError = LoaderError() ?? e.Message;
            var hint = loaderError.Contains("GLIBCXX", StringComparison.Ordinal)
                ? " The system libstdc++ is older than the one TorchSharp 0.107 names: build with the native compatibility step on (the default, -p:MlNetTtsNativeCompat=auto; see README, Platform) or run on a system with GCC 13's libstdc++."
                : " Check that the program references a native libtorch package (MlNetTtsNativeHost=true in its project file).";
            throw new InvalidOperationException("TorchSharp's native library could not be loaded: " + loaderError + hint, e);
        }
        Nnpack.EnsureDisabled();
        var backend = torch.cuda.is_available() ? $"cuda, {torch.cuda.device_count()} device(s)" : "cpu";
        return $"libtorch {torch.__version__} ({backend}), {torch.get_num_threads()} threads";
    }

    private static string? LoaderError()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var candidates = Directory.GetFiles(AppContext.BaseDirectory, NativeLibraryName, SearchOption.AllDirectories);
        if (candidates.Length == 0) return $"no {NativeLibraryName} in {AppContext.BaseDirectory}";
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(candidates[0]));
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }
}
