var builder = DistributedApplication.CreateBuilder(args);

var profile = builder.GetBookstoreProfile();
var cache = builder.AddBookstoreRedis("cache", profile);

builder.AddProject<Projects.Bookstore_Api>("api")
    .WithReference(cache)
    .WaitFor(cache)
    .WithBookstoreProfile(profile)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Bookstore_Worker>("worker")
    .WithReference(cache)
    .WaitFor(cache)
    .WithBookstoreProfile(profile);

builder.Build().Run();
