using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.LocalHost.SmsSandbox;
using Sandbox = MissedCallFunctions.LocalHost.SmsSandbox.SmsSandbox;

namespace MissedCallFunctions.Bench;

/// <summary>
/// The stack under test: an in-memory Azurite of its own (a node process), the local host in this process on a free
/// loopback port (real Durable engine on that Azurite, queue pump, SMS sandbox), and an HTTP client to drive it.
/// </summary>
public sealed class BenchStack : IAsyncDisposable
{
    public const string FunctionKey = "bench-function-key";
    public const string ClinicId = "riverside-dental";
    public const string ClinicNumber = "+442079460000";
    public const string GenericSecret = "dev-riverside-generic-secret-0001";

    private readonly HashSet<string> _reserved;
    private readonly ConcurrentDictionary<string, long> _firstText = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _textCount = new(StringComparer.Ordinal);
    private int _nextCaller;
    private long _textsSent;

    private BenchStack(AzuriteLauncher azurite, WebApplication app, Uri baseAddress, string queueName, string clinicsFile, HashSet<string> reserved, string runId)
    {
        RunId = runId;
        Azurite = azurite;
        App = app;
        BaseAddress = baseAddress;
        QueueName = queueName;
        ClinicsFile = clinicsFile;
        _reserved = reserved;
        _nextCaller = Random.Shared.Next(100_000, 300_000);
        Http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = int.MaxValue,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        Sandbox = app.Services.GetRequiredService<Sandbox>();
        Sandbox.MessageSent += OnMessageSent;
    }

    public AzuriteLauncher Azurite { get; }

    /// <summary>The Durable task hub's own Azurite (--durable-azurite), else null: the task hub shares <see cref="Azurite"/>.</summary>
    public AzuriteLauncher? DurableAzurite { get; private init; }

    /// <summary>RSS and peak RSS of every Azurite process of the run, added up.</summary>
    public (long Rss, long Peak) AzuriteRss()
    {
        var all = AzuritePids.Select(ProcessRss).ToList();
        return (all.Sum(r => r.Rss), all.Sum(r => r.Peak));
    }

    /// <summary>Every Azurite process of the run, for CPU and memory figures.</summary>
    public int[] AzuritePids => DurableAzurite is null ? [Azurite.ProcessId] : [Azurite.ProcessId, DurableAzurite.ProcessId];

    /// <summary>In this run's table prefix, queue name and task hub name.</summary>
    public string RunId { get; }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public string QueueName { get; }

    public string ClinicsFile { get; }

    public HttpClient Http { get; }

    public Sandbox Sandbox { get; }

    /// <summary>Outbound texts stored by the sandbox since start.</summary>
    public long TextsSent => Interlocked.Read(ref _textsSent);

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<BenchStack> StartAsync(BenchOptions options)
    {
        var started = Stopwatch.GetTimestamp();
        var azurite = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null, log: null).ConfigureAwait(false);
        Interrupt.Track(azurite.ProcessId);
        AzuriteLauncher? durableAzurite = null;
        try
        {
            if (options.DurableAzurite)
            {
                durableAzurite = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null, log: null).ConfigureAwait(false);
                Interrupt.TrackSecond(durableAzurite.ProcessId);
            }

            var (clinicsFile, reserved) = WriteClinicsFile(options.LadderFirstStep);
            var id = Guid.NewGuid().ToString("N")[..10];
            var queueName = "bench-calls-" + id;
            var config = new Dictionary<string, string?>
            {
                ["Storage:ConnectionString"] = azurite.ConnectionString,
                ["Storage:TablePrefix"] = "b" + id,
                ["CallEvents:QueueName"] = queueName,
                ["Durable:TaskHub"] = "bench" + id,
                ["Durable:ConnectionString"] = durableAzurite?.ConnectionString,
                ["LocalHost:FunctionKey"] = FunctionKey,
                ["LocalHost:RunDailySummary"] = "false",
                ["LocalHost:AdminKey"] = "bench-admin-key",
                ["LocalHost:SeedClinicsFile"] = clinicsFile,
                ["LocalHost:RunProcessor"] = options.Processor ? "true" : "false",
                ["Logging:LogLevel:Default"] = "Warning",
                ["urls"] = "http://127.0.0.1:0",
            };
            foreach (var (key, value) in options.Settings)
            {
                config[key] = value;
            }

