var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBookstoreCache("cache");
builder.AddWorkerHeartbeat();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
