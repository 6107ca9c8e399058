using Bookstore.Api.Security;

var builder = WebApplication.CreateBuilder(CatalogCommandLine.HostArguments(args));

builder.AddServiceDefaults();
builder.AddBookstoreCache("cache");
builder.AddCatalog();
builder.AddRecommendations();
builder.AddBookstoreSecurity();
builder.AddBookstoreRateLimits();
builder.AddPopularity();
builder.AddApiProblemDetails();
builder.AddBookstoreOpenApi();

var app = builder.Build();

if (await app.RunCatalogCommandAsync(args) is { } exitCode)
{
    return exitCode;
}

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseBookstoreRateLimits();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.UseApiDocsUi();
app.MapRedisDiagnosticsApi();
app.MapMonitoringApi();
app.MapBooksApi();
app.MapUsersApi();
app.MapSessionsApi();
app.MapVisitsApi();
app.MapCatalogAdminApi();
app.MapCacheAdminApi();
app.MapCatalogBulkApi();

await app.RunAsync();
return 0;

public partial class Program;
