using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Reliability.Infrastructure;

namespace MissedCallFunctions.Reliability.Scenarios;

/// <summary>
/// The SMS provider misbehaves for 30 s (429 with Retry-After, then 503, then requests that time out, the last of them
/// after the text was stored) while N recoveries start: every text-back is sent exactly once (repeatability ids), none lost.
/// </summary>
public static class SmsFaultsScenario
{
    private static readonly (SmsSandboxFault Fault, TimeSpan For, string Name)[] Phases =
    [
        (SmsSandboxFault.TooManyRequests, TimeSpan.FromSeconds(8), "429 Too Many Requests (Retry-After: rest of the phase)"),
        (SmsSandboxFault.ServiceUnavailable, TimeSpan.FromSeconds(7), "503 Service Unavailable"),
        // A request hangs until the phase ends: those arriving in its first 5 s outlast the client's 10 s timeout. The
        // text is stored before the hang, so the client's resend must be deduplicated by its repeatability id.
        (SmsSandboxFault.AcceptThenTimeout, TimeSpan.FromSeconds(15), "no answer (the text stored, the client times out)"),
    ];

    public static async Task<ScenarioResult> RunAsync(ReliabilityOptions options, Random random)
    {
        var calls = options.Full ? 100 : 20;
        var window = TimeSpan.FromSeconds(Phases.Sum(p => p.For.TotalSeconds));
        var startOver = TimeSpan.FromSeconds(20);
        var result = new ScenarioResult("sms-faults",
            $"{calls} missed calls arrive over the first {startOver.TotalSeconds:0} s of a {window.TotalSeconds:0} s window in which the SMS sandbox answers " +
            string.Join(", then ", Phases.Select(p => $"{p.Name} for {p.For.TotalSeconds:0} s")) +
            ". The SMS client gives up on a request after 10 s; the Durable retry policy (1 s doubling to 30 s, 10 attempts) resends with the same repeatability id.");

        await using var azurite = await AzuriteLauncher.StartAsync(dataDirectory: null, preferredPorts: null);
        await using var sandbox = await SandboxHost.StartAsync();
        using var texts = new TextLog(sandbox.Sandbox);
        var names = Isolation.New("smsfaults");
        var clinics = Sample.ClinicsFile(Sample.TextBackOnlyLadder);
        var settings = new HostSettings(azurite.ConnectionString, names, clinics) { AcsConnectionString = sandbox.ConnectionString };
        await using var host = await InProcessHost.StartAsync("host", settings);

        var callers = Enumerable.Range(0, calls).Select(i => Sample.Caller(4, i)).ToList();
        var acceptedAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var run = Guid.NewGuid().ToString("N")[..8];

        var t0 = Stopwatch.GetTimestamp();
        var windowStart = DateTimeOffset.UtcNow;
        var faults = Task.Run(async () =>
        {
            var end = windowStart;
            foreach (var phase in Phases)
            {
                var start = end;
                end += phase.For;
                var wait = start - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                sandbox.Sandbox.InjectFaults(phase.Fault, end);
            }

            await Task.Delay(end - DateTimeOffset.UtcNow is { } rest && rest > TimeSpan.Zero ? rest : TimeSpan.Zero);
            sandbox.Sandbox.ClearFaults();
        });

        var sends = new List<Task>();
        var failedIngest = 0;
        for (var i = 0; i < calls; i++)
        {
            var caller = callers[i];
            var json = Webhooks.GenericJson($"faults-{run}-{i}", $"faults-call-{run}-{i}", caller, "missed", DateTimeOffset.UtcNow);
            sends.Add(Task.Run(async () =>
            {
                var outcome = await Delivery.SendAsync(host.Http, () => Webhooks.Generic(json), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
                if (outcome.AcceptedAt is { } at)
                {
                    acceptedAt[caller] = at;
                }
                else
                {
                    Interlocked.Increment(ref failedIngest);
                }
            }));
            await Task.Delay(startOver / calls);
        }

        await Task.WhenAll(sends);
        await faults;
        var windowEnded = Seconds.Since(t0);
        var allSent = await Wait.UntilAsync(() => callers.All(c => texts.Outbound(c) >= 1), TimeSpan.FromSeconds(240));
        await Task.Delay(TimeSpan.FromSeconds(5)); // a second text, if any, would show up by now

        var delays = new Samples();
        var sentDuringWindow = 0;
        foreach (var caller in callers)
        {
            if (acceptedAt.TryGetValue(caller, out var accepted) && texts.TryFirst(caller, out var sent))
            {
                delays.Add(Stopwatch.GetElapsedTime(accepted, sent).TotalMilliseconds);
                sentDuringWindow += Seconds.Between(t0, sent) < window.TotalSeconds ? 1 : 0;
            }
        }

        var outbound = texts.AllOutbound;
        var requests = sandbox.Sandbox.Requests;
        var perCaller = callers.Select(texts.Outbound).ToList();
        int Answered(int status, SmsSandboxFault? fault = null) => requests.Count(r => r.StatusCode == status && (fault is null || r.Fault == fault));

        result.Equal("missed calls accepted (202)", calls, acceptedAt.Count)
            .Equal("callers with a text-back", calls, perCaller.Count(n => n >= 1))
            .Equal("callers with more than one text-back", 0, perCaller.Count(n => n > 1))
            .Equal("texts stored by the sandbox", calls, outbound.Count)
            .Equal("distinct repeatability ids among them", calls, outbound.Select(m => m.RepeatabilityRequestId).Distinct(StringComparer.Ordinal).Count())
            .Expect("sends answered 429 (fault reached)", "> 0", Answered(429), Answered(429) > 0)
            .Expect("sends answered 503 (fault reached)", "> 0", Answered(503), Answered(503) > 0)
            .Expect("sends the client gave up on after the text was stored (fault reached)", "> 0", Answered(499, SmsSandboxFault.AcceptThenTimeout),
                Answered(499, SmsSandboxFault.AcceptThenTimeout) > 0)
            .AtMost("longest call-to-text-back delay", 120, delays.Max / 1000, " s");
        if (!allSent)
        {
            result.Note("Some text-backs were still missing 240 s after the fault window.");
        }

        // Every stored text came from one 202 or one timed-out request; any other 202 answered a resend from the repeatability record.
        var repeats = requests.Count(r => r.StatusCode == 202) + Answered(499, SmsSandboxFault.AcceptThenTimeout) - outbound.Count;
        result.Metric("SMS sends by answer", Fmt.Counts(requests.GroupBy(r => r.Fault is { } f ? $"{r.StatusCode} ({f})" : r.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Select(g => KeyValuePair.Create(g.Key, g.Count()))))
            .Metric("resends answered from the repeatability record (stored nothing new)", repeats)
            .Metric("text-backs sent during / after the fault window", $"{sentDuringWindow} / {delays.Count - sentDuringWindow}")
            .Metric("call accepted to text-back p50 / p90 / max", $"{Fmt.Ms(delays.Percentile(50))} / {Fmt.Ms(delays.Percentile(90))} / {Fmt.Ms(delays.Max)}")
            .Metric("fault window ended at", Fmt.Seconds(windowEnded))
            .Metric("ingest failures (should be none: SMS faults do not touch ingest)", failedIngest)
            .Metric("SMS warnings logged (transient failures, event 4102)", host.Logs.Lines.Count(l => l.EventId == 4102));

        File.Delete(clinics);
        return result;
    }
}
