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

        t.Note($"{RowsPerPartition} rows per partition; each partition query returns {RowsPerPartition} rows. Azurite answers a filtered query by scanning the whole table (LokiJS chain().where(...)), so its cost grows with the table; Azure Table Storage serves a partition query from the partition.");
        report.Add(t);
        await table.DeleteAsync().ConfigureAwait(false);
    }
}
