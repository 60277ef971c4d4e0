using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace MissedCallFunctions.Bench;

/// <summary>
/// The highest sustained ingest rate (202s per second) whose p99 accept time stays under the target: a closed-loop
/// concurrency ramp, each level for a fixed time, every request a new missed call (new caller).
/// </summary>
public static class IngestScenario
{
    public static async Task RunAsync(BenchStack stack, int[] levels, double seconds, double targetMs, bool processor, FloorResult? floor, Report report)
    {
        var t = new Table(string.Create(CultureInfo.InvariantCulture,
                $"ingest: closed-loop concurrency ramp, {seconds:0} s per level, queue processor {(processor ? "ON" : "OFF")}"),
            "concurrency", "accepted/s", "p50", "p95", "p99", "max", "errors", "p99 < target", "queue messages after", "CPU host / Azurite / others");
        var textsBefore = stack.TextsSent;
        double bestRate = 0;
        var bestLevel = 0;
        foreach (var level in levels.TakeWhile(_ => !Interrupt.Requested))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ingest: concurrency {level} for {seconds:0} s..."));
            var cpu = new CpuMeter(stack.AzuritePids);
            var samples = new Samples();
            var accepted = 0;
            var errors = 0;
            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(seconds * Stopwatch.Frequency);
            var workers = Enumerable.Range(0, level).Select(_ => Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < end && !Interrupt.Requested)
                {
                    var (status, ms, _, _) = await stack.PostMissedCallAsync(stack.NewCaller(), CancellationToken.None).ConfigureAwait(false);
                    if (status == HttpStatusCode.Accepted)
                    {
                        Interlocked.Increment(ref accepted);
                        samples.Add(ms);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var (hostCpu, azuriteCpu) = cpu.Utilization();
            var otherCpu = cpu.OtherPercent(hostCpu, azuriteCpu);
            var rate = accepted / elapsed;
            var p99 = samples.Percentile(99);
            var meets = errors == 0 && p99 < targetMs;
            if (meets && rate > bestRate)
            {
                bestRate = rate;
                bestLevel = level;
            }

            int backlog;
            try
            {
                backlog = await stack.QueuedCountAsync().ConfigureAwait(false);
            }
            catch (Azure.RequestFailedException)
            {
                backlog = -1;
            }

            t.Row(level.ToString(CultureInfo.InvariantCulture), Fmt.Num(rate), Fmt.Ms(samples.Percentile(50)), Fmt.Ms(samples.Percentile(95)),
                Fmt.Ms(p99), Fmt.Ms(samples.Max), errors.ToString(CultureInfo.InvariantCulture), meets ? "yes" : "no",
                backlog < 0 ? "?" : Fmt.Int(backlog), $"{Fmt.Num(hostCpu, "0")}% / {Fmt.Num(azuriteCpu, "0")}% / {Fmt.Num(otherCpu, "0")}%");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {rate:0.0}/s, p50 {Fmt.Ms(samples.Percentile(50))}, p99 {Fmt.Ms(p99)}, errors {errors}, backlog {backlog}"));
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }

        t.Note(bestLevel == 0
            ? string.Create(CultureInfo.InvariantCulture, $"no level met p99 < {targetMs:0} ms with zero errors")
            : string.Create(CultureInfo.InvariantCulture,
                $"best sustained rate meeting p99 < {targetMs:0} ms with zero errors: {bestRate:0.0} events/s (concurrency {bestLevel}); target >= 1,000 events/s: {(bestRate >= 1000 ? "met" : "NOT met")}"));
        t.Note(processor
            ? "The queue processor (and so the Durable recoveries of every accepted call) runs during the ramp, as in real use: it competes for the same cores and the same Azurite. The backlog column counts call-events queue messages after each level (one message carries up to 64 events: ingest group commit)."
            : "Queue processor OFF: ingest alone (events stay queued). The backlog column counts queue messages (one carries up to 64 events: ingest group commit).");
        if (floor is not null)
        {
            t.Note($"floor this run: GET /health p50 {Fmt.Ms(floor.Health.Percentile(50))}, table insert p50 {Fmt.Ms(floor.Table.Percentile(50))}, queue send+receive p50 {Fmt.Ms(floor.Queue.Percentile(50))} (one ingest = a ledger claim, a queue send and a ledger mark, each shared with concurrent requests by group commit, plus HTTP).");
        }

        t.Note($"CPU column: percent of one core over the level ({Environment.ProcessorCount} cores = {Environment.ProcessorCount * 100}%); the host process includes the bench client.");
        t.Note($"text-backs stored by the sandbox during the ramp: {Fmt.Int(stack.TextsSent - textsBefore)}");
        report.Add(t);
    }
}
