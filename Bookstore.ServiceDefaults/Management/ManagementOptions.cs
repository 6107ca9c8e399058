using System.ComponentModel.DataAnnotations;

namespace Bookstore.ServiceDefaults.Management;

/// <summary>
/// Section <c>Bookstore:Management</c>: the port <c>/health</c>, <c>/alive</c> and <c>/metrics</c> are served on outside
/// Development. The port must also be bound (ASPNETCORE_URLS, or the AppHost's <c>management</c> endpoint); this
/// setting only says which of the bound ports is the management one.
/// </summary>
public sealed class ManagementOptions
{
    public const string SectionName = "Bookstore:Management";

    /// <summary>Required outside Development; in Development the endpoints also answer on every other port.</summary>
    [Range(1, 65535)]
    public int? Port { get; set; }
}
