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

    private readonly ConcurrentDictionary<string, GroupCommit<string, LedgerClaim>> _claims = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, GroupCommit<string, bool>> _marks = new(StringComparer.Ordinal);

    private TableClient Table => storage.Table(TableNames.IngestLedger);

    public Task<LedgerClaim> ClaimAsync(string messageId, CancellationToken cancellationToken)
    {
        var (partition, _) = Keys(messageId);
        return _claims.GetOrAdd(partition, p => new GroupCommit<string, LedgerClaim>((ids, ct) => ClaimBatchAsync(p, ids, ct), MaxBatch, BatchesInFlight))
            .SubmitAsync(messageId).WaitAsync(cancellationToken);
    }

    public Task MarkPublishedAsync(string messageId, CancellationToken cancellationToken)
    {
        var (partition, _) = Keys(messageId);
        return _marks.GetOrAdd(partition, p => new GroupCommit<string, bool>((ids, ct) => MarkBatchAsync(p, ids, ct), MaxBatch, BatchesInFlight))
            .SubmitAsync(messageId).WaitAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<LedgerClaim>> ClaimBatchAsync(string partition, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        var results = new LedgerClaim?[messageIds.Count];
        var rows = messageIds.Select(id => Keys(id).Row).ToList();
        // A transaction may not touch a row twice: later copies of an id are decided one at a time, after the first.
        var first = Enumerable.Range(0, rows.Count).GroupBy(i => rows[i], StringComparer.Ordinal).Select(g => g.First()).ToList();
        if (first.Count > 1)
        {
            var now = time.GetUtcNow();
            try
            {
                await Table.SubmitTransactionAsync(
                    first.Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                        new TableEntity(partition, rows[i]) { ["State"] = "claimed", ["ClaimedAt"] = now })),
                    cancellationToken).ConfigureAwait(false);
                foreach (var i in first)
                {
                    results[i] = LedgerClaim.Claimed;
                }
            }
            catch (RequestFailedException)
            {
                // Some event was seen before (409) or the batch was refused: nothing of it was written. Decide each alone.
            }
        }

        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= await ClaimOneAsync(messageIds[i], cancellationToken).ConfigureAwait(false);
        }

        return results.Select(r => r!.Value).ToList();
    }

    private async Task<LedgerClaim> ClaimOneAsync(string messageId, CancellationToken cancellationToken)
    {
        var (partition, row) = Keys(messageId);
        var now = time.GetUtcNow();
        try
        {
            await Table.AddEntityAsync(
                new TableEntity(partition, row) { ["State"] = "claimed", ["ClaimedAt"] = now },
                cancellationToken).ConfigureAwait(false);
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
            return await ClaimOneAsync(messageId, cancellationToken).ConfigureAwait(false);
        }

        var entity = existing.Value!;
        if (entity.GetString("State") == "published")
        {
            return LedgerClaim.AlreadyPublished;
        }

        if (entity.GetDateTimeOffset("ClaimedAt") is { } claimedAt && now - claimedAt < StaleClaim)
        {
            return LedgerClaim.InFlight;
        }

        try
        {
            entity["ClaimedAt"] = now;
            await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return LedgerClaim.Claimed;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return LedgerClaim.InFlight;
        }
    }

    private async Task<IReadOnlyList<bool>> MarkBatchAsync(string partition, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = messageIds.Select(id => Keys(id).Row).Distinct(StringComparer.Ordinal).ToList();
        var actions = rows.Select(row => new TableTransactionAction(TableTransactionActionType.UpsertMerge,
            new TableEntity(partition, row) { ["State"] = "published", ["PublishedAt"] = now })).ToList();
        if (actions.Count == 1)
        {
            await Table.UpsertEntityAsync((TableEntity)actions[0].Entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await Table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }

        return messageIds.Select(_ => true).ToList();
    }

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
