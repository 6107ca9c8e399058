var builder = DistributedApplication.CreateBuilder(args);

var profile = builder.GetBookstoreProfile();
var cache = builder.AddBookstoreRedis("cache", profile);

var api = builder.AddProject<Projects.Bookstore_Api>("api")
    .WithReference(cache)
    .WaitFor(cache)
    .WithBookstoreProfile(profile)
    .WithHttpHealthCheck("/health");

var worker = builder.AddProject<Projects.Bookstore_Worker>("worker")
    .WithReference(cache)
    .WaitFor(cache)
    .WithReference(api)
    .WaitFor(api)
    .WithBookstoreProfile(profile)
    .WithCacheWarming(profile)
    .WithHttpCommand("/warming/run", "Warm cache now", commandOptions: new HttpCommandOptions { Method = HttpMethod.Post, IconName = "ArrowClockwise" });

builder.AddBookstorePrometheus(api, worker);

builder.Build().Run();
