using System.ComponentModel.DataAnnotations;

namespace Bookstore.ServiceDefaults.Security;

/// <summary>Section <c>Bookstore:Security</c>.</summary>
public sealed class SecurityOptions : IValidatableObject
{
    public const string SectionName = "Bookstore:Security";

    public const int MinAdminApiKeyLength = 16;

    /// <summary>
    /// The admin credential, sent as <c>X-Api-Key</c>. Under the AppHost it is the generated secret parameter
    /// <c>api-admin-key</c>; elsewhere set <c>Bookstore__Security__AdminApiKey</c>. Left out (or empty), every admin
    /// request is refused.
    /// </summary>
    public string? AdminApiKey { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AdminApiKey is { Length: > 0 and < MinAdminApiKeyLength })
        {
            yield return new ValidationResult(
                $"{SectionName}:AdminApiKey must be at least {MinAdminApiKeyLength} characters (the AppHost generates 32); leave it out to refuse every admin request.",
                [nameof(AdminApiKey)]);
        }
    }
}
