using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Recovery;

/// <summary>The live recovery of a caller at a clinic (at most one), as recorded in <c>Recoveries</c>.</summary>
/// <param name="ClinicNumber">The clinic number the caller dialled (texts to them come from it); null on rows from before it was kept.</param>
public sealed record RecoveryRecord(string ClinicId, string CallerNumber, string InstanceId, bool Live, DateTimeOffset StartedAt,
    RecoveryOutcome? Outcome, DateTimeOffset? EndedAt, ETag ETag, string? ClinicNumber = null);

/// <summary>
/// One row per (clinic, caller) in <c>Recoveries</c>: which recovery is live. Inserting it is the lock that makes
/// "at most one live recovery per caller per clinic" hold across concurrent processors.
/// </summary>
public interface IRecoveryRegistry
{
    Task<RecoveryRecord?> GetAsync(string clinicId, string callerE164, CancellationToken cancellationToken);

    /// <summary>Inserts a live row; false when one exists already (for any recovery).</summary>
    Task<bool> TryAddLiveAsync(string clinicId, string callerE164, string instanceId, DateTimeOffset at, CancellationToken cancellationToken,
        string? clinicNumber = null);

    /// <summary>Replaces an ended (or dead) row with a new live recovery; false when someone else changed it first.</summary>
    Task<bool> TryReplaceAsync(RecoveryRecord existing, string instanceId, DateTimeOffset at, CancellationToken cancellationToken,
        string? clinicNumber = null);

    /// <summary>
    /// Records a booking reported after the recovery ended (booking-link mode): the outcome becomes Booked. Returns the
    /// recovery's instance id, or null when the caller had no recovery.
    /// </summary>
    Task<string?> MarkBookedAsync(string clinicId, string callerE164, CancellationToken cancellationToken);

    /// <summary>Marks the recovery ended, if it is still the live one.</summary>
    Task EndAsync(string clinicId, string callerE164, string instanceId, RecoveryOutcome outcome, DateTimeOffset at, CancellationToken cancellationToken);
}

public sealed class TableRecoveryRegistry(StorageClients storage) : IRecoveryRegistry
{
    private TableClient Table => storage.Table(TableNames.Recoveries);

    public async Task<RecoveryRecord?> GetAsync(string clinicId, string callerE164, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, TableKeys.Escape(callerE164), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }

