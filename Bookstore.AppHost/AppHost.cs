var builder = DistributedApplication.CreateBuilder(args);
builder.KeepSecretsOutOfLogs();
builder.AddRedisEnvironmentAliases();

var profile = builder.GetBookstoreProfile();
var cache = builder.AddBookstoreRedis("cache", profile);

// The API's admin credential (X-Api-Key): generated once, kept in the AppHost's user secrets like cache-password.
var apiAdminKey = builder.AddParameter("api-admin-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

// The seeded demo readers' password (POST /sessions): generated and kept the same way; shown on the dashboard's Parameters.
var demoReaderPassword = builder.AddParameter("demo-reader-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);

var api = builder.AddProject<Projects.Bookstore_Api>("api")
    .WithReplicas(profile.ApiReplicas)
    .WithReference(cache)
    .WithRedisTlsTrust(cache)
    .WaitFor(cache)
    .WithBookstoreProfile(profile)
    .WithRateLimits(profile)
    .WithBookstoreRedisMonitor(cache)
    .WithEnvironment("Bookstore__Security__AdminApiKey", apiAdminKey)
    .WithEnvironment("Bookstore__Catalog__DemoReaderPassword", demoReaderPassword)
    .WithManagementEndpoint()
    .WithHttpHealthCheck("/health", endpointName: ManagementEndpointExtensions.EndpointName);

var worker = builder.AddProject<Projects.Bookstore_Worker>("worker")
    .WithReference(cache)
    .WithRedisTlsTrust(cache)
    .WaitFor(cache)
    .WithReference(api)
    .WaitFor(api)
    .WithBookstoreProfile(profile)
    .WithBookstoreRedisMonitor(cache)
    .WithEnvironment("Bookstore__Security__AdminApiKey", apiAdminKey)
    .WithManagementEndpoint()
    .WithCacheWarming(profile, apiAdminKey);

cache.WithCacheFlushCommand(api, apiAdminKey);

builder.AddBookstorePrometheus(api, worker, profile);
builder.StopServicesFirstOnShutdown();

builder.Build().Run();
