using Azure;
using Azure.Data.Tables;
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

public sealed class TableIngestLedger(StorageClients storage, TimeProvider time) : IIngestLedger
{
    /// <summary>A claim older than this without a publish belongs to a request that died.</summary>
    internal static readonly TimeSpan StaleClaim = TimeSpan.FromSeconds(60);

    private TableClient Table => storage.Table(TableNames.IngestLedger);

    public async Task<LedgerClaim> ClaimAsync(string messageId, CancellationToken cancellationToken)
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
            return await ClaimAsync(messageId, cancellationToken).ConfigureAwait(false);
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

    public async Task MarkPublishedAsync(string messageId, CancellationToken cancellationToken)
    {
        var (partition, row) = Keys(messageId);
        await Table.UpsertEntityAsync(
            new TableEntity(partition, row) { ["State"] = "published", ["PublishedAt"] = time.GetUtcNow() },
            TableUpdateMode.Merge,
            cancellationToken).ConfigureAwait(false);
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
