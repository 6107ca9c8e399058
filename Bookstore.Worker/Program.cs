var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBookstoreRedis("cache");
builder.AddWorkerHeartbeat();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
