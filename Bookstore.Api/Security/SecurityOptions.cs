using System.ComponentModel.DataAnnotations;

namespace Bookstore.Api.Security;

/// <summary>Section <c>Bookstore:Security</c>.</summary>
public sealed class SecurityOptions
{
    public const string SectionName = "Bookstore:Security";

    /// <summary>
    /// The admin credential, sent as <c>X-Api-Key</c>. Under the AppHost it is the generated secret parameter
    /// <c>api-admin-key</c>; elsewhere set <c>Bookstore__Security__AdminApiKey</c>. Left out, every admin request is refused.
    /// </summary>
    [MinLength(16, ErrorMessage = "Bookstore:Security:AdminApiKey must be at least 16 characters (the AppHost generates 32); leave it out to refuse every admin request.")]
    public string? AdminApiKey { get; set; }
}
