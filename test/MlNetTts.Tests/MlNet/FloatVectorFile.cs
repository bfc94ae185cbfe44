using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetTts.Tests.MlNet;

/// <summary>
/// The file the cross-process tests exchange: float vectors one after another, each an int32 length then its values.
/// </summary>
internal static class FloatVectorFile
{
    /// <summary>Writes every row of each of <paramref name="columns"/> (float-vector columns), column after column.</summary>
    public static void Write(string path, IDataView data, IEnumerable<string> columns)
    {
        using var output = new BinaryWriter(File.Create(path));
        foreach (var name in columns)
        {
            var column = data.Schema[name];
            using var cursor = data.GetRowCursor(new[] { column });
            var get = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
            {
                get(ref value);
                var dense = value.DenseValues().ToArray();
                output.Write(dense.Length);
                foreach (var v in dense) output.Write(v);
            }
        }
    }

    /// <summary>Every vector in the file.</summary>
    public static List<float[]> Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var result = new List<float[]>();
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            var values = new float[reader.ReadInt32()];
            for (int j = 0; j < values.Length; j++) values[j] = reader.ReadSingle();
            result.Add(values);
        }
        return result;
    }
}
