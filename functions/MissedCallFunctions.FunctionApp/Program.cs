using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MissedCallFunctions;
using MissedCallFunctions.Storage;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddMissedCallPipeline(builder.Configuration);
builder.Services.AddHostedService<StorageInitializer>();
builder.Build().Run();

/// <summary>Creates the pipeline's tables once at start-up (idempotent).</summary>
internal sealed class StorageInitializer(StorageClients storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => storage.EnsureTablesAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
