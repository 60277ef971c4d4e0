using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.Reliability.Infrastructure;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Reliability.Scenarios;

/// <summary>
/// Events with a valid signature but impossible content are refused at ingest (400), and the same events written to the
/// queue (with messages no ingest could have written) end in the poison queue with a reason, while good calls sent
/// among them keep getting their text-backs.
/// </summary>
public static class PoisonScenario
{
    /// <param name="ViaHttp">Sent as a signed webhook (refused with 400), then its <paramref name="Queued"/> twin is written to the queue.</param>
    private sealed record PoisonKind(string Name, string ExpectedReason, bool ViaHttp, Func<int, string, object> Make, Func<int, string, CallEvent>? Queued = null);

    public static async Task<ScenarioResult> RunAsync(ReliabilityOptions options, Random random)
    {
        var good = options.Full ? 200 : 30;
        var perKind = options.Full ? 10 : 2;
        var run = Guid.NewGuid().ToString("N")[..8];
        var kinds = new List<PoisonKind>
        {
            new("generic, signed, occurredAt 30 days ahead", "ImpossibleCallEvent", true, (i, caller) =>
                Webhooks.GenericJson($"poison-future-{run}-{i}", $"poison-call-f-{run}-{i}", caller, "missed", DateTimeOffset.UtcNow.AddDays(30)),
                (i, caller) => Event(run, i, caller) with { ProviderEventId = $"poison-future-{run}-{i}", OccurredAt = DateTimeOffset.UtcNow.AddDays(30) }),
            new("generic, signed, occurredAt 2 years ago", "ImpossibleCallEvent", true, (i, caller) =>
                Webhooks.GenericJson($"poison-past-{run}-{i}", $"poison-call-p-{run}-{i}", caller, "missed", DateTimeOffset.UtcNow.AddYears(-2)),
                (i, caller) => Event(run, i, caller) with { ProviderEventId = $"poison-past-{run}-{i}", OccurredAt = DateTimeOffset.UtcNow.AddYears(-2) }),
            new("ringcentral, verified, eventTime 30 days ahead", "ImpossibleCallEvent", true, (i, caller) =>
                Webhooks.RingCentralMissedJson($"s-poison-{run}-{i}", caller, DateTimeOffset.UtcNow.AddDays(30)),
                (i, caller) => Event(run, i, caller) with
                {
                    Provider = "ringcentral", ProviderEventId = $"s-poison-{run}-{i}:9", ProviderCallId = $"s-poison-{run}-{i}", OccurredAt = DateTimeOffset.UtcNow.AddDays(30),
                }),
            new("queue: not a call event", "InvalidBody", false, (i, _) => $"{{\"hello\":\"poison-{run}-{i}\""),
            new("queue: schema version 99", "ImpossibleCallEvent", false, (i, caller) => Event(run, i, caller) with { Version = 99 }),
            new("queue: clinic no longer configured", "UnknownClinic", false, (i, caller) => Event(run, i, caller) with { ClinicId = "closed-clinic" }),
        };

        var result = new ScenarioResult("poison",
            $"{good} good missed calls and {kinds.Count * perKind} poison messages ({perKind} of each of {kinds.Count} kinds: " +
            string.Join("; ", kinds.Select(k => k.Name)) + ") sent in random order, about 10 a second, to an in-process local host.");

        await using var azurite = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null);
        var names = Isolation.New("poison");
        var clinics = Sample.ClinicsFile(Sample.TextBackOnlyLadder);
        await using var host = await InProcessHost.StartAsync("host", new HostSettings(azurite.ConnectionString, names, clinics));
        using var texts = new TextLog(host.Sandbox);
        var probe = new StorageProbe(azurite.ConnectionString, names);

        var items = new List<(bool Good, int Index, PoisonKind? Kind)>();
        items.AddRange(Enumerable.Range(0, good).Select(i => (true, i, (PoisonKind?)null)));
        var n = 0;
        foreach (var kind in kinds)
        {
            for (var k = 0; k < perKind; k++)
            {
                items.Add((false, n++, kind));
            }
        }

