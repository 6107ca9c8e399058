using Bookstore.Api.Catalog;
using Bookstore.Caching.Configuration;
using Bookstore.Catalog.Contracts;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class CatalogExtensions
{
    /// <summary>
    /// The catalog store (EF Core, provider from <c>Bookstore:Catalog:Provider</c>, database from
    /// <c>ConnectionStrings:catalog</c>), its initializer, the CSV importer, the readers' password hasher (ASP.NET Core
    /// Identity's), and the catalog types' JSON metadata for the cache. An unknown provider fails here, at start.
    /// </summary>
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(CatalogOptions.SectionName).Get<CatalogOptions>() ?? new CatalogOptions();
        var connectionString = (builder.Configuration.GetConnectionString(CatalogOptions.ConnectionName) ?? CatalogOptions.DefaultSqliteConnectionString)
            .Replace("{ContentRoot}", builder.Environment.ContentRootPath, StringComparison.Ordinal);

        Action<DbContextOptionsBuilder> provider = options.Provider.Trim().ToLowerInvariant() switch
        {
            "sqlite" => db => db.UseSqlite(connectionString),
            _ => throw new InvalidOperationException(
                $"{CatalogOptions.SectionName}:Provider '{options.Provider}' is not supported. Set it to 'sqlite' (the only provider built in today)."),
        };

        builder.Services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddDbContextFactory<CatalogDbContext>(provider);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ICatalogStore, EfCatalogStore>();
        builder.Services.AddSingleton<GoodreadsCsvImporter>();
        builder.Services.TryAddSingleton<IPasswordHasher<ReaderCredentials>, PasswordHasher<ReaderCredentials>>();
        builder.Services.AddSingleton<DemoReaderPasswords>();
        builder.Services.Configure<CacheOptions>(cache => cache.JsonTypeInfoResolvers.Add(CatalogJsonContext.Default));
        builder.Services.AddSingleton<CatalogInitializer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CatalogInitializer>());
        return builder;
    }
}
