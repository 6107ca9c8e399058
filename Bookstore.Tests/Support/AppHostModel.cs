using Aspire.Hosting.Testing;

namespace Bookstore.Tests.Support;

/// <summary>The AppHost's model built from its arguments without starting anything (CI has no container engine).</summary>
internal static class AppHostModel
{
    public static async Task<IDistributedApplicationTestingBuilder> CreateAsync(params string[] args) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.Bookstore_AppHost>(args, TestContext.Current.CancellationToken);

    /// <summary>The messages of an error and its inner errors, for a check that the AppHost said what to do.</summary>
    public static string Messages(Exception error) =>
        error.InnerException is null ? error.Message : error.Message + " | " + Messages(error.InnerException);
}
