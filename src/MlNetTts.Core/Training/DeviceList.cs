using TorchSharp;
using static TorchSharp.torch;

namespace MlNetTts.Training;

/// <summary>
/// Parses <see cref="TrainingOptions.Devices"/> ("cpu,cpu", "cuda:0,cuda:1") into the devices of the data-parallel
/// replicas; replica 0 is the model the trainer was given, so the list must start with its device.
/// </summary>
internal static class DeviceList
{
    /// <summary>Throws naming the option when <paramref name="spec"/> is not a comma-separated list of "cpu" / "cuda[:N]".</summary>
    public static IReadOnlyList<Device> Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = spec.Split(',', StringSplitOptions.TrimEntries);
        var devices = new List<Device>();
        foreach (var part in parts)
        {
            var lower = part.ToLowerInvariant();
            if (lower == "cpu") devices.Add(CPU);
            else if (lower == "cuda") devices.Add(new Device(DeviceType.CUDA, 0));
            else if (lower.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(lower.AsSpan(5), out int index) && index >= 0)
                devices.Add(new Device(DeviceType.CUDA, index));
            else
                throw new ArgumentException($"Training option {nameof(TrainingOptions.Devices)} = \"{spec}\": \"{part}\" is not a device; expected a comma-separated list of cpu or cuda:N, e.g. \"cuda:0,cuda:1\" or \"cpu,cpu\".", nameof(TrainingOptions.Devices));
        }
        return devices;
    }

    /// <summary>
    /// The replicas' devices. Null <paramref name="spec"/>: every visible GPU when the model lives on one (its own
    /// first), otherwise just the model's device — one replica, the single-device training of before.
    /// </summary>
    public static IReadOnlyList<Device> Resolve(string? spec, Device modelDevice)
    {
        if (spec is null)
        {
            if (modelDevice.type != DeviceType.CUDA) return [modelDevice];
            int count = (int)cuda.device_count(), own = Math.Max(modelDevice.index, 0); // "cuda" without an index is cuda:0
            return [modelDevice, .. Enumerable.Range(0, count).Where(i => i != own).Select(i => new Device(DeviceType.CUDA, i))];
        }
        var devices = Parse(spec);
        if (!SameDevice(devices[0], modelDevice))
            throw new ArgumentException($"Training option {nameof(TrainingOptions.Devices)} = \"{spec}\": replica 0 trains the given model itself, which is on {modelDevice}; list that device first or move the model to {devices[0]} before creating the trainer.", nameof(TrainingOptions.Devices));
        foreach (var d in devices)
            if (d.type == DeviceType.CUDA && (!cuda.is_available() || d.index >= cuda.device_count()))
                throw new ArgumentException($"Training option {nameof(TrainingOptions.Devices)} = \"{spec}\": {d} is not available ({(cuda.is_available() ? cuda.device_count() : 0)} CUDA device(s) visible).", nameof(TrainingOptions.Devices));
        return devices;
    }

    internal static bool SameDevice(Device a, Device b) =>
        a.type == b.type && (a.type == DeviceType.CPU || Math.Max(a.index, 0) == Math.Max(b.index, 0));
}
