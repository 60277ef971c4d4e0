using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace MissedCallFunctions.Bench;

/// <summary>One missed call of a load run.</summary>
public sealed class CallRecord(string caller, long scheduled)
{
    public string Caller { get; } = caller;

    /// <summary>When the open-loop schedule said to send it (Stopwatch timestamp).</summary>
    public long Scheduled { get; } = scheduled;

    public long SentAt { get; set; }

    public HttpStatusCode? Status { get; set; }

    public string? Error { get; set; }

    public double AcceptMs { get; set; }

    /// <summary>When the 202 was read (Stopwatch timestamp); 0 until then.</summary>
    public long AcceptedAt { get; set; }

    public bool Accepted => Status == HttpStatusCode.Accepted;
}

/// <summary>textback, steady and burst: open-loop missed calls, then a wait for every text-back.</summary>
public static class LoadScenarios
{
    /// <summary>A few calls before measuring, so JIT, connection pools and Durable queues are warm; their texts are awaited.</summary>
    public static async Task WarmUpAsync(BenchStack stack, int calls, bool waitForTexts = true)
    {
        if (calls <= 0)
        {
            return;
        }

        var callers = new List<string>();
        for (var i = 0; i < calls; i++)
        {
            var caller = stack.NewCaller();
            callers.Add(caller);
            await stack.PostMissedCallAsync(caller, CancellationToken.None).ConfigureAwait(false);
        }

        var deadline = Stopwatch.GetTimestamp() + (waitForTexts ? 60 : 0) * Stopwatch.Frequency;
        while (callers.Any(c => !stack.TryGetFirstText(c, out _)) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }

        Console.WriteLine($"warm-up: {calls} calls, {callers.Count(c => stack.TryGetFirstText(c, out _))} texts.");
    }

