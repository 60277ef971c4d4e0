using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Bench;

/// <summary>
/// Diagnostic: how a partition query (<c>PartitionKey eq '...'</c>, what the Durable Azure Storage backend runs to load an
/// orchestration's history on every episode) and a point read scale with the table's size on this Azurite.
/// </summary>
public static class TableScanScenario
{
    private const int RowsPerPartition = 20; // about one recovery's history rows up to its wait

    public static async Task RunAsync(BenchStack stack, int[] sizes, Report report)
    {
        var table = stack.Get<StorageClients>().Tables.GetTableClient("benchscan" + Guid.NewGuid().ToString("N")[..8]);
        await table.CreateIfNotExistsAsync().ConfigureAwait(false);
        var t = new Table("tablescan: Azurite table reads against table size", "rows in table", "partition query p50", "partition query p99",
            "point read p50", "point read p99");
        var rows = 0;
        var payload = new string('x', 400);
        foreach (var size in sizes.Order())
        {
            Console.WriteLine($"tablescan: filling to {size} rows...");
            while (rows < size)
            {
                var partition = "p" + (rows / RowsPerPartition).ToString("D7", CultureInfo.InvariantCulture);
                var batch = new List<TableTransactionAction>();
                for (var i = 0; i < RowsPerPartition && rows < size; i++, rows++)
                {
                    batch.Add(new TableTransactionAction(TableTransactionActionType.Add,
                        new TableEntity(partition, i.ToString("D4", CultureInfo.InvariantCulture)) { ["Data"] = payload }));
                }

                await table.SubmitTransactionAsync(batch).ConfigureAwait(false);
            }

            var partitions = rows / RowsPerPartition;
            var query = new Samples();
            var point = new Samples();
            for (var i = 0; i < 30; i++)
            {
                var p = "p" + Random.Shared.Next(0, Math.Max(partitions, 1)).ToString("D7", CultureInfo.InvariantCulture);
                var start = Stopwatch.GetTimestamp();
                var count = 0;
                await foreach (var _ in table.QueryAsync<TableEntity>($"PartitionKey eq '{p}'").ConfigureAwait(false))
                {
                    count++;
                }

                query.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                start = Stopwatch.GetTimestamp();
                await table.GetEntityIfExistsAsync<TableEntity>(p, "0000").ConfigureAwait(false);
                point.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            t.Row(Fmt.Int(rows), Fmt.Ms(query.Percentile(50)), Fmt.Ms(query.Percentile(99)), Fmt.Ms(point.Percentile(50)), Fmt.Ms(point.Percentile(99)));
        }

        t.Note($"{RowsPerPartition} rows per partition; each partition query returns {RowsPerPartition} rows. Azurite filters a query by walking the whole table in JavaScript (LokiJS chain().where(...)), so its cost grows with the table.");
        report.Add(t);
        await table.DeleteAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Diagnostic: a send + receive on an empty queue while another queue holds N invisible messages (what a waiting
    /// recovery leaves behind: its durable timer is a control-queue message invisible until the timer is due).
    /// </summary>
    public static async Task RunQueueAsync(BenchStack stack, int[] sizes, Report report)
    {
        var queues = stack.Get<StorageClients>().Queues;
        var parked = queues.GetQueueClient("bench-parked-" + Guid.NewGuid().ToString("N")[..8]);
        var probe = queues.GetQueueClient("bench-probe-" + Guid.NewGuid().ToString("N")[..8]);
        await parked.CreateIfNotExistsAsync().ConfigureAwait(false);
        await probe.CreateIfNotExistsAsync().ConfigureAwait(false);
        var t = new Table("queuescan: Azurite queue round trip against invisible messages held elsewhere", "invisible messages (other queue)",
            "send + receive p50", "send + receive p99", "receive on empty queue p50");
        var parkedCount = 0;
        foreach (var size in new[] { 0 }.Concat(sizes).Distinct().Order())
        {
            Console.WriteLine($"queuescan: parking {size} invisible messages...");
            var toAdd = size - parkedCount;
            var next = 0;
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) <= toAdd)
                {
                    await parked.SendMessageAsync("timer", visibilityTimeout: TimeSpan.FromDays(1)).ConfigureAwait(false);
                }
            }))).ConfigureAwait(false);
            parkedCount = size;

            var roundTrip = new Samples();
            var empty = new Samples();
            for (var i = 0; i < 50; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await probe.SendMessageAsync("probe").ConfigureAwait(false);
                var message = (await probe.ReceiveMessageAsync().ConfigureAwait(false)).Value;
                roundTrip.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                await probe.DeleteMessageAsync(message.MessageId, message.PopReceipt).ConfigureAwait(false);
                start = Stopwatch.GetTimestamp();
                await probe.ReceiveMessageAsync().ConfigureAwait(false);
                empty.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            t.Row(Fmt.Int(size), Fmt.Ms(roundTrip.Percentile(50)), Fmt.Ms(roundTrip.Percentile(99)), Fmt.Ms(empty.Percentile(50)));
        }

        t.Note("Azurite keeps every queue's messages in one LokiJS collection and answers each receive with a find on (account, queue, timeNextVisible <= now) plus an expiry sweep over the same collection; neither uses an index, so every receive on any queue walks every message, visible or not.");
        t.Note("Each recovery waiting for a reply leaves its ladder timer in the Durable control queue as a message invisible until it is due, so receives (polls) get slower as waiting recoveries accumulate.");
        report.Add(t);
        await parked.DeleteIfExistsAsync().ConfigureAwait(false);
        await probe.DeleteIfExistsAsync().ConfigureAwait(false);
    }
}
