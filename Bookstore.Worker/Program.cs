var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBookstoreCache("cache");
builder.AddWorkerHeartbeat();
builder.AddCacheWarming();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapWarmingApi();

app.Run();
