using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Support;

/// <summary>The values a started AppHost's parameters have in this run (generated secrets included).</summary>
internal static class AppHostParameters
{
    public static async Task<string> ParameterValueAsync(this DistributedApplication app, string name, CancellationToken ct)
    {
        var parameter = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return await parameter.GetValueAsync(ct) ?? throw new InvalidOperationException($"The parameter '{name}' has no value.");
    }
}
