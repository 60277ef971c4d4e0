using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.LocalHost;
using Sandbox = MissedCallFunctions.LocalHost.SmsSandbox.SmsSandbox;

namespace MissedCallFunctions.Simulation;

/// <summary>
/// A local stack for one run: the local host in this process on a free loopback port, on an Azurite of its own (or a
/// shared one, in a table prefix and task hub of its own), with the run's clinics loaded.
/// </summary>
public sealed class SimulationStack : IAsyncDisposable
{
    public const string FunctionKey = "simulation-function-key";

    private readonly AzuriteLauncher? _azurite;

    private SimulationStack(WebApplication app, AzuriteLauncher? azurite, Uri baseAddress, IReadOnlyList<ClinicConfig> clinics)
    {
        App = app;
        _azurite = azurite;
        BaseAddress = baseAddress;
        Clinics = clinics;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>The clinics as the run's stack has them (timings already scaled).</summary>
    public IReadOnlyList<ClinicConfig> Clinics { get; }

    public Sandbox Sandbox => App.Services.GetRequiredService<Sandbox>();

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <param name="clinicsJson">A clinics file's text; its timings are scaled by <paramref name="timeScale"/> (see <see cref="ClinicTimeScale"/>).</param>
    /// <param name="connectionString">An Azurite to share; null starts one for this run.</param>
    public static async Task<SimulationStack> StartAsync(string clinicsJson, double timeScale, string? connectionString = null, LogLevel logLevel = LogLevel.Warning)
    {
        var scaled = ClinicTimeScale.Apply(clinicsJson, timeScale);
        var (file, errors) = ClinicConfigValidator.Parse(scaled);
        if (file is null)
        {
            throw new InvalidDataException("The clinics file is not valid: " + string.Join("; ", errors));
        }

        var path = Path.Combine(Path.GetTempPath(), $"mcf-sim-clinics-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, scaled).ConfigureAwait(false);
        AzuriteLauncher? azurite = null;
        if (connectionString is null)
        {
            azurite = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null, log: null).ConfigureAwait(false);
            connectionString = azurite.ConnectionString;
        }

        try
        {
            var id = Guid.NewGuid().ToString("N")[..10];
            var settings = new Dictionary<string, string?>
            {
                ["Storage:ConnectionString"] = connectionString,
                ["Storage:TablePrefix"] = "sim" + id,
                ["CallEvents:QueueName"] = "sim-calls-" + id,
                ["Durable:TaskHub"] = "sim" + id,
                ["Durable:EngineLogLevel"] = logLevel == LogLevel.Warning ? nameof(LogLevel.Error) : logLevel.ToString(),
                ["LocalHost:FunctionKey"] = FunctionKey,
                ["LocalHost:RunDailySummary"] = "false",
                ["LocalHost:AdminKey"] = FunctionKey + "-admin",
                ["LocalHost:SeedClinicsFile"] = path,
                ["Logging:LogLevel:Default"] = logLevel.ToString(),
            };
            var (app, address) = await LocalHostApp.StartOnLoopbackAsync(settings, builder => builder.Logging.SetMinimumLevel(logLevel)).ConfigureAwait(false);
            return new SimulationStack(app, azurite, address, file.Clinics);
        }
        catch
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Time compression by configuration only: every timed step of each clinic (the escalation ladder's waits, the
/// booking conversation's reply timeout, the callback-task due time) is divided by the scale, so the orchestrations run their normal code. A
/// step counted in business days becomes its calendar equivalent (24 h a day) first, because business days cannot be
/// compressed. Opening and sending hours stay as they are: they follow the real clock.
/// </summary>
public static class ClinicTimeScale
{
    public static string Apply(string clinicsJson, double scale)
    {
        if (scale <= 0 || double.IsNaN(scale) || double.IsInfinity(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), "The time scale must be a positive number.");
        }

        var root = JsonNode.Parse(clinicsJson, documentOptions: new System.Text.Json.JsonDocumentOptions
        {
            CommentHandling = System.Text.Json.JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        }) ?? throw new InvalidDataException("The clinics file is empty.");
        if (Math.Abs(scale - 1) < double.Epsilon)
        {
            return root.ToJsonString();
        }

        foreach (var clinic in root["clinics"]?.AsArray() ?? [])
        {
            foreach (var step in clinic?["escalationLadder"]?.AsArray() ?? [])
            {
                if (step is not JsonObject s)
                {
                    continue;
                }

                var after = s["after"] is { } a ? TimeSpan.Parse((string)a!, CultureInfo.InvariantCulture) : TimeSpan.Zero;
                if (s["afterBusinessDays"] is { } days)
                {
                    after += TimeSpan.FromDays((int)days!);
                    s.Remove("afterBusinessDays");
                }

                s["after"] = Scale(after, scale);
            }

            if (clinic is JsonObject c)
            {
                var due = c["callbackTaskDue"] is { } d ? TimeSpan.Parse((string)d!, CultureInfo.InvariantCulture) : TimeSpan.FromHours(2);
                c["callbackTaskDue"] = Scale(due, scale);
            }

            if (clinic?["booking"] is JsonObject booking && booking["replyTimeout"] is { } timeout)
            {
                booking["replyTimeout"] = Scale(TimeSpan.Parse((string)timeout!, CultureInfo.InvariantCulture), scale);
            }
        }

        return root.ToJsonString();
    }

    private static string Scale(TimeSpan value, double scale)
        => TimeSpan.FromMilliseconds(Math.Max(500, value.TotalMilliseconds / scale)).ToString("c", CultureInfo.InvariantCulture);
}
