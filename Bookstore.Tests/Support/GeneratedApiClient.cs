using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NJsonSchema.CodeGeneration.CSharp;
using NSwag;
using NSwag.CodeGeneration.CSharp;

namespace Bookstore.Tests.Support;

/// <summary>
/// A typed C# client that NSwag generates from an OpenAPI document, compiled by Roslyn and loaded while the test runs,
/// so it is always the client of the document the API serves now. The client class is <see cref="ClientTypeName"/>;
/// each schema becomes a class of the same name in <see cref="Namespace"/>, and a documented error answer is thrown as
/// <c>ApiException&lt;TSchema&gt;</c> (an undocumented one as plain <c>ApiException</c>, with no body type).
/// </summary>
internal sealed class GeneratedApiClient
{
    public const string Namespace = "Bookstore.Generated";

    public const string ClientTypeName = Namespace + ".BookstoreClient";

    private GeneratedApiClient(Assembly assembly, string source)
    {
        Assembly = assembly;
        Source = source;
    }

    public Assembly Assembly { get; }

    /// <summary>The generated C# source, for a failure message.</summary>
    public string Source { get; }

    public static async Task<GeneratedApiClient> GenerateAsync(string documentJson)
    {
        var document = await OpenApiDocument.FromJsonAsync(documentJson);
        var settings = new CSharpClientGeneratorSettings
        {
            ClassName = "BookstoreClient",
            // The HttpClient's BaseAddress is the server: a WebApplicationFactory client or a real one.
            UseBaseUrl = false,
            GenerateClientInterfaces = false,
        };
        settings.CSharpGeneratorSettings.Namespace = Namespace;
        settings.CSharpGeneratorSettings.JsonLibrary = CSharpJsonLibrary.SystemTextJson;
        var source = new CSharpClientGenerator(document, settings).GenerateFile();

        // The generated code needs only the framework: compile against the assemblies this process runs on.
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "netstandard.dll" or "mscorlib.dll"))
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            Namespace,
            [CSharpSyntaxTree.ParseText(source)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success)
        {
            var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20);
            throw new InvalidOperationException("The client generated from the document does not compile:\n" + string.Join('\n', errors));
        }

        image.Position = 0;
        var assembly = new AssemblyLoadContext("generated-bookstore-client", isCollectible: true).LoadFromStream(image);
        return new GeneratedApiClient(assembly, source);
    }

    /// <summary>A new client over <paramref name="http"/>; its methods are called through <see langword="dynamic"/>.</summary>
    public dynamic Create(HttpClient http) => Activator.CreateInstance(Type(ClientTypeName), http)!;

    /// <summary>A generated model or exception type, by its name without the namespace (<c>Book</c>, <c>ApiException`1</c>).</summary>
    public Type Type(string name) =>
        Assembly.GetType(name.StartsWith(Namespace, StringComparison.Ordinal) ? name : $"{Namespace}.{name}")
        ?? throw new InvalidOperationException($"The generated client has no type '{name}'.");
}
