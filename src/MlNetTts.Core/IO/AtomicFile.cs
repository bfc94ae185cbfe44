namespace MlNetTts.IO;

/// <summary>
/// Writes files so that readers see either the old complete file or the new complete file, never a
/// half-written one: the content goes to a temporary file in the same folder, is flushed to disk,
/// and is then renamed over the destination (an atomic replace on POSIX file systems).
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>; on any failure the previous file is untouched and
    /// no temporary file is left. An <see cref="IOException"/> (disk full, quota, I/O error) is rethrown as one whose
    /// message names <paramref name="path"/>, with the original as its inner exception.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder.", nameof(path));
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (IOException e) when (!e.Message.Contains(full, StringComparison.Ordinal))
        {
            // The OS error ("No space left on device") names at most the temporary file; say which file failed.
            TryDelete(temp);
            throw new IOException($"Could not write {full}: {e.Message} The previous {Path.GetFileName(full)}, if any, is unchanged.", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            using var writer = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        });

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original error matters more; a stray temp file is named so it is obviously one.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
