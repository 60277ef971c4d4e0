using System.Diagnostics;
using Azure.Data.Tables;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Bench;

/// <summary>The same run's floor: what one bare hop of each kind costs on this machine, against the same Azurite and host.</summary>
public sealed record FloorResult(Samples Health, Samples Acs, Samples Queue, Samples Table)
{
    public static async Task<FloorResult> MeasureAsync(BenchStack stack, int samples, Report report)
    {
        const int warmup = 20;
        Console.WriteLine($"floor: {samples} samples each (+{warmup} warm-up), one at a time...");

        var health = await TimeAsync(samples, warmup, async () =>
        {
            using var response = await stack.Http.GetAsync(new Uri("/health", UriKind.Relative)).ConfigureAwait(false);
            await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }).ConfigureAwait(false);

        // The host's own sandbox, through the pipeline's ACS client (HMAC-signed POST /sms, 202 parsed).
        var acs = new AcsSmsClient(stack.Sandbox.Options.ConnectionStringFor(stack.BaseAddress));
        var acsSamples = await TimeAsync(samples, warmup, async () =>
        {
            var sms = new OutgoingSms(BenchStack.ClinicNumber, stack.NewCaller(), "bench floor", Guid.NewGuid().ToString("D"), DateTimeOffset.UtcNow, "bench-floor");
            var result = await acs.SendAsync(sms, CancellationToken.None).ConfigureAwait(false);
            if (!result.Accepted)
            {
                throw new InvalidOperationException("The sandbox refused a floor text: " + result.ErrorMessage);
            }
        }).ConfigureAwait(false);

        var storage = stack.Get<StorageClients>();
        var queue = storage.Queues.GetQueueClient("bench-floor-" + Guid.NewGuid().ToString("N")[..8]);
        await queue.CreateIfNotExistsAsync().ConfigureAwait(false);
        Azure.Storage.Queues.Models.QueueMessage? received = null;
        var queueSamples = await TimeAsync(samples, warmup, async () =>
        {
            await queue.SendMessageAsync("floor").ConfigureAwait(false);
            received = (await queue.ReceiveMessageAsync().ConfigureAwait(false)).Value
                       ?? throw new InvalidOperationException("The floor message was not received.");
        }, after: async () =>
        {
            // Settled outside the timing, so the queue stays empty between samples.
            await queue.DeleteMessageAsync(received!.MessageId, received.PopReceipt).ConfigureAwait(false);
        }).ConfigureAwait(false);
        await queue.DeleteIfExistsAsync().ConfigureAwait(false);

        var table = storage.Tables.GetTableClient("benchfloor" + Guid.NewGuid().ToString("N")[..8]);
        await table.CreateIfNotExistsAsync().ConfigureAwait(false);
        var tableSamples = await TimeAsync(samples, warmup, () =>
            table.AddEntityAsync(new TableEntity("floor", Guid.NewGuid().ToString("N")) { ["State"] = "claimed", ["At"] = DateTimeOffset.UtcNow }));
        await table.DeleteAsync().ConfigureAwait(false);

        var result = new FloorResult(health, acsSamples, queueSamples, tableSamples);
        var t = new Table("floor: bare hops on this machine (sequential, one in flight)", "hop", "n", "p50", "p95", "p99", "max");
        Row(t, "HTTP GET /health on the host (Kestrel + HttpClient)", health);
        Row(t, "ACS-sandbox POST /sms via AcsSmsClient (HMAC, 202)", acsSamples);
        Row(t, "Storage queue send + receive (Azurite)", queueSamples);
        Row(t, "Table insert (Azurite)", tableSamples);
        t.Note("Same process, same Azurite and same host as the scenario figures; bench client and host share the machine's cores.");
        report.Add(t);
        return result;
    }

    private static void Row(Table t, string name, Samples s) =>
        t.Row(name, Fmt.Int(s.Count), Fmt.Ms(s.Percentile(50)), Fmt.Ms(s.Percentile(95)), Fmt.Ms(s.Percentile(99)), Fmt.Ms(s.Max));

    private static async Task<Samples> TimeAsync(int samples, int warmup, Func<Task> action, Func<Task>? after = null)
    {
        var result = new Samples();
        for (var i = 0; i < warmup + samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action().ConfigureAwait(false);
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (i >= warmup)
            {
                result.Add(ms);
            }

            if (after is not null)
            {
                await after().ConfigureAwait(false);
            }
        }

        return result;
    }
}
