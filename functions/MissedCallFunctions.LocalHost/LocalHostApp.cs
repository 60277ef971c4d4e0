using MissedCallFunctions.Clinics;
using MissedCallFunctions.LocalHost.Durable;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Http;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Storage;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.LocalHost;

/// <summary>Stops what the local host started for itself (the Durable engine, then Azurite) after everything else.</summary>
internal sealed class LocalStackResources(LocalDurableEngine engine, AzuriteLauncher? azurite, ILoggerFactory engineLogs) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await engine.DisposeAsync().ConfigureAwait(false);
        if (azurite is not null)
        {
            await azurite.DisposeAsync().ConfigureAwait(false);
        }

        engineLogs.Dispose();
    }
}

/// <summary>
/// The local host: the same routes and handlers as the Functions app, on Kestrel, with Azurite for Tables and a
/// Storage queue (polled by <see cref="CallEventPump"/>) standing in for Service Bus.
/// </summary>
public static class LocalHostApp
{
    public static async Task<WebApplication> CreateAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{CallEventQueueOptions.Section}:Transport"] = nameof(CallEventTransport.StorageQueue),
        });
        configure?.Invoke(builder);
        var useSandbox = LocalSmsSandbox.Configure(builder.Configuration);

        AzuriteLauncher? azurite = null;
        string? data = null;
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{StorageOptions.Section}:ConnectionString"]))
        {
            var local = builder.Configuration.GetSection(LocalHostOptions.Section).Get<LocalHostOptions>() ?? new LocalHostOptions();
            var root = AzuriteLauncher.FindRepositoryRoot();
            data = string.IsNullOrWhiteSpace(local.AzuriteDataDirectory) || root is null ? null : Path.Combine(root, local.AzuriteDataDirectory);
            azurite = await AzuriteLauncher.StartAsync(data, (10000, 10001, 10002), Console.WriteLine).ConfigureAwait(false);
            builder.Configuration[$"{StorageOptions.Section}:ConnectionString"] = azurite.ConnectionString;
        }

        // The real Durable engine (Azure Storage backend on Azurite) behind a loopback gRPC sidecar.
        var durableOptions = builder.Configuration.GetSection(LocalDurableOptions.Section).Get<LocalDurableOptions>() ?? new LocalDurableOptions();
        var engineLogs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(durableOptions.EngineLogLevel));
        var durableStorage = string.IsNullOrWhiteSpace(durableOptions.ConnectionString)
            ? builder.Configuration[$"{StorageOptions.Section}:ConnectionString"]!
            : durableOptions.ConnectionString;
        var engine = await LocalDurableEngine.StartAsync(durableStorage, durableOptions, engineLogs)
            .ConfigureAwait(false);

        // Registered first so it stops last: the Durable worker and the queue pump stop before the engine and Azurite.
        builder.Services.AddHostedService(_ => new LocalStackResources(engine, azurite, engineLogs));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 2 * 1024 * 1024);
        builder.Services.AddProblemDetails();
        builder.Services.AddMissedCallPipeline(builder.Configuration);
        builder.Services.AddLocalDurable(engine);
        builder.Services.AddHttpClient();
        if (useSandbox)
        {
            builder.Services.AddLocalSmsSandbox(builder.Configuration);
        }

        builder.Services.AddOptions<LocalHostOptions>().Bind(builder.Configuration.GetSection(LocalHostOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        if (builder.Configuration.GetValue($"{LocalHostOptions.Section}:RunProcessor", true))
        {
            builder.Services.AddHostedService<CallEventPump>();
        }

        if (builder.Configuration.GetValue($"{LocalHostOptions.Section}:RunDailySummary", true))
        {
            builder.Services.AddHostedService<DailySummaryService>();
        }

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseMiddleware<FunctionKeyMiddleware>();
        app.UseMiddleware<SmsSandbox.SandboxLoopbackMiddleware>();
        MapRoutes(app);
        await InitializeAsync(app.Services, app.Logger, data).ConfigureAwait(false);
        return app;
    }

    /// <summary>Creates and starts the local host in this process on a free loopback port (for tests and tools).</summary>
    public static async Task<(WebApplication App, Uri BaseAddress)> StartOnLoopbackAsync(IDictionary<string, string?> settings,
        Action<WebApplicationBuilder>? configure = null)
    {
        var app = await CreateAsync([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            configure?.Invoke(builder);
        }).ConfigureAwait(false);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }

    /// <summary>The Functions app's routes, one for one.</summary>
    private static void MapRoutes(WebApplication app)
    {
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        app.MapMethods("/api/calls/{provider}", ["POST", "OPTIONS"],
            (HttpRequest request, string provider, IngestHttpHandler handler, CancellationToken ct) => handler.HandleAsync(request, provider, ct));
        app.MapPost("/api/admin/clinics",
            (HttpRequest request, ClinicAdminHttpHandler handler, CancellationToken ct) => handler.LoadAsync(request, ct));
        app.MapGet("/api/admin/clinics", (ClinicAdminHttpHandler handler, CancellationToken ct) => handler.ListAsync(ct));
        app.MapMethods("/api/sms/{provider}", ["POST", "OPTIONS"],
            (HttpRequest request, string provider, InboundSmsHttpHandler handler, IRecoveryOrchestrations durable, CancellationToken ct)
                => handler.HandleAsync(request, provider, durable, ct));
        app.MapGet("/api/clinics/{clinicId}/tasks",
            (HttpRequest request, string clinicId, StaffHttpHandler staff, CancellationToken ct) => staff.ListTasksAsync(request, clinicId, ct));
        app.MapPost("/api/clinics/{clinicId}/tasks/{taskId}/handled",
            (HttpRequest request, string clinicId, string taskId, StaffHttpHandler staff, IRecoveryOrchestrations durable, CancellationToken ct)
                => staff.MarkHandledAsync(request, clinicId, taskId, durable, ct));
        app.MapGet("/api/clinics/{clinicId}/conversations/{caller}",
            (HttpRequest request, string clinicId, string caller, StaffHttpHandler staff, CancellationToken ct) => staff.ThreadAsync(request, clinicId, caller, ct));
        app.MapPost("/api/clinics/{clinicId}/conversations/{caller}/takeover",
            (HttpRequest request, string clinicId, string caller, StaffHttpHandler staff, IRecoveryOrchestrations durable, CancellationToken ct)
                => staff.TakeOverAsync(request, clinicId, caller, durable, ct));
        app.MapGet("/api/clinics/{clinicId}/calendar.ics",
            (HttpRequest request, string clinicId, BookingHttpHandler bookings, CancellationToken ct) => bookings.CalendarAsync(request, clinicId, ct));
        app.MapGet("/api/clinics/{clinicId}/bookings",
            (HttpRequest request, string clinicId, BookingHttpHandler bookings, CancellationToken ct) => bookings.ListAsync(request, clinicId, ct));
        app.MapPost("/api/clinics/{clinicId}/bookings",
            (HttpRequest request, string clinicId, BookingHttpHandler bookings, CancellationToken ct) => bookings.ReportAsync(request, clinicId, ct));
        app.MapPost("/api/clinics/{clinicId}/bookings/{bookingId}/cancel",
            (HttpRequest request, string clinicId, string bookingId, BookingHttpHandler bookings, CancellationToken ct) => bookings.CancelAsync(request, clinicId, bookingId, ct));
        app.MapPost("/api/clinics/{clinicId}/conversations/{caller}/handback",
            (HttpRequest request, string clinicId, string caller, StaffHttpHandler staff, IRecoveryOrchestrations durable, CancellationToken ct)
                => staff.HandBackAsync(request, clinicId, caller, durable, ct));
        app.MapPost("/api/clinics/{clinicId}/conversations/{caller}/reply",
            (HttpRequest request, string clinicId, string caller, StaffHttpHandler staff, IRecoveryOrchestrations durable, CancellationToken ct)
                => staff.ReplyAsync(request, clinicId, caller, durable, ct));
        app.MapGet("/api/clinics/{clinicId}/report",
            (HttpRequest request, string clinicId, ReportHttpHandler reports, CancellationToken ct) => reports.ReportAsync(request, clinicId, ct));
        app.MapGet("/api/dashboard/assets/{name}", (string name) => DashboardHttpHandler.Asset(name));
        app.MapGet("/api/dashboard/{clinicId}",
            (HttpRequest request, string clinicId, DashboardHttpHandler dashboard, CancellationToken ct) => dashboard.PageAsync(request, clinicId, ct));
        app.MapGet("/api/dashboard/{clinicId}/report",
            (HttpRequest request, string clinicId, DashboardHttpHandler dashboard, CancellationToken ct) => dashboard.ReportAsync(request, clinicId, ct));
        app.MapGet("/api/dashboard/{clinicId}/tasks",
            (HttpRequest request, string clinicId, DashboardHttpHandler dashboard, CancellationToken ct) => dashboard.TasksAsync(request, clinicId, ct));
        app.MapGet("/api/dashboard/{clinicId}/task/{taskId}",
            (HttpRequest request, string clinicId, string taskId, DashboardHttpHandler dashboard, CancellationToken ct) => dashboard.TaskPageAsync(request, clinicId, taskId, ct));
        app.MapPost("/api/dashboard/{clinicId}/task/{taskId}/handled",
            (HttpRequest request, string clinicId, string taskId, DashboardHttpHandler dashboard, IRecoveryOrchestrations durable, CancellationToken ct)
                => dashboard.TaskHandledAsync(request, clinicId, taskId, durable, ct)).DisableAntiforgery();
        app.MapPost("/api/dashboard/{clinicId}/tasks/{taskId}/handled",
            (HttpRequest request, string clinicId, string taskId, DashboardHttpHandler dashboard, IRecoveryOrchestrations durable, CancellationToken ct)
                => dashboard.MarkHandledAsync(request, clinicId, taskId, durable, ct));
        app.MapGet("/api/dashboard/{clinicId}/calls",
            (HttpRequest request, string clinicId, DashboardHttpHandler dashboard, CancellationToken ct) => dashboard.CallsAsync(request, clinicId, ct));
        app.MapGet("/api/dashboard/{clinicId}/calls/{callId}",
            (HttpRequest request, string clinicId, string callId, DashboardHttpHandler dashboard, CancellationToken ct) => dashboard.CallAsync(request, clinicId, callId, ct));
        if (app.Services.GetService<SmsSandbox.SmsSandbox>() is not null)
        {
            LocalSmsSandbox.Map(app);
        }

        app.MapPost("/api/admin/clinics/{clinicId}/contacts",
            (HttpRequest request, string clinicId, ClinicAdminHttpHandler handler, CancellationToken ct) => handler.ImportContactsAsync(request, clinicId, ct));
        app.MapGet("/api/admin/clinics/{clinicId}/calls",
            // The query is read by the handler: minimal-API binding of an int would refuse "abc" with an empty 400.
            (HttpRequest request, string clinicId, ClinicAdminHttpHandler handler, CancellationToken ct) => handler.RecentCallsAsync(request, clinicId, ct));
    }

    /// <param name="azuriteData">The embedded Azurite's data folder, when it keeps data between runs.</param>
    private static async Task InitializeAsync(IServiceProvider services, ILogger logger, string? azuriteData)
    {
        var storage = services.GetRequiredService<StorageClients>();
        var queueOptions = services.GetRequiredService<IOptions<CallEventQueueOptions>>().Value;
        await storage.EnsureTablesAsync().ConfigureAwait(false);
        await storage.Queues.GetQueueClient(queueOptions.QueueName).CreateIfNotExistsAsync().ConfigureAwait(false);
        await storage.Queues.GetQueueClient(queueOptions.PoisonQueueName).CreateIfNotExistsAsync().ConfigureAwait(false);

        var local = services.GetRequiredService<IOptions<LocalHostOptions>>().Value;
        var directory = services.GetRequiredService<IClinicDirectory>();
        if (local.SeedClinicsFile is { Length: > 0 } seed)
        {
            var root = AzuriteLauncher.FindRepositoryRoot();
            var path = Path.IsPathRooted(seed) || root is null ? seed : Path.Combine(root, seed);
            if (File.Exists(path))
            {
                // Loaded into an empty directory, and again whenever the file changed since the kept Azurite data last
                // loaded it (a pull that adds settings to the sample must not leave the local stack on the old ones).
                var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(path).ConfigureAwait(false)));
                var marker = azuriteData is null ? null : Path.Combine(azuriteData, "seeded-clinics.sha256");
                var empty = (await directory.ListAsync(CancellationToken.None).ConfigureAwait(false)).Count == 0;
                var changed = marker is not null && (!File.Exists(marker) || await File.ReadAllTextAsync(marker).ConfigureAwait(false) != hash);
                if (empty || changed)
                {
                    await LoadClinicsAsync(directory, path).ConfigureAwait(false);
                    if (marker is not null)
                    {
                        await File.WriteAllTextAsync(marker, hash).ConfigureAwait(false);
                    }

                    logger.LogInformation("Loaded the clinics from {File}", path);
                }
            }
        }
    }

    /// <summary>Validates and stores a clinics file; throws with every problem listed when it is invalid.</summary>
    public static async Task<ClinicFile> LoadClinicsAsync(IClinicDirectory directory, string path)
    {
        var (file, errors) = ClinicConfigValidator.Parse(await File.ReadAllTextAsync(path).ConfigureAwait(false));
        if (file is null)
        {
            throw new InvalidDataException($"{path} is not a valid clinics file:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors));
        }

        await directory.SaveAsync(file, CancellationToken.None).ConfigureAwait(false);
        return file;
    }
}
