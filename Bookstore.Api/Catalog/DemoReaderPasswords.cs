using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Bookstore.Api.Catalog;

/// <summary>
/// Gives the seeded demo readers <see cref="CatalogOptions.DemoReaderPassword"/> at start: each one whose stored hash
/// does not verify against it (none yet, or one of an earlier value) gets it hashed, so the configured value always
/// signs them in. Other users are never touched. Without a configured value nothing changes and the log says in one
/// line how to give one.
/// </summary>
public sealed partial class DemoReaderPasswords(
    ICatalogStore store, IPasswordHasher<ReaderCredentials> hasher, IOptions<CatalogOptions> options, ILogger<DemoReaderPasswords> logger)
{
    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var password = options.Value.DemoReaderPassword;
        var withoutPassword = 0;
        foreach (var email in CatalogSeed.Default.ReaderEmails)
        {
            if (await store.FindCredentialsByEmailAsync(email, cancellationToken) is not { } reader)
            {
                continue;
            }

            if (string.IsNullOrEmpty(password))
            {
                withoutPassword += reader.PasswordHash is null ? 1 : 0;
                continue;
            }

            if (reader.PasswordHash is null || hasher.VerifyHashedPassword(reader, reader.PasswordHash, password) == PasswordVerificationResult.Failed)
            {
                await store.SetPasswordHashAsync(reader.UserId, hasher.HashPassword(reader, password), cancellationToken);
            }
        }

        if (withoutPassword > 0)
        {
            LogNoDemoPassword(withoutPassword);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "{Count} demo readers have no password and cannot sign in: set Bookstore:Catalog:DemoReaderPassword (at least 12 characters, " +
        "e.g. the environment variable Bookstore__Catalog__DemoReaderPassword); under the AppHost it is the generated secret parameter 'demo-reader-password'.")]
    private partial void LogNoDemoPassword(int count);
}
