using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Common;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Ingest;

public enum LedgerClaim
{
    /// <summary>First time seen (or an earlier attempt died): this request publishes it.</summary>
    Claimed,
    /// <summary>Already on the queue: acknowledge, publish nothing.</summary>
    AlreadyPublished,
    /// <summary>Another request is publishing it right now: acknowledge, publish nothing.</summary>
    InFlight,
}

/// <summary>
/// Remembers which provider events reached the queue, so a webhook delivered many times is queued once.
/// Service Bus duplicate detection only covers 10 minutes; Event Grid retries for up to 24 hours and Storage
/// queues have none, so the ledger is the guarantee in both hosts.
/// </summary>
public interface IIngestLedger
{
    Task<LedgerClaim> ClaimAsync(string messageId, CancellationToken cancellationToken);

    Task MarkPublishedAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Gives up a claim after a failed publish, so the provider's retry can publish at once.</summary>
    Task ReleaseAsync(string messageId, CancellationToken cancellationToken);
}

/// <remarks>
/// Claims and publish marks from concurrent requests are written together (<see cref="GroupCommit{TItem,TResult}"/>):
/// one Table transaction per provider partition carries up to 100 of them, so a burst of webhooks costs a few
/// storage round trips instead of two per event. A transaction that fails (an event seen before, or the same event
/// twice in one batch) falls back to one claim at a time for its events, which decides each exactly as before.
/// </remarks>
public sealed class TableIngestLedger(StorageClients storage, TimeProvider time) : IIngestLedger
{
    /// <summary>A claim older than this without a publish belongs to a request that died.</summary>
    internal static readonly TimeSpan StaleClaim = TimeSpan.FromSeconds(60);

    private const int MaxBatch = 100;
    private const int BatchesInFlight = 1;

    /// <summary>A batch write that takes longer than this fails its requests (503) rather than stalling every later one.</summary>
    private static readonly TimeSpan BatchTimeout = TimeSpan.FromSeconds(20);

    private readonly ConcurrentDictionary<string, GroupCommit<(string Row, string ClaimId), bool>> _claims = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, GroupCommit<string, bool>> _marks = new(StringComparer.Ordinal);

    private TableClient Table => storage.Table(TableNames.IngestLedger);

    public async Task<LedgerClaim> ClaimAsync(string messageId, CancellationToken cancellationToken)
    {
        var (partition, row) = Keys(messageId);
        var claimId = Guid.NewGuid().ToString("N");
        var claimed = await _claims.GetOrAdd(partition, p => new GroupCommit<(string Row, string ClaimId), bool>(
                (items, ct) => ClaimBatchAsync(p, items, ct), MaxBatch, BatchesInFlight, writeTimeout: BatchTimeout))
            .SubmitAsync((row, claimId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        // Not settled by the shared transaction (seen before, twice in one batch, or the transaction refused): decide this
        // one alone, outside the batch writer, so one repeat does not hold up the other claims.
        return claimed ? LedgerClaim.Claimed : await ClaimOneAsync(partition, row, claimId, cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkPublishedAsync(string messageId, CancellationToken cancellationToken)
    {
        var (partition, row) = Keys(messageId);
        var marked = await _marks.GetOrAdd(partition, p => new GroupCommit<string, bool>(
                (rows, ct) => MarkBatchAsync(p, rows, ct), MaxBatch, BatchesInFlight, writeTimeout: BatchTimeout))
            .SubmitAsync(row).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!marked)
        {
            await Table.UpsertEntityAsync(Published(partition, row), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True for each claim the shared transaction wrote; false: decide it alone.</summary>
    private async Task<IReadOnlyList<bool>> ClaimBatchAsync(string partition, IReadOnlyList<(string Row, string ClaimId)> items, CancellationToken cancellationToken)
    {
        var results = new bool[items.Count];
        // A transaction may not touch a row twice: later copies of an id are decided alone.
        var first = Enumerable.Range(0, items.Count).GroupBy(i => items[i].Row, StringComparer.Ordinal).Select(g => g.First()).ToList();
        if (first.Count < 2)
        {
            return results;
        }

        var now = time.GetUtcNow();
        try
        {
            await Table.SubmitTransactionAsync(
                first.Select(i => new TableTransactionAction(TableTransactionActionType.Add, Claim(partition, items[i].Row, items[i].ClaimId, now))),
                cancellationToken).ConfigureAwait(false);
            foreach (var i in first)
            {
                results[i] = true;
            }
        }
        catch (RequestFailedException)
        {
            // Some event was seen before (409) or the batch was refused: nothing of it was written (or, when a retry of a
            // committed transaction got the 409, the rows carry our claim ids). Each is decided alone.
        }

        return results;
    }

    private async Task<LedgerClaim> ClaimOneAsync(string partition, string row, string claimId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        try
        {
            await Table.AddEntityAsync(Claim(partition, row, claimId, now), cancellationToken).ConfigureAwait(false);
            return LedgerClaim.Claimed;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Seen before: decide from the existing row below.
        }

        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (!existing.HasValue)
        {
            // Released between our insert and our read: try once more.
            return await ClaimOneAsync(partition, row, claimId, cancellationToken).ConfigureAwait(false);
        }

        var entity = existing.Value!;
        if (entity.GetString("State") == "published")
        {
            return LedgerClaim.AlreadyPublished;
        }

        if (entity.GetString("ClaimId") == claimId)
        {
            // Our own write (a retried request to storage whose first attempt had landed).
            return LedgerClaim.Claimed;
        }

        if (entity.GetDateTimeOffset("ClaimedAt") is { } claimedAt && now - claimedAt < StaleClaim)
        {
            return LedgerClaim.InFlight;
        }

        try
        {
            entity["ClaimedAt"] = now;
            entity["ClaimId"] = claimId;
            await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return LedgerClaim.Claimed;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return LedgerClaim.InFlight;
        }
    }

    /// <summary>True for each mark the shared transaction wrote; false: write it alone.</summary>
    private async Task<IReadOnlyList<bool>> MarkBatchAsync(string partition, IReadOnlyList<string> rows, CancellationToken cancellationToken)
    {
        var distinct = rows.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count < 2)
        {
            return rows.Select(_ => false).ToList();
        }

        try
        {
            await Table.SubmitTransactionAsync(
                distinct.Select(row => new TableTransactionAction(TableTransactionActionType.UpsertMerge, Published(partition, row))),
                cancellationToken).ConfigureAwait(false);
            return rows.Select(_ => true).ToList();
        }
        catch (RequestFailedException)
        {
            return rows.Select(_ => false).ToList();
        }
    }

    private static TableEntity Claim(string partition, string row, string claimId, DateTimeOffset at)
        => new(partition, row) { ["State"] = "claimed", ["ClaimedAt"] = at, ["ClaimId"] = claimId };

    private TableEntity Published(string partition, string row)
        => new(partition, row) { ["State"] = "published", ["PublishedAt"] = time.GetUtcNow() };

    public async Task ReleaseAsync(string messageId, CancellationToken cancellationToken)
    {
        var (partition, row) = Keys(messageId);
        try
        {
            await Table.DeleteEntityAsync(partition, row, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Nothing to release.
        }
    }

    // Partition by provider so one hot provider does not share a partition with every other.
    private static (string Partition, string Row) Keys(string messageId)
    {
        var colon = messageId.IndexOf(':');
        return (colon > 0 ? messageId[..colon] : "unknown", TableKeys.Escape(messageId));
    }
}
