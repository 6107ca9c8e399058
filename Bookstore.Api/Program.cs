var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBookstoreCache("cache");
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();
app.MapRedisDiagnosticsApi();
app.MapMonitoringApi();

app.Run();
