using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// A second HTTP endpoint, <c>management</c>, on a service: the port its <c>/health</c>, <c>/alive</c> and
/// <c>/metrics</c> answer on outside Development (ServiceDefaults' ManagementOptions). Aspire puts it into the
/// service's ASPNETCORE_URLS beside <c>http</c> and tells the service which one it is through
/// <c>Bookstore__Management__Port</c>; the health check and Prometheus use it, the public endpoint never needs to.
/// </summary>
public static class ManagementEndpointExtensions
{
    public const string EndpointName = "management";

    public const string PortVariable = "Bookstore__Management__Port";

    public static IResourceBuilder<ProjectResource> WithManagementEndpoint(this IResourceBuilder<ProjectResource> project)
    {
        project.WithHttpEndpoint(name: EndpointName)
            .WithUrlForEndpoint(EndpointName, url => url.DisplayText = "management (/health, /metrics)");
        var endpoint = project.GetEndpoint(EndpointName);
        return project.WithEnvironment(context => context.EnvironmentVariables[PortVariable] = endpoint.Property(EndpointProperty.TargetPort));
    }
}