        var e = row.Value!;
        return new RecoveryRecord(clinicId, callerE164, e.GetString("InstanceId"), e.GetBoolean("Live") == true,
            e.GetDateTimeOffset("StartedAt") ?? default,
            Enum.TryParse<RecoveryOutcome>(e.GetString("Outcome"), out var outcome) ? outcome : null,
            e.GetDateTimeOffset("EndedAt"), e.ETag, e.GetString("ClinicNumber"));
    }

    public async Task<bool> TryAddLiveAsync(string clinicId, string callerE164, string instanceId, DateTimeOffset at, CancellationToken cancellationToken,
        string? clinicNumber = null)
    {
        try
        {
            await Table.AddEntityAsync(Row(clinicId, callerE164, instanceId, at, clinicNumber), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(RecoveryRecord existing, string instanceId, DateTimeOffset at, CancellationToken cancellationToken,
        string? clinicNumber = null)
    {
        try
        {
            await Table.UpdateEntityAsync(Row(existing.ClinicId, existing.CallerNumber, instanceId, at, clinicNumber ?? existing.ClinicNumber), existing.ETag,
                TableUpdateMode.Replace,
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    public async Task<string?> MarkBookedAsync(string clinicId, string callerE164, CancellationToken cancellationToken)
    {
        var existing = await GetAsync(clinicId, callerE164, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return null; // booked without a recovery (e.g. a direct booking): nothing to update
        }

        try
        {
            await Table.UpdateEntityAsync(new TableEntity(clinicId, TableKeys.Escape(callerE164)) { ["Outcome"] = nameof(RecoveryOutcome.Booked) },
                ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return existing.InstanceId;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task EndAsync(string clinicId, string callerE164, string instanceId, RecoveryOutcome outcome, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await GetAsync(clinicId, callerE164, cancellationToken).ConfigureAwait(false);
            if (current is null || current.InstanceId != instanceId || !current.Live)
            {
                return; // a newer recovery owns the row, or this one was ended already
            }

            var row = Row(clinicId, callerE164, instanceId, current.StartedAt, current.ClinicNumber);
            row["Live"] = false;
            row["Outcome"] = outcome.ToString();
            row["EndedAt"] = at;
            try
            {
                await Table.UpdateEntityAsync(row, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Changed under us: read again.
            }
        }
    }

    private static TableEntity Row(string clinicId, string callerE164, string instanceId, DateTimeOffset at, string? clinicNumber) => new(clinicId, TableKeys.Escape(callerE164))
    {
        ["CallerNumber"] = callerE164,
        ["InstanceId"] = instanceId,
        ["Live"] = true,
        ["StartedAt"] = at,
        ["ClinicNumber"] = clinicNumber,
    };
}

/// <summary>
/// A recovery's inbox: replies, repeat calls and staff actions, written before the orchestration is woken. The
/// orchestration reads it on every wake-up, so an item is never lost even when its wake-up event is (events raised
/// to a still-pending instance, a timed-out wait swallowing the next event).
/// </summary>
public interface IRecoveryInbox
{
    /// <summary>Adds an item; false when an item with that id is there already.</summary>
    Task<bool> AddAsync(string instanceId, InboxItem item, CancellationToken cancellationToken);

    /// <summary>Every item, oldest first.</summary>
    Task<IReadOnlyList<InboxItem>> ListAsync(string instanceId, CancellationToken cancellationToken);
}

public sealed class TableRecoveryInbox(StorageClients storage) : IRecoveryInbox
{
    private TableClient Table => storage.Table(TableNames.RecoveryInbox);

    public async Task<bool> AddAsync(string instanceId, InboxItem item, CancellationToken cancellationToken)
    {
        try
        {
            await Table.AddEntityAsync(new TableEntity(instanceId, TableKeys.Escape(item.Id))
            {
                ["Item"] = JsonSerializer.Serialize(item),
                ["At"] = item.At,
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<InboxItem>> ListAsync(string instanceId, CancellationToken cancellationToken)
    {
        var items = new List<InboxItem>();
        await foreach (var row in Table.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            items.Add(JsonSerializer.Deserialize<InboxItem>(row.GetString("Item"))!);
        }

        return items.OrderBy(i => i.At).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();
    }
}

/// <summary>A step of a recovery's timeline (event received, text-back accepted, delivered, replies, ladder steps, outcome).</summary>
public sealed record TimelineEntry(string Key, string Kind, DateTimeOffset At, string Detail);

public interface IRecoveryTimeline
{
    /// <summary>Idempotent on <see cref="TimelineEntry.Key"/>: an activity retried after a crash writes the same row.</summary>
    Task RecordAsync(string clinicId, string instanceId, TimelineEntry entry, CancellationToken cancellationToken);

    Task<IReadOnlyList<TimelineEntry>> ListAsync(string instanceId, CancellationToken cancellationToken);
}

public sealed class TableRecoveryTimeline(StorageClients storage) : IRecoveryTimeline
{
    private TableClient Table => storage.Table(TableNames.Timeline);

    public async Task RecordAsync(string clinicId, string instanceId, TimelineEntry entry, CancellationToken cancellationToken)
    {
        await Table.UpsertEntityAsync(new TableEntity(instanceId, TableKeys.Escape(entry.Key))
        {
            ["ClinicId"] = clinicId,
            ["Kind"] = entry.Kind,
            ["At"] = entry.At,
            ["Detail"] = entry.Detail,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<TimelineEntry>> ListAsync(string instanceId, CancellationToken cancellationToken)
    {
        var entries = new List<TimelineEntry>();
        await foreach (var row in Table.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new TimelineEntry(row.RowKey, row.GetString("Kind"), row.GetDateTimeOffset("At") ?? default, row.GetString("Detail")));
        }

        return entries.OrderBy(e => e.At).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
    }
}

/// <summary>
/// Every automated SMS, keyed by recovery and step: its repeatability id (created once by the orchestrator and reused on
/// every retry) and, once accepted, the provider's message id, so a retried step never sends a second text even on a
/// channel without repeatability (Twilio) and delivery reports find their step.
/// </summary>
public sealed record OutboxRecord(string InstanceId, string StepKey, string ClinicId, string To, string RepeatabilityRequestId,
    string? ProviderMessageId, string Status);

public interface ISmsOutbox
{
    Task<OutboxRecord?> GetAsync(string instanceId, string stepKey, CancellationToken cancellationToken);

    Task SaveAsync(OutboxRecord record, CancellationToken cancellationToken);

    /// <summary>Finds a sent message by the provider's id (delivery reports).</summary>
    Task<OutboxRecord?> FindByProviderMessageIdAsync(string providerMessageId, CancellationToken cancellationToken);
}

public sealed class TableSmsOutbox(StorageClients storage) : ISmsOutbox
{
    private const string IndexPartition = "by-provider-id";

    private TableClient Table => storage.Table(TableNames.SmsOutbox);

    public async Task<OutboxRecord?> GetAsync(string instanceId, string stepKey, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(instanceId, TableKeys.Escape(stepKey), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue ? Read(row.Value!) : null;
    }

    public async Task SaveAsync(OutboxRecord record, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(record.InstanceId, TableKeys.Escape(record.StepKey))
        {
            ["StepKey"] = record.StepKey,
            ["ClinicId"] = record.ClinicId,
            ["To"] = record.To,
            ["RepeatabilityRequestId"] = record.RepeatabilityRequestId,
            ["ProviderMessageId"] = record.ProviderMessageId,
            ["Status"] = record.Status,
        };
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        if (record.ProviderMessageId is { } providerId)
        {
            var index = new TableEntity(IndexPartition, TableKeys.Escape(providerId))
            {
                ["InstanceId"] = record.InstanceId,
                ["StepKey"] = record.StepKey,
            };
            await Table.UpsertEntityAsync(index, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<OutboxRecord?> FindByProviderMessageIdAsync(string providerMessageId, CancellationToken cancellationToken)
    {
        var index = await Table.GetEntityIfExistsAsync<TableEntity>(IndexPartition, TableKeys.Escape(providerMessageId), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return index.HasValue
            ? await GetAsync(index.Value!.GetString("InstanceId"), index.Value.GetString("StepKey"), cancellationToken).ConfigureAwait(false)
            : null;
    }

    private static OutboxRecord Read(TableEntity e) => new(e.PartitionKey, e.GetString("StepKey"), e.GetString("ClinicId"), e.GetString("To"),
        e.GetString("RepeatabilityRequestId"), e.GetString("ProviderMessageId"), e.GetString("Status"));
}
