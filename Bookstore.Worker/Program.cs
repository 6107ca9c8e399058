var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBookstoreCache("cache");
builder.AddWorkerHeartbeat();
builder.AddCacheWarming();
builder.AddAdminKeyAuthentication("GET /warming and POST /warming/run");
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapWarmingApi();

await app.RunAsync();

public partial class Program;
