var builder = DistributedApplication.CreateBuilder(args);

var profile = builder.GetBookstoreProfile();
var cache = builder.AddBookstoreRedis("cache", profile);

// The API's admin credential (X-Api-Key): generated once, kept in the AppHost's user secrets like cache-password.
var adminKey = builder.AddParameter("api-admin-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

var api = builder.AddProject<Projects.Bookstore_Api>("api")
    .WithReference(cache)
    .WaitFor(cache)
    .WithBookstoreProfile(profile)
    .WithEnvironment("Bookstore__Security__AdminApiKey", adminKey)
    .WithManagementEndpoint()
    .WithHttpHealthCheck("/health", endpointName: ManagementEndpointExtensions.EndpointName);

var worker = builder.AddProject<Projects.Bookstore_Worker>("worker")
    .WithReference(cache)
    .WaitFor(cache)
    .WithReference(api)
    .WaitFor(api)
    .WithBookstoreProfile(profile)
    .WithEnvironment("Bookstore__Security__AdminApiKey", adminKey)
    .WithManagementEndpoint()
    .WithHttpCommand("/warming/run", "Warm cache now", commandOptions: new HttpCommandOptions { Method = HttpMethod.Post, IconName = "ArrowClockwise" });

builder.AddBookstorePrometheus(api, worker);

builder.Build().Run();
