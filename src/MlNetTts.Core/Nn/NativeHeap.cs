using System.Runtime.InteropServices;

namespace MlNetTts.Nn;

/// <summary>
/// Keeps memory that libtorch frees inside the process instead of handing it back to the OS, so the next tensor of
/// the same size does not fault its pages in again.
/// </summary>
/// <remarks>
/// glibc serves allocations over its mmap threshold (128 KB, raised adaptively) with fresh mappings and returns
/// freed heap tops over its trim threshold to the OS. Every CPU conv allocates its output and oneDNN's blocked copies
/// afresh, so each op touches megabytes of new pages; on the project's VMs a page fault costs ~13 us (measured with
/// the waveglow-profile suite: a 256 -> 512 channel 1x1 conv over 6,400 steps took 86 ms with 6,200 faults per call,
/// 6.3 ms with 2 once freed memory was kept). Here the mmap threshold is set to glibc's largest (32 MB) and the trim
/// threshold to 1 GB: blocks up to 32 MB are reused from the heap, and the process keeps up to 1 GB of freed heap
/// (its resident size does not shrink after a large inference). Process-wide and idempotent; does nothing where the
/// C library is not glibc.
/// </remarks>
public static partial class NativeHeap
{
    private const int MallocTrimThreshold = -1;  // M_TRIM_THRESHOLD
    private const int MallocMmapThreshold = -3;  // M_MMAP_THRESHOLD
    private const int MmapThresholdBytes = 32 << 20; // glibc's maximum on 64-bit (HEAP_MAX_SIZE / 2)
    private const int TrimThresholdBytes = 1 << 30;

    private static int _applied; // 0 not tried, 1 applied, -1 not available

    /// <summary>Applies the settings once per process; true when glibc accepted them.</summary>
    public static bool RetainFreedMemory()
    {
        if (Volatile.Read(ref _applied) != 0) return _applied == 1;
        bool ok = false;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                ok = mallopt(MallocMmapThreshold, MmapThresholdBytes) == 1 & mallopt(MallocTrimThreshold, TrimThresholdBytes) == 1;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                ok = false; // not glibc (musl): leave the allocator as it is
            }
        }
        Volatile.Write(ref _applied, ok ? 1 : -1);
        return ok;
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}
