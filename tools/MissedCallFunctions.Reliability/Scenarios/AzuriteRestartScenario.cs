using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.Reliability.Infrastructure;

namespace MissedCallFunctions.Reliability.Scenarios;

/// <summary>
/// Azurite (with a persistent data folder) is stopped and started again on the same ports while calls flow. Ingest may
/// answer 5xx while storage is away (the provider retries); afterwards every accepted call has exactly one text-back,
/// without anyone touching the host.
/// </summary>
public static class AzuriteRestartScenario
{
    public static async Task<ScenarioResult> RunAsync(ReliabilityOptions options, Random random)
    {
        var calls = options.Full ? 300 : 60;
        var seconds = options.Full ? 60.0 : 30.0;
        var stopAt = seconds * (0.25 + (random.NextDouble() * 0.15));
        var downFor = options.Full ? 10.0 : 5.0;
        var result = new ScenarioResult("azurite-restart",
            $"{calls} missed calls over {seconds:0} s ({calls / seconds:0.#}/s) to an in-process local host. At t+{stopAt:0.0} s Azurite (data in a folder) " +
            $"is stopped (SIGTERM) and started again {downFor:0} s later on the same ports; nothing else is touched. Each call is re-sent every second " +
            "after a 5xx or no answer (as providers retry), and given up on a 4xx.");

        var data = Path.Combine(Path.GetTempPath(), "reliability-azurite-" + Guid.NewGuid().ToString("N")[..8]);
        var azurite = await AzuriteLauncher.StartAsync(data, preferredPorts: null);
        var ports = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
        var connection = azurite.ConnectionString;
        var names = Isolation.New("azurite");
        var clinics = Sample.ClinicsFile(Sample.TextBackOnlyLadder);
        InProcessHost? host = null;
        try
        {
            host = await InProcessHost.StartAsync("host", new HostSettings(connection, names, clinics));
            using var texts = new TextLog(host.Sandbox);
            using var http = Loopback.Client(host.BaseAddress, TimeSpan.FromSeconds(20));
            var callers = Enumerable.Range(0, calls).Select(i => Sample.Caller(5, i)).ToList();
            var outcomes = new ConcurrentDictionary<string, Delivery.Outcome>(StringComparer.Ordinal);
            var run = Guid.NewGuid().ToString("N")[..8];
            var t0 = Stopwatch.GetTimestamp();

            var traffic = Task.Run(async () =>
            {
                var sends = new List<Task>();
                for (var i = 0; i < calls; i++)
                {
                    var caller = callers[i];
                    var json = Webhooks.GenericJson($"azr-{run}-{i}", $"azr-call-{run}-{i}", caller, "missed", DateTimeOffset.UtcNow);
                    sends.Add(Task.Run(async () => outcomes[caller] = await Delivery.SendAsync(http, () => Webhooks.Generic(json), TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(1))));
                    var next = (i + 1) * seconds / calls - Seconds.Since(t0);
                    if (next > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(next));
                    }
                }

                await Task.WhenAll(sends);
            });

            await Task.Delay(TimeSpan.FromSeconds(stopAt));
            var stoppedAt = Stopwatch.GetTimestamp();
            var pid = azurite.ProcessId;
            Signals.Terminate(pid);
            var exited = await Wait.UntilAsync(() => !Signals.IsAlive(pid) && !AzuriteLauncher.IsListening(ports.TablePort), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50));
            await azurite.DisposeAsync(); // SIGKILL only if SIGTERM did not stop it
            var stopSeconds = Seconds.Since(stoppedAt);
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, downFor - stopSeconds)));
            azurite = await AzuriteLauncher.StartAsync(data, ports);
            var upAt = Stopwatch.GetTimestamp();
            var samePorts = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort) == ports;

            await traffic;
            var accepted = outcomes.Where(o => o.Value.AcceptedAt is not null).Select(o => o.Key).ToList();
            var allTexted = await Wait.UntilAsync(() => accepted.All(c => texts.Outbound(c) >= 1), TimeSpan.FromSeconds(180));
            var lastText = accepted.Select(c => texts.TryFirst(c, out var at) ? at : 0).DefaultIfEmpty(0).Max();
            await Task.Delay(TimeSpan.FromSeconds(5));

            var perCaller = accepted.Select(texts.Outbound).ToList();
            var failures = outcomes.Values.SelectMany(o => o.Failures).OrderBy(f => f.At).ToList();
            var serverErrors = outcomes.Values.Sum(o => o.ServerErrors);
            var noAnswer = outcomes.Values.Sum(o => o.NoAnswer);
            var clientErrors = outcomes.Values.Where(o => o.ClientErrors > 0).ToList();
            using var health = await http.GetAsync("/health");
            var firstSuccessAfterUp = outcomes.Values.Where(o => o.AcceptedAt > upAt).Select(o => o.AcceptedAt!.Value).DefaultIfEmpty(0).Min();

            result.Equal("Azurite stopped by SIGTERM (not killed)", true, exited)
                .Equal("Azurite back on the same ports", true, samePorts)
                .Equal("calls eventually accepted (202)", calls, accepted.Count)
                .Equal("calls refused with a 4xx (a provider would give up)", 0, clientErrors.Count)
                .Equal("accepted calls with a text-back", accepted.Count, perCaller.Count(n => n >= 1))
                .Equal("accepted calls with more than one text-back", 0, perCaller.Count(n => n > 1))
                .Equal("texts stored in total", accepted.Count, texts.AllOutbound.Count)
                .Equal("host healthy afterwards (GET /health)", 200, (int)health.StatusCode);
            if (!allTexted)
            {
                result.Note("Some accepted calls had no text-back 180 s after the restart.");
            }

            if (clientErrors.Count > 0)
            {
                result.Note("4xx answers: " + string.Join(", ", clientErrors.SelectMany(o => o.Failures.Select(f => f.What)).GroupBy(s => s).Select(g => $"{g.Key} x{g.Count()}")));
            }

            string Rel(long at) => at == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"t+{Seconds.Between(t0, at):0.0} s");
            result.Metric("Azurite stopped at / back at", $"{Rel(stoppedAt)} / {Rel(upAt)} (down {Seconds.Between(stoppedAt, upAt):0.0} s)")
                .Metric("ingest failures: 5xx answers / no answer", $"{serverErrors} / {noAnswer}")
                .Metric("ingest failure window (first to last failed attempt)",
                    failures.Count == 0 ? "none" : $"{Rel(failures[0].At)} to {Rel(failures[^1].At)} ({Seconds.Between(failures[0].At, failures[^1].At):0.0} s)")
                .Metric("failed attempts by answer", Fmt.Counts(failures.GroupBy(f => f.What).Select(g => KeyValuePair.Create(g.Key, g.Count()))))
                .Metric("calls that needed retries", outcomes.Values.Count(o => o.Attempts > 1))
                .Metric("calls whose first attempt took over 2 s to answer (storage SDK retrying inside the request)",
                    outcomes.Values.Count(o => o.Failures.Count == 0 && o.AcceptedAt is { } a && Stopwatch.GetElapsedTime(o.FirstAttempt, a).TotalSeconds > 2))
                .Metric("longest first attempt to 202", Fmt.Ms(outcomes.Values.Where(o => o.AcceptedAt is not null)
                    .Select(o => Stopwatch.GetElapsedTime(o.FirstAttempt, o.AcceptedAt!.Value).TotalMilliseconds).DefaultIfEmpty(double.NaN).Max()))
                .Metric("first 202 after Azurite was back", firstSuccessAfterUp == 0 ? "-" : Fmt.Ms(Stopwatch.GetElapsedTime(upAt, firstSuccessAfterUp).TotalMilliseconds))
                .Metric("last text-back", lastText == 0 ? "-" : $"{Rel(lastText)} ({Seconds.Between(upAt, lastText):0.0} s after Azurite was back)")
                .Metric("host warnings/errors logged", Fmt.Counts(host.Logs.Lines.Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Warning)
                    .GroupBy(l => $"{l.Category.Split('.')[^1]}#{l.EventId}").Select(g => KeyValuePair.Create(g.Key, g.Count()))));
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }

            await azurite.DisposeAsync();
            File.Delete(clinics);
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return result;
    }
}
