using Aspire.Hosting.ApplicationModel;
using Bookstore.AppHost.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Aspire.Hosting;

/// <summary>The dashboard commands on the <c>cache</c> resource. Redis-side work is in <see cref="RedisAdminCommands"/>.</summary>
public static class RedisDashboardCommands
{
    public const string SlowLogCommand = "bookstore-redis-slowlog";
    public const string MemoryReportCommand = "bookstore-redis-memory";
    public const string RewriteAofCommand = "bookstore-redis-rewrite-aof";
    public const string FlushCacheTypeCommand = "bookstore-cache-flush-type";

    /// <summary>Slow log, memory report and AOF rewrite, each run as <c>bookstore-admin</c>.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> WithBookstoreRedisCommands(this IResourceBuilder<IResourceWithConnectionString> cache)
    {
        var admin = AdminConnectionStringSource(cache.Resource);
        cache.WithCommand(SlowLogCommand, "Show slow log", RunAsAdmin(admin, RedisAdminCommands.SlowLogAsync), new CommandOptions
        {
            Description = $"SLOWLOG GET {RedisAdminCommands.SlowLogEntries}: the most recent commands slower than the slow-log threshold.",
            IconName = "Timer",
            UpdateState = WhenHealthy,
        });
        cache.WithCommand(MemoryReportCommand, "Memory report", RunAsAdmin(admin, RedisAdminCommands.MemoryReportAsync), new CommandOptions
        {
            Description = "INFO memory and MEMORY STATS: used, peak and maximum memory, fragmentation, per-database overhead.",
            IconName = "DataPie",
            UpdateState = WhenHealthy,
        });
        cache.WithCommand(RewriteAofCommand, "Rewrite AOF", RunAsAdmin(admin, RedisAdminCommands.RewriteAofAsync), new CommandOptions
        {
            Description = "BGREWRITEAOF: compacts the append-only file in the background.",
            ConfirmationMessage = "Rewrite the append-only file now? Redis forks a child process to do it.",
            IconName = "DocumentSync",
            UpdateState = WhenHealthy,
        });
        return cache;
    }

    /// <summary>
    /// "Flush cache type": asks which type, asks again for a Persistent one, then calls the API's flush endpoint with
    /// the admin key so every replica drops the type from memory as well.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> WithCacheFlushCommand(
        this IResourceBuilder<IResourceWithConnectionString> cache,
        IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ParameterResource> apiAdminKey)
    {
        var endpoint = api.GetEndpoint("http");
        return cache.WithCommand(FlushCacheTypeCommand, "Flush cache type", async context =>
        {
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(endpoint.Url), Timeout = TimeSpan.FromSeconds(30) };
                var key = await apiAdminKey.Resource.GetValueAsync(context.CancellationToken).ConfigureAwait(false) ?? string.Empty;
                var outcome = await FlushWithPromptsAsync(
                    context.Services.GetRequiredService<IInteractionService>(), new CacheFlushClient(http, key), context.CancellationToken).ConfigureAwait(false);
                return outcome is null ? CommandResults.Canceled() : ToResult(outcome);
            }
            catch (HttpRequestException ex)
            {
                return CommandResults.Failure($"The api resource did not answer at {endpoint.Url}: {ex.Message}. Is it running?");
            }
        }, new CommandOptions
        {
            Description = "Drops one cache type (chosen in the next dialog) in Redis and every API replica's memory cache, through POST /admin/cache/{type}/flush.",
            IconName = "Delete",
            UpdateState = WhenHealthy,
        });
    }

    /// <summary>The two dialogs and the flush; null when the user cancels.</summary>
