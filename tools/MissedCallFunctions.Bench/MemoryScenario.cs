using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.DurableTask.Client;

namespace MissedCallFunctions.Bench;

/// <summary>
/// N recoveries started and left waiting for a reply (the ladder's first step is far away): the host's working set
/// before and after, Azurite's RSS, and how long it took until every one had sent its text-back.
/// </summary>
public static class MemoryScenario
{
    /// <param name="rate">Paces the calls (per second) when set; otherwise as fast as <paramref name="concurrency"/> requests allow.</param>
    /// <param name="maxPending">
    /// Admission control: holds the next call while this many recoveries are accepted but have not sent their text-back,
    /// so the local engine is never pushed past what Azurite serves (overload only adds redeliveries and lease timeouts).
    /// </param>
    public static async Task RunAsync(BenchStack stack, int recoveries, int concurrency, double? rate, int? maxPending, Report report)
    {
        var before = await SettledWorkingSetAsync().ConfigureAwait(false);
        var beforeManaged = GC.GetTotalMemory(forceFullCollection: false);
        var (azuriteBefore, _) = stack.AzuriteRss();
        Console.WriteLine($"memory: {recoveries} recoveries, {concurrency} ingest requests in flight; host working set {Fmt.MiB(before)}, Azurite RSS {Fmt.MiB(azuriteBefore)}");

        var callers = new string[recoveries];
        for (var i = 0; i < recoveries; i++)
        {
            callers[i] = stack.NewCaller();
        }

        var cpu = new CpuMeter(stack.AzuritePids);
        var start = Stopwatch.GetTimestamp();
        var next = -1;
        var errors = 0;
        var accepted = 0;
        var textsBefore = stack.TextsSent;
        var ingest = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < recoveries && !Interrupt.Requested)
            {
                if (rate is { } r && r > 0)
                {
                    var due = start + (long)(i / r * Stopwatch.Frequency);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait).ConfigureAwait(false);
                    }
                }

                while (maxPending is { } limit && Volatile.Read(ref accepted) - (stack.TextsSent - textsBefore) >= limit && !Interrupt.Requested)
                {
                    await Task.Delay(20).ConfigureAwait(false);
                }

                var attempts = 0;
                while (true)
                {
                    var (status, _, _, _) = await stack.PostMissedCallAsync(callers[i], CancellationToken.None).ConfigureAwait(false);
                    if (status == HttpStatusCode.Accepted || ++attempts >= 5)
                    {
                        if (status == HttpStatusCode.Accepted)
                        {
                            Interlocked.Increment(ref accepted);
                        }

                        if (status != HttpStatusCode.Accepted)
                        {
                            Interlocked.Increment(ref errors);
                        }

                        break;
                    }

                    await Task.Delay(200).ConfigureAwait(false);
                }
            }
        })).ToArray();

        var ingestDone = TimeSpan.Zero;
        var lastCount = 0;
        var lastProgress = Stopwatch.GetTimestamp();
        var lastPrint = Stopwatch.GetTimestamp();
        var peakHost = 0L;
        var stalled = false;
        while (true)
        {
            await Task.Delay(250).ConfigureAwait(false);
            if (ingestDone == TimeSpan.Zero && ingest.All(t => t.IsCompleted))
            {
                ingestDone = Stopwatch.GetElapsedTime(start);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  all {recoveries} calls accepted in {ingestDone.TotalSeconds:0.0} s ({errors} failed after retries)"));
            }

            peakHost = Math.Max(peakHost, BenchStack.WorkingSet());
            var count = callers.Count(c => stack.TryGetFirstText(c, out _));
            if (count > lastCount)
            {
                lastCount = count;
                lastProgress = Stopwatch.GetTimestamp();
            }

            if (count >= recoveries - errors && ingestDone != TimeSpan.Zero)
            {
                break;
            }

            if (Interrupt.Requested)
            {
                stalled = true;
                Console.WriteLine("  interrupted: reporting what was started so far.");
                break;
            }

            if (Stopwatch.GetElapsedTime(lastProgress).TotalSeconds > 120)
            {
                stalled = true;
                Console.WriteLine("  no new text-back for 120 s: giving up waiting.");
                break;
            }

            if (Stopwatch.GetElapsedTime(lastPrint).TotalSeconds >= 10)
            {
                lastPrint = Stopwatch.GetTimestamp();
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
                    $"  {Stopwatch.GetElapsedTime(start).TotalSeconds:0}s: text-backs {count}/{recoveries}, call-events queue ~{backlog}, host working set {Fmt.MiB(BenchStack.WorkingSet())}, Azurite RSS {Fmt.MiB(stack.AzuriteRss().Rss)}"));
            }
        }

        var cpuUse = cpu.Describe();
        var texted = callers.Count(c => stack.TryGetFirstText(c, out _));
        var lastText = callers.Select(c => stack.TryGetFirstText(c, out var at) ? at : 0L).Max();
        var toLastText = lastText == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(start, lastText);

        // Let the last episodes (each recovery's timer after its text-back) land, then measure.
        await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        var afterRaw = BenchStack.WorkingSet();
        var afterSettled = await SettledWorkingSetAsync().ConfigureAwait(false);
        var afterManaged = GC.GetTotalMemory(forceFullCollection: false);
        var (azuriteAfter, azuritePeak) = stack.AzuriteRss();
        var running = await CountRunningAsync(stack).ConfigureAwait(false);

        var t = new Table(string.Create(CultureInfo.InvariantCulture, $"memory: {Fmt.Int(recoveries)} recoveries waiting for a reply"), "measurement", "value");
        t.Row("recoveries requested (distinct callers)", Fmt.Int(recoveries));
        t.Row("ingest: all calls accepted after", string.Create(CultureInfo.InvariantCulture, $"{ingestDone.TotalSeconds:0.0} s ({recoveries / Math.Max(ingestDone.TotalSeconds, 1e-9):0.0} calls/s, at most {concurrency} in flight{(rate is { } pace ? $", paced at {pace:0.##}/s" : ", unpaced")}{(maxPending is { } mp ? $", at most {mp} awaiting their text-back" : string.Empty)})"));
        t.Row("text-backs sent (recovery started and reached its wait)", $"{Fmt.Int(texted)} / {Fmt.Int(recoveries)}{(stalled ? (Interrupt.Requested ? " (interrupted)" : " (stalled: no progress for 120 s)") : string.Empty)}");
        t.Row("time to start them all (first request -> last text-back)", string.Create(CultureInfo.InvariantCulture,
            $"{toLastText.TotalSeconds:0.0} s ({texted / Math.Max(toLastText.TotalSeconds, 1e-9):0.0} recoveries/s)"));
        t.Row("Durable instances Running at the end", running);
        t.Row("host working set before (after full GC)", Fmt.MiB(before));
        t.Row("host working set after, as is", Fmt.MiB(afterRaw));
        t.Row("host working set after (after full GC)", Fmt.MiB(afterSettled));
        t.Row("host working set, peak sampled during the run", Fmt.MiB(peakHost));
        t.Row("host process peak working set (VmHWM)", Fmt.MiB(BenchStack.PeakWorkingSet()));
        t.Row("host managed heap before -> after (GC.GetTotalMemory)", $"{Fmt.MiB(beforeManaged)} -> {Fmt.MiB(afterManaged)}");
        t.Row("Azurite (node) RSS before -> after", $"{Fmt.MiB(azuriteBefore)} -> {Fmt.MiB(azuriteAfter)}");
        t.Row("Azurite (node) peak RSS (VmHWM)", Fmt.MiB(azuritePeak));
        t.Note(cpuUse + ", until the last text-back");
        t.Note($"callers who got more than one text: {stack.CallersWithDuplicateTexts(callers)}");
        t.Note("The host process also runs the bench client (HttpClient, per-call bookkeeping) and the SMS sandbox, which keeps every text in memory; both are included in its working set.");
        var under = afterSettled < 1024L * 1024 * 1024;
        t.Note(recoveries >= 10_000
            ? $"target: 10,000 waiting recoveries in < 1 GiB (host working set after GC): {(under && texted >= 10_000 ? "met" : "NOT met")}"
            : $"target (10,000 waiting recoveries in < 1 GiB) not tested by this run: {Fmt.Int(texted)} waiting recoveries, host working set after GC {Fmt.MiB(afterSettled)}");
        t.Note("Azurite keeps all of its data in memory (--inMemoryPersistence), so its RSS grows with the Durable history and the pipeline's tables; with --location (disk) or real Azure Storage that memory is not in the host's machine.");
        report.Add(t);
    }

    private static async Task<long> SettledWorkingSetAsync()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        await Task.Delay(500).ConfigureAwait(false);
        return BenchStack.WorkingSet();
    }

    private static async Task<string> CountRunningAsync(BenchStack stack)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var client = stack.Get<DurableTaskClient>();
            var count = 0;
            await foreach (var _ in client.GetAllInstancesAsync(new OrchestrationQuery
            {
                Statuses = [OrchestrationRuntimeStatus.Running],
                PageSize = 1000,
            }).WithCancellation(cts.Token).ConfigureAwait(false))
            {
                count++;
            }

            return Fmt.Int(count);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or NotSupportedException
                                       || ex.GetType().Name == "RpcException")
        {
            return "n/a (" + ex.GetType().Name + ")";
        }
    }
}