    /// <summary>
    /// Issues <paramref name="count"/> calls at <paramref name="rate"/>/s on a schedule kept by a dedicated thread,
    /// whatever the responses do (open loop: many in flight when the host slows down), then waits for the texts.
    /// </summary>
    public static async Task RunAsync(BenchStack stack, string name, double rate, int count, TimeSpan lossWindow, FloorResult? floor, Report report,
        StorageTrace? trace = null)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {count} missed calls at {rate:0.##}/s (open loop)..."));
        trace?.Start();
        var cpu = new CpuMeter(stack.AzuritePids);
        var records = new CallRecord[count];
        var inFlight = new Task[count];
        var start = Stopwatch.GetTimestamp();
        var scheduler = new Thread(() =>
        {
            var issued = 0;
            while (issued < count && !Interrupt.Requested)
            {
                var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                var due = Math.Min(count, (int)Math.Floor(elapsed * rate) + 1);
                while (issued < due)
                {
                    var record = new CallRecord(stack.NewCaller(), start + (long)(issued / rate * Stopwatch.Frequency));
                    records[issued] = record;
                    inFlight[issued] = Task.Run(() => SendAsync(stack, record));
                    issued++;
                }

                Thread.Sleep(1);
            }
        })
        { IsBackground = true, Name = "open-loop scheduler", Priority = ThreadPriority.AboveNormal };
        scheduler.Start();

        var progress = Stopwatch.GetTimestamp();
        while (scheduler.IsAlive && !Interrupt.Requested)
        {
            await Task.Delay(200).ConfigureAwait(false);
            if (Stopwatch.GetElapsedTime(progress).TotalSeconds >= 5)
            {
                progress = Stopwatch.GetTimestamp();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {Stopwatch.GetElapsedTime(start).TotalSeconds:0}s: issued {records.Count(r => r is not null)}, 202s {records.Count(r => r is { Accepted: true })}, texts {records.Count(r => r is not null && stack.TryGetFirstText(r.Caller, out _))}"));
            }
        }

        scheduler.Join();
        if (Interrupt.Requested)
        {
            var issuedCount = records.TakeWhile(r => r is not null).Count();
            records = records[..issuedCount];
            inFlight = inFlight[..issuedCount];
            count = issuedCount;
        }

        if (count == 0)
        {
            return;
        }

        var lastSent = records.Max(r => r.Scheduled);
        await Task.WhenAll(inFlight).ConfigureAwait(false);
        var lastSentActual = records.Max(r => r.SentAt);
        var issueSeconds = Stopwatch.GetElapsedTime(start, Math.Max(lastSent, lastSentActual)).TotalSeconds;

        // Every accepted call gets until its own 202 + the loss window for its text.
        var window = (long)(lossWindow.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            var waiting = records.Where(r => r.Accepted && !stack.TryGetFirstText(r.Caller, out _) && now < r.AcceptedAt + window).ToList();
            if (waiting.Count == 0 || Interrupt.Requested)
            {
                break;
            }

            if (Stopwatch.GetElapsedTime(progress).TotalSeconds >= 5)
            {
                progress = now;
                int backlog;
                try
                {
                    backlog = await stack.QueuedCountAsync().ConfigureAwait(false);
                }
                catch (Azure.RequestFailedException)
                {
                    backlog = -1;
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  waiting for {waiting.Count} text-backs (call-events queue ~{backlog})..."));
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        var cpuUse = cpu.Describe();
        trace?.Stop();
        var accept = new Samples();
        var acceptFromSchedule = new Samples();
        var textBack = new Samples();
        int accepted = 0, errors = 0, lost = 0, texted = 0;
        var errorKinds = new Dictionary<string, int>(StringComparer.Ordinal);
        double maxLag = 0;
        foreach (var r in records)
        {
            maxLag = Math.Max(maxLag, Stopwatch.GetElapsedTime(r.Scheduled, r.SentAt).TotalMilliseconds);
            if (!r.Accepted)
            {
                errors++;
                lost++;
                var kind = r.Error ?? ((int?)r.Status)?.ToString(CultureInfo.InvariantCulture) ?? "?";
                errorKinds[kind] = errorKinds.GetValueOrDefault(kind) + 1;
                textBack.AddLost();
                continue;
            }

            accepted++;
            accept.Add(r.AcceptMs);
            acceptFromSchedule.Add(Stopwatch.GetElapsedTime(r.Scheduled, r.AcceptedAt).TotalMilliseconds);
            if (stack.TryGetFirstText(r.Caller, out var textAt) && textAt - r.AcceptedAt <= window)
            {
                texted++;
                textBack.Add(Math.Max(0, Stopwatch.GetElapsedTime(r.AcceptedAt, textAt).TotalMilliseconds));
            }
            else
            {
                lost++;
                textBack.AddLost();
            }
        }

        var lostLabel = string.Create(CultureInfo.InvariantCulture, $"> {lossWindow.TotalSeconds:0} s");
        var t = new Table(string.Create(CultureInfo.InvariantCulture, $"{name}: {count} missed calls at {rate:0.##}/s, open loop"),
            "measurement", "n", "p50", "p95", "p99", "max", "p50 / floor p50");
        t.Row("ingest accept (request sent -> 202 read)", Fmt.Int(accept.Count), Fmt.Ms(accept.Percentile(50)), Fmt.Ms(accept.Percentile(95)),
            Fmt.Ms(accept.Percentile(99)), Fmt.Ms(accept.Max),
            floor is null ? "-" : Fmt.Ratio(accept.Percentile(50), floor.Table.Percentile(50)) + " table insert, "
                                  + Fmt.Ratio(accept.Percentile(50), floor.Health.Percentile(50)) + " GET /health");
        t.Row("ingest accept incl. client lag (scheduled -> 202)", Fmt.Int(acceptFromSchedule.Count), Fmt.Ms(acceptFromSchedule.Percentile(50)),
            Fmt.Ms(acceptFromSchedule.Percentile(95)), Fmt.Ms(acceptFromSchedule.Percentile(99)), Fmt.Ms(acceptFromSchedule.Max), "-");
        t.Row("text-back (202 read -> SMS stored by sandbox)", Fmt.Int(textBack.Count), Fmt.Ms(textBack.Percentile(50), lostLabel),
            Fmt.Ms(textBack.Percentile(95), lostLabel), Fmt.Ms(textBack.Percentile(99), lostLabel), Fmt.Ms(textBack.Max, lostLabel),
            floor is null ? "-" : Fmt.Ratio(textBack.Percentile(50), floor.Queue.Percentile(50)) + " queue RTT, "
                                  + Fmt.Ratio(textBack.Percentile(50), floor.Acs.Percentile(50)) + " ACS POST");
        t.Note(string.Create(CultureInfo.InvariantCulture,
            $"issued {count} in {issueSeconds:0.0} s = achieved {(count - 1) / Math.Max(issueSeconds, 1e-9):0.0} calls/s (target {rate:0.##}/s); max send lag behind schedule {Fmt.Ms(maxLag)}"));
        t.Note(string.Create(CultureInfo.InvariantCulture,
            $"202 accepted {accepted}/{count}; ingest errors {errors}{(errorKinds.Count == 0 ? string.Empty : " (" + string.Join(", ", errorKinds.Select(k => $"{k.Key}: {k.Value}")) + ")")}"));
        t.Note(string.Create(CultureInfo.InvariantCulture,
            $"text-backs within {lossWindow.TotalSeconds:0} s of the 202: {texted}/{count}; lost (no 202, or no text within {lossWindow.TotalSeconds:0} s) {lost} -> zero loss: {(lost == 0 ? "yes" : "NO")}"));
        t.Note(cpuUse + ", issuing the calls and waiting for their texts");
        t.Note($"callers who got more than one text (a duplicate: the ladder's next step is a day away): {stack.CallersWithDuplicateTexts(records.Select(r => r.Caller))}");
        if (Interrupt.Requested)
        {
            t.Note("INTERRUPTED: calls still waiting for their text when interrupted count as lost");
        }
        if (lost > 0)
        {
            t.Note($"percentiles count lost calls as '{lostLabel}'");
        }

        report.Add(t);
        if (trace is not null)
        {
            report.Add(trace.ToTable($"{name}: outgoing calls of the host process during the run (--trace-storage)", accepted));
        }
    }

    private static async Task SendAsync(BenchStack stack, CallRecord record)
    {
        record.SentAt = Stopwatch.GetTimestamp();
        var (status, ms, completedAt, error) = await stack.PostMissedCallAsync(record.Caller, CancellationToken.None).ConfigureAwait(false);
        record.Status = status;
        record.AcceptMs = ms;
        record.Error = error;
        record.AcceptedAt = completedAt;
    }
}