        items = [.. items.OrderBy(_ => random.Next())];
        var acceptedAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var poisonAnswers = new ConcurrentDictionary<string, int>();
        var sends = new List<Task>();
        var t0 = Stopwatch.GetTimestamp();
        foreach (var (isGood, index, kind) in items)
        {
            if (isGood)
            {
                var caller = Sample.Caller(6, index);
                var json = Webhooks.GenericJson($"good-{run}-{index}", $"good-call-{run}-{index}", caller, "missed", DateTimeOffset.UtcNow);
                sends.Add(Task.Run(async () =>
                {
                    var outcome = await Delivery.SendAsync(host.Http, () => Webhooks.Generic(json), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
                    if (outcome.AcceptedAt is { } at)
                    {
                        acceptedAt[caller] = at;
                    }
                }));
            }
            else
            {
                var caller = Sample.Caller(7, index);
                var content = kind!.Make(index, caller);
                if (kind.ViaHttp)
                {
                    var text = (string)content;
                    Func<HttpRequestMessage> build = kind.Name.StartsWith("ringcentral", StringComparison.Ordinal)
                        ? () => Webhooks.RingCentral(text)
                        : () => Webhooks.Generic(text);
                    var twin = CallEventSerializer.Serialize(kind.Queued!(index, caller));
                    sends.Add(Task.Run(async () =>
                    {
                        var outcome = await Delivery.SendAsync(host.Http, build, TimeSpan.Zero, TimeSpan.Zero, retry: false);
                        poisonAnswers.AddOrUpdate($"{kind.Name}: {(outcome.Status is { } s ? (int)s : 0)}", 1, (_, c) => c + 1);
                        await probe.Queue.SendMessageAsync(twin);
                    }));
                }
                else
                {
                    var body = content is string raw ? BinaryData.FromString(raw) : CallEventSerializer.Serialize((CallEvent)content);
                    await probe.Queue.SendMessageAsync(body);
                    poisonAnswers.AddOrUpdate($"{kind.Name}: put on the queue", 1, (_, c) => c + 1);
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        await Task.WhenAll(sends);
        var poisonCount = kinds.Count * perKind;
        await Wait.UntilAsync(async () => await StorageProbe.ApproximateCountAsync(probe.Poison) >= poisonCount, TimeSpan.FromSeconds(60));
        var goodCallers = Enumerable.Range(0, good).Select(i => Sample.Caller(6, i)).ToList();
        await Wait.UntilAsync(() => goodCallers.All(c => texts.Outbound(c) >= 1), TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(3));

        var records = (await StorageProbe.PeekAllAsync(probe.Poison)).Select(b => JsonDocument.Parse(b).RootElement.Clone()).ToList();
        string Reason(JsonElement r) => r.TryGetProperty("reason", out var v) ? v.GetString() ?? string.Empty : string.Empty;
        string Body(JsonElement r) => r.TryGetProperty("body", out var v) ? v.GetString() ?? string.Empty : string.Empty;
        var delays = new Samples();
        foreach (var caller in goodCallers)
        {
            if (acceptedAt.TryGetValue(caller, out var at) && texts.TryFirst(caller, out var sent))
            {
                delays.Add(Stopwatch.GetElapsedTime(at, sent).TotalMilliseconds);
            }
        }

        var perCaller = goodCallers.Select(texts.Outbound).ToList();
        var audit = await probe.RowsAsync(TableNames.CallAudit);
        result.Equal("poison messages in the poison queue", poisonCount, records.Count)
            .Equal("poison records with a reason and a description", poisonCount,
                records.Count(r => Reason(r).Length > 0 && r.TryGetProperty("description", out var d) && d.GetString()?.Length > 0));
        foreach (var kind in kinds)
        {
            var marker = kind.Name switch
            {
                var s when s.Contains("ahead", StringComparison.Ordinal) && s.StartsWith("generic", StringComparison.Ordinal) => "poison-future-",
                var s when s.Contains("ago", StringComparison.Ordinal) => "poison-past-",
                var s when s.StartsWith("ringcentral", StringComparison.Ordinal) => "s-poison-",
                var s when s.Contains("not a call event", StringComparison.Ordinal) => "\\u0022hello\\u0022",
                var s when s.Contains("version", StringComparison.Ordinal) => "\"version\":99",
                _ => "closed-clinic",
            };
            var matching = records.Where(r => Body(r).Contains(marker, StringComparison.Ordinal) || Body(r).Contains(marker.Replace("\\u0022", "\"", StringComparison.Ordinal), StringComparison.Ordinal)).ToList();
            result.Expect($"{kind.Name} -> poison ({kind.ExpectedReason})", $"{perKind} x {kind.ExpectedReason}",
                matching.Count == 0 ? "none" : Fmt.Counts(matching.GroupBy(Reason).Select(g => KeyValuePair.Create(g.Key, g.Count()))),
                matching.Count == perKind && matching.All(r => Reason(r) == kind.ExpectedReason));
        }

        foreach (var kind in kinds.Where(k => k.ViaHttp))
        {
            result.Equal($"{kind.Name}: refused at ingest (400)", perKind, poisonAnswers.GetValueOrDefault($"{kind.Name}: 400"));
        }

        result.Equal("good calls with a text-back", good, perCaller.Count(c => c >= 1))
            .Equal("good calls with more than one text-back", 0, perCaller.Count(c => c > 1))
            .Equal("texts in total (none for poison)", good, texts.AllOutbound.Count)
            .Equal("audit rows (good calls only)", good, audit.Count)
            .Equal("call-events queue left over", 0, await StorageProbe.ApproximateCountAsync(probe.Queue))
            .AtMost("longest good call-to-text-back delay", 15, delays.Max / 1000, " s");

        result.Metric("poison sent: answers", Fmt.Counts(poisonAnswers))
            .Metric("poison reasons", Fmt.Counts(records.GroupBy(Reason).Select(g => KeyValuePair.Create(g.Key, g.Count()))))
            .Metric("good call-to-text-back p50 / max", $"{Fmt.Ms(delays.Percentile(50))} / {Fmt.Ms(delays.Max)}")
            .Metric("poison warnings logged (event 3000)", host.Logs.Lines.Count(l => l.EventId == 3000))
            .Metric("run time", Fmt.Seconds(Seconds.Since(t0)));
        File.Delete(clinics);
        return result;
    }

    private static CallEvent Event(string run, int i, string caller)
    {
        var now = DateTimeOffset.UtcNow;
        return new CallEvent
        {
            Provider = "generic",
            ProviderEventId = $"poison-queue-{run}-{i}",
            ProviderCallId = $"poison-queue-call-{run}-{i}",
            ClinicId = Sample.UkClinicId,
            ClinicNumber = Sample.UkClinicNumber,
            CallerNumber = caller,
            CallerNumberStatus = CallerNumberStatus.Valid,
            Direction = CallDirection.Inbound,
            Outcome = CallOutcome.Missed,
            RingSeconds = 20,
            OccurredAt = now,
            ReceivedAt = now,
        };
    }
}
