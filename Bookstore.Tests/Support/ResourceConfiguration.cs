using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bookstore.Tests.Support;

/// <summary>Resolves a resource's arguments and environment the way the orchestrator would, without starting it.</summary>
internal static class ResourceConfiguration
{
    public static async Task<IReadOnlyList<string>> ArgumentsAsync(this IDistributedApplicationTestingBuilder builder, IResource resource)
    {
        var result = await ExecutionConfigurationBuilder.Create(resource)
            .WithArgumentsConfig()
            .BuildAsync(builder.ExecutionContext, NullLogger.Instance, TestContext.Current.CancellationToken);
        return result.Arguments.Select(a => a.Value).ToList();
    }

    /// <summary>
    /// Runs the resource's environment callbacks and resolves only the values asked for. Values that refer to
    /// endpoints would wait for an allocation that never happens in a model-only test, so they are left alone.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string?>> EnvironmentAsync(
        this IDistributedApplicationTestingBuilder builder, IResource resource, params string[] names)
    {
        var ct = TestContext.Current.CancellationToken;
        var raw = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(builder.ExecutionContext, resource, raw, ct);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        var resolved = new Dictionary<string, string?>();
        foreach (var name in names)
        {
            resolved[name] = raw.TryGetValue(name, out var value)
                ? value switch
                {
                    string text => text,
                    IValueProvider provider => await provider.GetValueAsync(ct),
                    _ => value.ToString(),
                }
                : null;
        }

        return resolved;
    }
}
