using System.Runtime.InteropServices;

namespace MlNetTts.Runtime;

/// <summary>
/// Turns libtorch's NNPACK convolution backend off, as <c>torch.backends.nnpack.set_flags(False)</c> does in Python.
/// On CPUs NNPACK does not know (this project's AMD EPYC VMs) libtorch tries to initialise it before every float32
/// convolution and prints "Could not initialize NNPACK! Reason: Unsupported hardware" to stderr each time; with it
/// off, convolutions go straight to oneDNN, which they used anyway. TorchSharp has no binding for the flag, so this
/// calls libtorch's exported <c>at::globalContext().setUserEnabledNNPACK(false)</c>; where the symbols are missing
/// (another libtorch build, CUDA packages named differently) it does nothing.
/// </summary>
internal static class Nnpack
{
    private static readonly Lazy<bool> Disabled = new(TryDisable);

    /// <summary>Applies the switch once per process; true when libtorch accepted it.</summary>
    public static bool EnsureDisabled() => Disabled.Value;

    private static bool TryDisable()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libtorch_cpu.so", out var library)) return false;
        if (!NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var globalContext)
            || !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setEnabled)
            || !NativeLibrary.TryGetExport(library, "_ZNK2at7Context17userEnabledNNPACKEv", out var isEnabled)) return false;
        unsafe
        {
            var context = ((delegate* unmanaged<nint>)globalContext)();
            ((delegate* unmanaged<nint, byte, void>)setEnabled)(context, 0);
            return ((delegate* unmanaged<nint, byte>)isEnabled)(context) == 0;
        }
    }
}
