using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.Reliability.Infrastructure;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Reliability.Scenarios;

/// <summary>
/// Every webhook of N missed calls delivered 5 times, shuffled, by many concurrent clients, to two local hosts that share
/// the tables, the call-events queue and the Durable task hub (two processors, two Durable workers): exactly one text-back
/// per missed call, none missing.
/// </summary>
public static class DuplicatesScenario
{
    private const int Copies = 5;

    public static async Task<ScenarioResult> RunAsync(ReliabilityOptions options, Random random)
    {
        var calls = options.Full ? 500 : 50;
        var concurrency = options.Full ? 48 : 24;
        var result = new ScenarioResult("duplicates",
            $"{calls} missed calls, each reported by two webhooks (generic: two events of one call; Twilio: dial action + status callback), " +
            $"each webhook delivered {Copies} times: {calls * 2 * Copies} deliveries shuffled and sent {concurrency} at a time by 8 HTTP clients " +
            "to two in-process local hosts sharing the tables, the call-events queue and the Durable task hub (each with its queue pump and Durable worker). " +
            "Texts are counted at a standalone SMS sandbox both hosts send to.");

        await using var azurite = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null);
        await using var sandbox = await SandboxHost.StartAsync();
        using var texts = new TextLog(sandbox.Sandbox);
        var names = Isolation.New("duplicates");
        var clinics = Sample.ClinicsFile(Sample.TextBackOnlyLadder);
        var settings = new HostSettings(azurite.ConnectionString, names, clinics) { AcsConnectionString = sandbox.ConnectionString };
        await using var hostA = await InProcessHost.StartAsync("A", settings);
        await using var hostB = await InProcessHost.StartAsync("B", settings);
        var hosts = new[] { hostA, hostB };
        var clients = hosts.SelectMany(h => Enumerable.Range(0, 4).Select(_ => Loopback.Client(h.BaseAddress))).ToArray();

        // The calls and their webhooks.
        var run = Guid.NewGuid().ToString("N")[..8];
        var callers = Enumerable.Range(0, calls).Select(i => Sample.Caller(2, i)).ToList();
        var webhooks = new List<(int Call, Webhook Hook)>();
        for (var i = 0; i < calls; i++)
        {
            var caller = callers[i];
            var at = DateTimeOffset.UtcNow;
            if (i % 2 == 0)
            {
                var callId = $"dup-{run}-{i}";
                var missed = Webhooks.GenericJson($"{callId}-e1", callId, caller, "missed", at);
                var busy = Webhooks.GenericJson($"{callId}-e2", callId, caller, "busy", at.AddSeconds(1));
                webhooks.Add((i, new Webhook($"generic:{callId}-e1", "generic", () => Webhooks.Generic(missed))));
                webhooks.Add((i, new Webhook($"generic:{callId}-e2", "generic", () => Webhooks.Generic(busy, key: KeyMode.Query))));
            }
            else
            {
                var sid = "CA" + Guid.NewGuid().ToString("N");
                var dial = Webhooks.TwilioNoAnswer(sid, caller);
                var status = Webhooks.TwilioNoAnswer(sid, caller, statusCallback: true);
                webhooks.Add((i, new Webhook($"twilio:{sid}:dial", "twilio", () => Webhooks.Twilio(dial))));
                webhooks.Add((i, new Webhook($"twilio:{sid}:status", "twilio", () => Webhooks.Twilio(status))));
            }
        }

        var deliveries = webhooks.SelectMany(w => Enumerable.Range(0, Copies).Select(_ => (w.Call, w.Hook, Client: random.Next(clients.Length))))
            .OrderBy(_ => random.Next()).ToList();

        var statuses = new ConcurrentDictionary<string, int>();
        var firstSent = new ConcurrentDictionary<int, long>();
        var accept = new Samples();
        long queued = 0, duplicates = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (d, _) =>
        {
            firstSent.TryAdd(d.Call, Stopwatch.GetTimestamp());
            var sent = Stopwatch.GetTimestamp();
            var outcome = await Delivery.SendAsync(clients[d.Client], d.Hook.Build, TimeSpan.Zero, TimeSpan.Zero, retry: false);
            accept.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            statuses.AddOrUpdate(outcome.Status is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer", 1, (_, n) => n + 1);
            Interlocked.Add(ref queued, outcome.Queued);
            Interlocked.Add(ref duplicates, outcome.Duplicates);
        });
        var sendSeconds = Seconds.Since(started);

