// Usage: mlnettts-publicizer <input.dll> <output.dll>
// Makes every type and non-virtual member public (compiler-generated members and explicit
// interface implementations excepted) so that a project can compile against internal API.
// The copy keeps the assembly identity, so the compiled project still references the real,
// signed assembly; run time access is granted by IgnoresAccessChecksToAttribute.
using Mono.Cecil;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: MlNetTts.Publicizer <input.dll> <output.dll>");
    return 2;
}

var input = Path.GetFullPath(args[0]);
var output = Path.GetFullPath(args[1]);
var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(input)!);

using (var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver }))
{
    foreach (var type in assembly.MainModule.GetTypes())
        Publicizer.Publicize(type);

    Directory.CreateDirectory(Path.GetDirectoryName(output)!);
    var temp = output + ".tmp";
    assembly.Write(temp);
    File.Move(temp, output, overwrite: true);
}
Console.WriteLine($"publicized {Path.GetFileName(input)} -> {output}");
return 0;

static class Publicizer
{
    public static void Publicize(TypeDefinition type)
    {
        if (IsCompilerGenerated(type.Name)) return;
        if (type.IsNested) type.IsNestedPublic = true;
        else type.IsPublic = true;

        var eventNames = new HashSet<string>(type.Events.Select(e => e.Name));
        foreach (var method in type.Methods)
        {
            // Virtual members keep their access so overrides in our code stay valid C# and valid IL.
            // Explicit interface implementations ("IFoo.Bar") and static constructors stay as they are.
            bool explicitOrStaticCtor = method.Name.Contains('.') && !(method.IsConstructor && !method.IsStatic);
            if (method.IsVirtual || IsCompilerGenerated(method.Name) || explicitOrStaticCtor)
                continue;
            method.IsPublic = true;
        }
        foreach (var field in type.Fields)
        {
            // An event's backing field shares the event's name; publishing both would be ambiguous.
            if (IsCompilerGenerated(field.Name) || eventNames.Contains(field.Name)) continue;
            field.IsPublic = true;
        }
    }

    private static bool IsCompilerGenerated(string name) => name.Contains('<');
}
