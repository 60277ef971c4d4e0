using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Reliability.Infrastructure;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Reliability.Scenarios;

/// <summary>
/// N live ladders on the local host run as a child process, SIGKILLed 2-3 times at random points and restarted: every
/// ladder completes and every step is sent exactly once, counted at a standalone SMS sandbox outside the killed process.
/// </summary>
public static class KillScenario
{
    private static readonly TimeSpan Nudge = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan StaffStep = TimeSpan.FromSeconds(18);
    private static readonly TimeSpan ManagerStep = TimeSpan.FromSeconds(24);

    public static async Task<ScenarioResult> RunAsync(ReliabilityOptions options, Random random)
    {
        var calls = options.Full ? 200 : 20;
        var kills = 2 + random.Next(2);
        var ladder = $$"""
            [
              { "after": "{{Span(Nudge)}}", "action": "nudgePatient", "template": "followUp" },
              { "after": "{{Span(StaffStep)}}", "action": "staffCallbackTask" },
              { "after": "{{Span(StaffStep)}}", "action": "alertStaff", "template": "staffAlert" },
              { "after": "{{Span(ManagerStep)}}", "action": "alertManager", "template": "managerAlert" }
            ]
            """;
        var result = new ScenarioResult("kill",
            $"{calls} missed calls, each starting a ladder: text-back, follow-up after {Nudge.TotalSeconds:0} s, callback task and staff alert after " +
            $"{StaffStep.TotalSeconds:0} s, manager alert after {ManagerStep.TotalSeconds:0} s (4 texts per ladder). The local host runs as a child " +
            $"process and is killed with SIGKILL {kills} times at random points (during ingest, text-backs or ladder steps), then started again; " +
            "calls whose delivery failed are re-sent like a provider would. Texts are counted at a standalone SMS sandbox in this process.");

        await using var azurite = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null);
        await using var sandbox = await SandboxHost.StartAsync();
        var names = Isolation.New("kill");
        var clinics = Sample.ClinicsFile(ladder);
        var settings = new HostSettings(azurite.ConnectionString, names, clinics) { AcsConnectionString = sandbox.ConnectionString };
        var logFile = Path.Combine(Path.GetTempPath(), $"reliability-kill-{names.TaskHub}.log");
        using var host = new ChildHost(settings, AzuriteLauncher.FreePort(), logFile);
        var firstStart = await host.StartAsync(TimeSpan.FromSeconds(90));
        using var http = Loopback.Client(host.BaseAddress, TimeSpan.FromSeconds(10));

        var callers = Enumerable.Range(0, calls).Select(i => Sample.Caller(3, i)).ToList();
        var occurred = new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var outcomes = new ConcurrentBag<Delivery.Outcome>();
        var run = Guid.NewGuid().ToString("N")[..8];
        var t0 = Stopwatch.GetTimestamp();
        var wall0 = DateTimeOffset.UtcNow;

        // Calls arrive over a few seconds; a call whose delivery failed (host down) is re-sent every second, as providers do.
        var rate = options.Full ? 25.0 : 5.0;
        var ingest = Task.Run(async () =>
        {
            var sends = new List<Task>();
            for (var i = 0; i < calls; i++)
            {
                var caller = callers[i];
                var at = DateTimeOffset.UtcNow;
                occurred[caller] = at;
                var json = Webhooks.GenericJson($"kill-{run}-{i}", $"kill-call-{run}-{i}", caller, "missed", at);
                sends.Add(Task.Run(async () => outcomes.Add(await Delivery.SendAsync(http, () => Webhooks.Generic(json), TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(1)))));
                await Task.Delay(TimeSpan.FromSeconds(1 / rate));
            }

            await Task.WhenAll(sends);
        });

