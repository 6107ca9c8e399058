using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bookstore.Api.Catalog;

/// <summary>
/// Creates the schema (and the SQLite folder), adds the columns a database of an earlier version lacks, writes the seed
/// and the demo readers' password before the app serves: it runs in <see cref="IHostedLifecycleService.StartingAsync"/>,
/// which completes before any hosted service, Kestrel included, starts.
/// </summary>
public sealed partial class CatalogInitializer(
    ICatalogStore store,
    IDbContextFactory<CatalogDbContext> contexts,
    DemoReaderPasswords demoReaders,
    IOptions<CatalogOptions> options,
    ILogger<CatalogInitializer> logger) : IHostedLifecycleService
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (db.Database.IsSqlite())
            {
                CreateSqliteFolder(db.Database.GetConnectionString());
            }
        }

        await store.EnsureCreatedAsync(cancellationToken);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (db.Database.IsSqlite())
            {
                // WAL lets readers (the API, a second replica, the importer) work while a write is in progress.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }

            foreach (var column in await CatalogSchemaUpgrade.AddMissingColumnsAsync(db, cancellationToken))
            {
                LogColumnAdded(column);
            }
        }

        if (options.Value.Seed && await store.SeedIfEmptyAsync(CatalogSeed.Default, cancellationToken))
        {
            LogSeeded(CatalogSeed.Default.BookCount);
        }

        await demoReaders.ApplyAsync(cancellationToken);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => InitializeAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static void CreateSqliteFolder(string? connectionString)
    {
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(dataSource) || dataSource == ":memory:" || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog store was created by an earlier version: added the column {Column}")]
    private partial void LogColumnAdded(string column);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog store was empty: wrote the seed catalog ({BookCount} books)")]
    private partial void LogSeeded(int bookCount);
}
