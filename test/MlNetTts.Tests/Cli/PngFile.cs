using System.Buffers.Binary;

namespace MlNetTts.Tests.Cli;

/// <summary>Reads the size of a PNG file from its IHDR chunk (and proves it is a PNG).</summary>
internal static class PngFile
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static (int Width, int Height) Size(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.IsGreaterThan(24, bytes.Length, $"{path} is too short for a PNG");
        CollectionAssert.AreEqual(Signature, bytes[..8], $"{path} has no PNG signature");
        Assert.AreEqual("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