            var (app, address) = await LocalHostApp.StartOnLoopbackAsync(config, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning))
                .ConfigureAwait(false);
            var stack = new BenchStack(azurite, app, address, queueName, clinicsFile, reserved, id) { DurableAzurite = durableAzurite };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Stack up in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s: host {address} (pid {Environment.ProcessId}), Azurite pid {azurite.ProcessId} (queue port {azurite.QueuePort}){(durableAzurite is null ? string.Empty : $", Durable task hub on a second Azurite pid {durableAzurite.ProcessId}")}, processor {(options.Processor ? "on" : "off")}, ladder first step after {options.LadderFirstStep}."));
            return stack;
        }
        catch
        {
            await azurite.DisposeAsync().ConfigureAwait(false);
            if (durableAzurite is not null)
            {
                await durableAzurite.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>A UK mobile (+447400NNNNNN) no earlier call of this run used, never a staff, blocked or internal number.</summary>
    public string NewCaller()
    {
        while (true)
        {
            var n = Interlocked.Increment(ref _nextCaller);
            var caller = string.Create(CultureInfo.InvariantCulture, $"+447400{n % 1_000_000:D6}");
            if (!_reserved.Contains(caller))
            {
                return caller;
            }
        }
    }

    /// <summary>A signed generic-webhook missed call from <paramref name="caller"/> to the UK sample clinic.</summary>
    public HttpRequestMessage MissedCall(string caller)
    {
        var id = Guid.NewGuid().ToString("N");
        var json = string.Create(CultureInfo.InvariantCulture,
            $$"""{"eventId":"bench-{{id}}","callId":"call-{{id}}","clinicNumber":"{{ClinicNumber}}","caller":"{{caller}}","outcome":"missed","ringSeconds":25,"occurredAt":"{{DateTimeOffset.UtcNow:O}}"}""");
        var body = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/calls/generic") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("x-functions-key", FunctionKey);
        request.Headers.Add(GenericCallEventProvider.SignatureHeader,
            GenericCallEventProvider.Sign(GenericSecret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body));
        return request;
    }

    /// <summary>Posts one missed call; the status code and the accept time (request sent to response read).</summary>
    public async Task<(HttpStatusCode? Status, double Milliseconds, long CompletedAt, string? Error)> PostMissedCallAsync(string caller, CancellationToken ct)
    {
        using var request = MissedCall(caller);
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await Http.SendAsync(request, ct).ConfigureAwait(false);
            await response.Content.LoadIntoBufferAsync(ct).ConfigureAwait(false);
            var end = Stopwatch.GetTimestamp();
            return (response.StatusCode, Stopwatch.GetElapsedTime(start, end).TotalMilliseconds, end, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            var end = Stopwatch.GetTimestamp();
            return (null, Stopwatch.GetElapsedTime(start, end).TotalMilliseconds, end, ex.GetType().Name);
        }
    }

    /// <summary>When the first text to <paramref name="phone"/> reached the sandbox (Stopwatch timestamp).</summary>
    public bool TryGetFirstText(string phone, out long timestamp) => _firstText.TryGetValue(phone, out timestamp);

    /// <summary>How many of <paramref name="callers"/> got more than one text (the ladder's first step is a day away, so any is a duplicate).</summary>
    public int CallersWithDuplicateTexts(IEnumerable<string> callers) => callers.Count(c => _textCount.TryGetValue(c, out var n) && n > 1);

    public static long WorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    public static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <summary>VmRSS and VmHWM (peak) of a process, from /proc/&lt;pid&gt;/status, in bytes; -1 when unreadable.</summary>
    public static (long Rss, long Peak) ProcessRss(int pid)
    {
        try
        {
            long rss = -1, peak = -1;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kb(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kb(line);
                }
            }

            return (rss, peak);
        }
        catch (IOException)
        {
            return (-1, -1);
        }

        static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public async Task<int> QueuedCountAsync()
    {
        var queue = Get<Storage.StorageClients>().Queues.GetQueueClient(QueueName);
        return (await queue.GetPropertiesAsync().ConfigureAwait(false)).Value.ApproximateMessagesCount;
    }

    private void OnMessageSent(object? sender, SandboxMessage message)
    {
        if (message.Direction != SandboxDirection.Outbound)
        {
            return;
        }

        Interlocked.Increment(ref _textsSent);
        _firstText.TryAdd(message.To, Stopwatch.GetTimestamp());
        _textCount.AddOrUpdate(message.To, 1, (_, n) => n + 1);
    }

    /// <summary>
    /// The sample clinics, always open and always inside sending hours, with the escalation ladder's first step far in
    /// the future: every recovery sends its text-back, then waits for a reply (the state the benchmarks measure).
    /// </summary>
    private static (string Path, HashSet<string> Reserved) WriteClinicsFile(TimeSpan firstStep)
    {
        var root = AzuriteLauncher.FindRepositoryRoot() ?? throw new InvalidOperationException("Run from the repository: samples/clinics.sample.json is needed.");
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "samples", "clinics.sample.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        var allDay = JsonNode.Parse("""[{"open":"00:00","close":"23:59"}]""")!;
        var days = new JsonObject();
        foreach (var day in new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" })
        {
            days[day] = allDay.DeepClone();
        }

        string Span(TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
        var ladder = new JsonArray(
            new JsonObject { ["after"] = Span(firstStep), ["action"] = "nudgePatient", ["template"] = "followUp" },
            new JsonObject { ["after"] = Span(firstStep + TimeSpan.FromHours(1)), ["action"] = "staffCallbackTask" },
            new JsonObject { ["after"] = Span(firstStep + TimeSpan.FromHours(1)), ["action"] = "alertStaff", ["template"] = "staffAlert" },
            new JsonObject { ["after"] = Span(firstStep + TimeSpan.FromHours(2)), ["action"] = "alertManager", ["template"] = "managerAlert" });

        var reserved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var clinic in node["clinics"]!.AsArray())
        {
            clinic!["escalationLadder"] = ladder.DeepClone();
            clinic["sendingHours"] = JsonNode.Parse("""{"start":"00:00","end":"23:59"}""");
            clinic["holidays"] = new JsonArray();
            clinic["openingHours"] = days.DeepClone();
            foreach (var contact in clinic["staffContacts"]?.AsArray() ?? [])
            {
                reserved.Add(contact!["phone"]!.GetValue<string>());
            }

            foreach (var list in new[] { "blockedNumbers", "internalNumbers", "numbers" })
            {
                foreach (var number in clinic[list]?.AsArray() ?? [])
                {
                    reserved.Add(number!.GetValue<string>());
                }
            }
        }

        var path = Path.Combine(Path.GetTempPath(), $"bench-clinics-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, node.ToJsonString());
        return (path, reserved);
    }

    public async ValueTask DisposeAsync()
    {
        Sandbox.MessageSent -= OnMessageSent;
        Http.Dispose();

        // The results are printed: the Durable worker's cancellation noise while the host stops is not of interest.
        Console.WriteLine("Stopping the host and Azurite (their shutdown logs are not shown)...");
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(TextWriter.Null);
        Console.SetError(TextWriter.Null);
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    private async Task StopAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            try
            {
                await App.StopAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("The host did not stop within 20 s; killing Azurite anyway.");
            }
        }

        try
        {
            await App.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await Azurite.DisposeAsync().ConfigureAwait(false);
            if (DurableAzurite is not null)
            {
                await DurableAzurite.DisposeAsync().ConfigureAwait(false);
            }

            File.Delete(ClinicsFile);
        }
    }
}
