using Microsoft.ML;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace MlNetTts.Speech;

/// <summary>What the speech transforms take from the MLContext: the device and the seed.</summary>
internal static class SpeechEnvironment
{
    /// <summary>Seed used when the MLContext has none (as Microsoft.ML.TorchSharp: <c>Seed ?? 1</c>).</summary>
    public const int DefaultSeed = 1;

    /// <summary>
    /// The device, as Microsoft.ML.TorchSharp picks it: CUDA when <c>MLContext.GpuDeviceId</c> is set and CUDA is
    /// available (device index = GpuDeviceId), else the CPU — unless <c>FallbackToCpu</c> is false, then a GPU that was
    /// asked for but is missing is an error.
    /// </summary>
    public static torch.Device Device(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env is not IHostEnvironmentInternal settings || settings.GpuDeviceId is not int gpu) return torch.CPU;
        if (torch.cuda.is_available()) return new torch.Device(DeviceType.CUDA, gpu);
        if (!settings.FallbackToCpu)
            throw new InvalidOperationException($"MLContext.GpuDeviceId is {gpu} and FallbackToCpu is false, but no CUDA device is available (TorchSharp's CPU backend, or no GPU).");
        return torch.CPU;
    }

    /// <summary>The MLContext's seed, or <see cref="DefaultSeed"/>.</summary>
    public static int Seed(IHostEnvironment env) =>
        env is IHostEnvironmentInternal { Seed: int seed } ? seed : DefaultSeed;
}