#pragma warning disable ASPIREINTERACTION001 // The interaction service is how a dashboard command asks the user.
    private static async Task<RedisCommandOutcome?> FlushWithPromptsAsync(IInteractionService interaction, CacheFlushClient client, CancellationToken cancellationToken)
    {
        if (!interaction.IsAvailable)
        {
            return RedisCommandOutcome.Failed("Choosing a cache type needs the Aspire dashboard; call POST /admin/cache/{type}/flush on the API instead.");
        }

        var types = await client.TypesAsync(cancellationToken).ConfigureAwait(false);
        var choice = new InteractionInput
        {
            Name = "type",
            Label = "Cache type",
            InputType = InputType.Choice,
            Required = true,
            Options = [.. types.Select(t => KeyValuePair.Create(t.Name, t.Persistent ? $"{t.Name} (Persistent: never expires)" : $"{t.Name} ({t.Strategy})"))],
        };
        var answer = await interaction.PromptInputAsync("Flush a cache type", "Every entry of the chosen type is dropped in Redis and in each API replica's memory.", choice, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (answer.Canceled || answer.Data?.Value is not { Length: > 0 } chosen)
        {
            return null;
        }

        var persistent = types.Any(t => t.Persistent && string.Equals(t.Name, chosen, StringComparison.OrdinalIgnoreCase));
        if (persistent)
        {
            var confirmed = await interaction.PromptConfirmationAsync(
                $"Flush {chosen}?",
                $"{chosen} is a Persistent type: its entries never expire and nothing rebuilds them by itself. Flush it anyway?",
                new MessageBoxInteractionOptions { Intent = MessageIntent.Warning, PrimaryButtonText = "Flush" },
                cancellationToken).ConfigureAwait(false);
            if (confirmed.Canceled || !confirmed.Data)
            {
                return null;
            }
        }

        return await client.FlushAsync(chosen, confirm: persistent, cancellationToken).ConfigureAwait(false);
    }
#pragma warning restore ASPIREINTERACTION001

    /// <summary>
    /// Where the commands connect as the admin user: the resource's endpoint, or in the replicated topology the primary
    /// the Sentinels name at the moment the command runs (a failover moves it).
    /// </summary>
    private static Func<CancellationToken, Task<string>> AdminConnectionStringSource(IResource cache)
    {
        var users = cache.Annotations.OfType<RedisUsersAnnotation>().Single();
        if (cache is ReplicatedRedisResource replicated)
        {
            return async cancellationToken =>
            {
                var password = await users.Passwords.Admin.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
                var primary = await replicated.Topology.CurrentPrimaryPortAsync(password, cancellationToken).ConfigureAwait(false);
                return $"{SentinelClient.Address(primary)},user={RedisUsers.Admin},password={password}";
            };
        }

        var expression = AdminConnectionString(cache);
        return async cancellationToken => await expression.GetValueAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The admin connection string has no value yet.");
    }

    /// <summary>The admin user's connection string to the resource's endpoint.</summary>
    public static ReferenceExpression AdminConnectionString(IResource cache)
    {
        var users = cache.Annotations.OfType<RedisUsersAnnotation>().Single();
        var endpoint = new EndpointReference((IResourceWithEndpoints)cache, LocalRedisResource.PrimaryEndpointName);
        return RedisUserConnection.Expression(endpoint, RedisUsers.Admin, users.Passwords.Admin.Resource);
    }

    private static Func<ExecuteCommandContext, Task<ExecuteCommandResult>> RunAsAdmin(
        Func<CancellationToken, Task<string>> connectionString, Func<IServer, Task<RedisCommandOutcome>> command) => async context =>
    {
        try
        {
            var text = await connectionString(context.CancellationToken).ConfigureAwait(false);
            await using var connection = await RedisAdminCommands.ConnectAsync(text).ConfigureAwait(false);
            var server = connection.GetServer(connection.GetEndPoints()[0]);
            return ToResult(await command(server).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException)
        {
            context.Logger.LogCommandFailure(ex);
            return CommandResults.Failure(RedisAdminCommands.Explain(ex));
        }
    };

    private static ExecuteCommandResult ToResult(RedisCommandOutcome outcome) =>
        !outcome.Success ? CommandResults.Failure(outcome.Message)
        : outcome.Report is { } report ? CommandResults.Success(outcome.Message, report, CommandResultFormat.Markdown)
        : CommandResults.Success(outcome.Message);

    internal static ResourceCommandState WhenHealthy(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;
}

internal static partial class RedisDashboardCommandLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "A Redis dashboard command failed")]
    public static partial void LogCommandFailure(this Microsoft.Extensions.Logging.ILogger logger, Exception exception);
}
