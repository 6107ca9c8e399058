var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBookstoreRedis("cache");
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();
app.MapRedisDiagnosticsApi();

app.Run();
