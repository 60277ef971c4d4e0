using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace MissedCallFunctions.LocalHost.Durable;

public sealed class LocalDurableOptions
{
    public const string Section = "Durable";

    /// <summary>Task hub name (letters and digits, 3-45 characters): its queues and tables live in Azurite.</summary>
    public string TaskHub { get; set; } = "missedcalls";

    /// <summary>
    /// Storage for the task hub when it should not share the pipeline's (<c>Storage:ConnectionString</c>), as
    /// <c>AzureWebJobsStorage</c> can be its own account in Azure. Locally a second Azurite process gives the engine its
    /// own event loop, so ingest and the pipeline's tables do not queue behind its polling and history writes.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>How often idle queues are polled at most: low keeps text-backs fast on the local stack.</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    public int MaxConcurrentOrchestrations { get; set; } = 200;

    /// <summary>How long work taken by a host that died stays invisible before another host takes it.</summary>
    public TimeSpan WorkVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public int MaxConcurrentActivities { get; set; } = 100;

    /// <summary>
    /// Control queues. One keeps a single local host quick to start and to take over after a kill; more spread waiting
    /// timers over several queues, which Azurite scans per receive (many waiting recoveries, see docs/benchmarks.md).
    /// </summary>
    public int PartitionCount { get; set; } = 1;

    /// <summary>
    /// Keep an orchestration's history in memory between its episodes (for <see cref="ExtendedSessionIdleTimeout"/>),
    /// so a recovery's activities do not reload its history from the table each time.
    /// </summary>
    public bool ExtendedSessions { get; set; }

    public TimeSpan ExtendedSessionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The engine logs to the console on its own; tools that draw progress bars turn it down.</summary>
    public LogLevel EngineLogLevel { get; set; } = LogLevel.Warning;
}

/// <summary>
/// The real Durable Task engine, locally: the Azure Storage backend Durable Functions uses (on Azurite) behind the
/// public gRPC sidecar from Microsoft.DurableTask.InProcessTestHost, on its own loopback HTTP/2 port. The host's
/// ordinary Durable worker and client connect to it, so the same orchestrator classes run here and in Azure, and
/// instances live in storage: a recovery survives a restart of the local host.
/// </summary>
public sealed class LocalDurableEngine : IAsyncDisposable
{
    private readonly WebApplication _sidecar;
    private readonly AzureStorageOrchestrationService _service;

    private LocalDurableEngine(WebApplication sidecar, AzureStorageOrchestrationService service, Uri address)
    {
        _sidecar = sidecar;
        _service = service;
        Address = address;
        Channel = GrpcChannel.ForAddress(address);
    }

    public Uri Address { get; }

    public GrpcChannel Channel { get; }

    public static async Task<LocalDurableEngine> StartAsync(string storageConnectionString, LocalDurableOptions options, ILoggerFactory loggerFactory)
    {
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.TaskHub,
            StorageAccountClientProvider = new StorageAccountClientProvider(storageConnectionString),
            PartitionCount = Math.Clamp(options.PartitionCount, 1, 16),
            ExtendedSessionsEnabled = options.ExtendedSessions,
            ExtendedSessionIdleTimeout = options.ExtendedSessionIdleTimeout,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            LoggerFactory = loggerFactory,
            // One local host at a time: no app lease, and short partition leases and visibility timeouts so a host
            // killed mid-work is taken over within seconds by the next start (defaults wait up to 5 minutes).
            UseAppLease = false,
            LeaseInterval = TimeSpan.FromSeconds(10),
            LeaseRenewInterval = TimeSpan.FromSeconds(3),
            LeaseAcquireInterval = TimeSpan.FromSeconds(2),
            ControlQueueVisibilityTimeout = options.WorkVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = options.WorkVisibilityTimeout,
        };
        var service = new AzureStorageOrchestrationService(settings);
        await service.CreateIfNotExistsAsync().ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(new SafeStopOrchestrationService(service));
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        var sidecar = builder.Build();
        sidecar.MapGrpcService<TaskHubGrpcServer>();
        await sidecar.StartAsync().ConfigureAwait(false);
        var address = sidecar.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        return new LocalDurableEngine(sidecar, service, new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _sidecar.StopAsync().ConfigureAwait(false);
        await _sidecar.DisposeAsync().ConfigureAwait(false);
        // The sidecar stops the service from a fire-and-forget callback: let it finish before disposing.
        await Task.Delay(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
        _service.Dispose();
    }
}