        // Kill points: random, spread over the ingest and the ladders (the last ladder step is due ManagerStep after the last call).
        var span = calls / rate + ManagerStep.TotalSeconds;
        var killAt = Enumerable.Range(0, kills).Select(_ => 1.5 + (random.NextDouble() * (span - 3))).Order().ToList();
        var killLog = new List<string>();
        var restarts = new List<double>();
        foreach (var at in killAt)
        {
            var wait = at - Seconds.Since(t0);
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait));
            }

            var sentBefore = sandbox.Sandbox.Messages.Count(m => m.Direction == SandboxDirection.Outbound);
            var killedAt = Seconds.Since(t0);
            await host.KillAsync();
            await Task.Delay(TimeSpan.FromMilliseconds(200 + random.Next(1500)));
            var restart = await host.StartAsync(TimeSpan.FromSeconds(90));
            restarts.Add(restart.TotalSeconds);
            killLog.Add(string.Create(CultureInfo.InvariantCulture, $"t+{killedAt:0.0} s ({sentBefore} texts sent by then)"));
        }

        await ingest;
        var lastKill = Seconds.Since(t0);

        // Every ladder: text-back + follow-up to the caller, one staff alert and one manager alert each.
        bool Done() => callers.All(c => Patient(sandbox, c) >= 2) && Staff(sandbox, Sample.UkStaffPhone) >= calls && Staff(sandbox, Sample.UkManagerPhone) >= calls;
        var completed = await Wait.UntilAsync(Done, TimeSpan.FromSeconds(120 + calls * 0.5));
        var finishedAt = Seconds.Since(t0);
        var probe = new StorageProbe(azurite.ConnectionString, names);
        await Wait.UntilAsync(async () => (await probe.RowsAsync(TableNames.Recoveries)).Count(r => r.GetBoolean("Live") == false) >= calls, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(5)); // a step sent twice would show up by now

        var outbound = sandbox.Sandbox.Messages.Where(m => m.Direction == SandboxDirection.Outbound).ToList();
        var byTag = outbound.GroupBy(m => m.Tag ?? "(none)").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var recoveries = await probe.RowsAsync(TableNames.Recoveries);
        var accepted = outcomes.Count(o => o.Status == HttpStatusCode.Accepted);
        var patientCounts = callers.Select(c => Patient(sandbox, c)).ToList();

        result.Equal("missed calls accepted (202) after retries", calls, accepted)
            .Equal("ladders completed (recovery row ended)", calls, recoveries.Count(r => r.GetBoolean("Live") == false))
            .Equal("ladders ended NoResponse (ran to the end)", calls, recoveries.Count(r => r.GetString("Outcome") == "NoResponse"))
            .Equal("callers with text-back + follow-up (2 texts)", calls, patientCounts.Count(n => n == 2))
            .Equal("callers with more than 2 texts", 0, patientCounts.Count(n => n > 2))
            .Equal("staff alerts (one per ladder)", calls, Staff(sandbox, Sample.UkStaffPhone))
            .Equal("manager alerts (one per ladder)", calls, Staff(sandbox, Sample.UkManagerPhone))
            .Equal("steps (message tags) sent more than once", 0, byTag.Count(t => t.Value > 1))
            .Equal("texts stored in total (4 per ladder)", calls * 4, outbound.Count);
        if (!completed)
        {
            result.Note($"Not every ladder had sent all its texts {finishedAt - lastKill:0} s after the last restart.");
        }

        // How late the steps were against their schedule (the call's time + the step's delay).
        var late = new Samples();
        foreach (var message in outbound.Where(m => m.Tag?.Contains("step-0", StringComparison.Ordinal) == true))
        {
            if (occurred.TryGetValue(message.To, out var at))
            {
                late.Add((message.Timestamp - (at + Nudge)).TotalMilliseconds);
            }
        }

        var retried = outcomes.Count(o => o.Attempts > 1);
        result.Metric("kills (SIGKILL)", string.Join("; ", killLog))
            .Metric("host start time: first / restarts", $"{firstStart.TotalSeconds:0.0} s / {string.Join(", ", restarts.Select(r => r.ToString("0.0", CultureInfo.InvariantCulture) + " s"))}")
            .Metric("calls re-sent because the host was down", retried)
            .Metric("last text sent at", outbound.Count == 0 ? "-" : $"t+{(outbound.Max(m => m.Timestamp) - wall0).TotalSeconds:0.0} s")
            .Metric("calls with no recovery at all", string.Join(", ", callers.Where(c => recoveries.All(r => r.GetString("CallerNumber") != c)).Select(c => "call " + callers.IndexOf(c))) is { Length: > 0 } lost ? lost : "none")
            .Metric("retries acknowledged as duplicates of a claim still 'in flight' (host log, event 1001)",
                File.Exists(logFile) ? File.ReadLines(logFile).Count(l => l.Contains("acknowledged (InFlight)", StringComparison.Ordinal)) : 0)
            .Metric("follow-up lateness vs schedule p50 / max", $"{Fmt.Ms(late.Percentile(50))} / {Fmt.Ms(late.Max)}")
            .Metric("outcomes", Fmt.Counts(recoveries.GroupBy(r => r.GetString("Outcome") ?? "(live)").Select(g => KeyValuePair.Create(g.Key, g.Count()))))
            .Metric("host log", logFile);

        File.Delete(clinics);
        return result;
    }

    private static int Patient(SandboxHost sandbox, string caller) => sandbox.Sandbox.Thread(caller).Count(m => m.Direction == SandboxDirection.Outbound);

    private static int Staff(SandboxHost sandbox, string phone) => sandbox.Sandbox.Thread(phone).Count(m => m.Direction == SandboxDirection.Outbound);

    private static string Span(TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
}