        var probe = new StorageProbe(azurite.ConnectionString, names);
        var allTexted = await Wait.UntilAsync(() => callers.All(c => texts.Outbound(c) >= 1), TimeSpan.FromSeconds(60 + calls * 0.3));
        await Wait.UntilAsync(async () => await probe.CountAsync(TableNames.CallAudit) >= webhooks.Count, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(5)); // a second text-back, if any, would show up by now

        var perCaller = callers.Select(texts.Outbound).ToList();
        var audit = await probe.RowsAsync(TableNames.CallAudit);
        var recoveries = await probe.RowsAsync(TableNames.Recoveries);
        var textBack = new Samples();
        for (var i = 0; i < calls; i++)
        {
            if (texts.TryFirst(callers[i], out var at) && firstSent.TryGetValue(i, out var first))
            {
                textBack.Add(Stopwatch.GetElapsedTime(first, at).TotalMilliseconds);
            }
        }

        var accepted = statuses.GetValueOrDefault("202") + statuses.GetValueOrDefault("200");
        result.Equal("deliveries accepted (202 JSON; 200 TwiML to Twilio)", deliveries.Count, accepted)
            .Equal("events queued (sum of 'queued' in the answers)", (long)webhooks.Count, Interlocked.Read(ref queued))
            .Equal("deliveries acknowledged as duplicates", (long)webhooks.Count * (Copies - 1), Interlocked.Read(ref duplicates))
            .Equal("audit rows (one per distinct event)", webhooks.Count, audit.Count)
            .Equal("events decided Recover", calls, audit.Count(r => r.GetString("Decision") == "Recover"))
            .Equal("recovery rows (one per caller)", calls, recoveries.Count)
            .Equal("missed calls with a text-back", calls, perCaller.Count(n => n >= 1))
            .Equal("missed calls with more than one text-back", 0, perCaller.Count(n => n > 1))
            .Equal("texts stored by the sandbox in total", calls, texts.AllOutbound.Count)
            .Equal("call-events queue left over", 0, await StorageProbe.ApproximateCountAsync(probe.Queue))
            .Equal("poison queue", 0, await StorageProbe.ApproximateCountAsync(probe.Poison));
        if (!allTexted)
        {
            result.Note("Not every caller had a text-back before the wait ended.");
        }

        int Count(InProcessHost host, int eventId) => host.Logs.Lines.Count(l => l.EventId == eventId);
        result.Metric("deliveries", deliveries.Count)
            .Metric("answers by status", Fmt.Counts(statuses))
            .Metric("deliveries sent in", Fmt.Seconds(sendSeconds))
            .Metric("ingest answer p50 / p99 / max", $"{Fmt.Ms(accept.Percentile(50))} / {Fmt.Ms(accept.Percentile(99))} / {Fmt.Ms(accept.Max)}")
            .Metric("first delivery of a call to its text-back p50 / max", $"{Fmt.Ms(textBack.Percentile(50))} / {Fmt.Ms(textBack.Max)}")
            .Metric("events decided by host A / B (log event 2000)", $"{Count(hostA, 2000)} / {Count(hostB, 2000)}")
            .Metric("webhooks queued by host A / B (log event 1000)", $"{Count(hostA, 1000)} / {Count(hostB, 1000)}")
            .Metric("text-backs sent by host A / B (log event 5000)", $"{Count(hostA, 5000)} / {Count(hostB, 5000)}")
            .Metric("decisions", Fmt.Counts(audit.GroupBy(r => $"{r.GetString("Decision")}({r.GetString("Reason")})").Select(g => KeyValuePair.Create(g.Key, g.Count()))));

        foreach (var client in clients)
        {
            client.Dispose();
        }

        File.Delete(clinics);
        return result;
    }
}
