using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Tests.Infrastructure;

/// <summary>The pipeline's services wired as in the hosts, on the shared Azurite, isolated by a unique prefix.</summary>
public sealed class TestStack : IAsyncDisposable
{
    private TestStack(ServiceProvider services, string queueName)
    {
        Services = services;
        QueueName = queueName;
    }

    public ServiceProvider Services { get; }

    public string QueueName { get; }

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public QueueClient Queue => Get<StorageClients>().Queues.GetQueueClient(QueueName);

    public static async Task<TestStack> CreateAsync(Action<IServiceCollection>? configure = null, string? clinicsFile = "clinics.sample.json")
    {
        var connection = await AzuriteServer.ConnectionStringAsync();
        var queueName = AzuriteServer.UniqueName("calls").ToLowerInvariant();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = connection,
            ["Storage:TablePrefix"] = AzuriteServer.UniqueName("t"),
            ["CallEvents:Transport"] = "StorageQueue",
            ["CallEvents:QueueName"] = queueName,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddFakeLogging().SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMissedCallPipeline(configuration);
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider();
        var storage = provider.GetRequiredService<StorageClients>();
        await storage.EnsureTablesAsync();
        await storage.Queues.GetQueueClient(queueName).CreateIfNotExistsAsync();
        if (clinicsFile is not null)
        {
            await MissedCallFunctions.LocalHost.LocalHostApp.LoadClinicsAsync(provider.GetRequiredService<IClinicDirectory>(), SamplePaths.Clinics(clinicsFile));
        }

        return new TestStack(provider, queueName);
    }

    public async ValueTask DisposeAsync() => await Services.DisposeAsync();
}

public static class SamplePaths
{
    /// <summary>The repository's samples folder (the shipped sample clinics file is tested as shipped).</summary>
    public static string Clinics(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"samples/{name} not found above {AppContext.BaseDirectory}");
    }

    public static string Provider(string name) => Path.Combine(AppContext.BaseDirectory, "Samples", "providers", name);
}
