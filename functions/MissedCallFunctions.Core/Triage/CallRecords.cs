using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Triage;

/// <summary>A decision as recorded in the call audit.</summary>
public sealed record AuditedDecision(string MessageId, DecisionKind Kind, string Reason, string Detail, DateTimeOffset DecidedAt);

/// <summary>Per-event audit and per-call state in Table Storage.</summary>
public interface ICallRecords
{
    Task<AuditedDecision?> GetDecisionAsync(string clinicId, string messageId, CancellationToken cancellationToken);

    /// <summary>Writes the audit row for an event; a second write of the same event is a no-op (returns false).</summary>
    Task<bool> RecordDecisionAsync(CallEvent callEvent, CallDecision decision, DateTimeOffset decidedAt, CancellationToken cancellationToken);

    /// <summary>
    /// Claims a call for its first missed-type event. Returns true when this event owns the call (first claim, or a
    /// redelivery of the owner), false when another event of the same call claimed it first.
    /// </summary>
    Task<bool> ClaimMissedCallAsync(CallEvent callEvent, CancellationToken cancellationToken);

    /// <summary>
    /// Notes that a call was answered (used to settle ACS ring-window checks) and, per caller, the latest time they got
    /// through (see <see cref="LastReachedAtAsync"/>).
    /// </summary>
    Task MarkAnsweredAsync(CallEvent callEvent, CancellationToken cancellationToken);

    /// <summary>When the caller last got through to the clinic on an answered call; null when never seen.</summary>
    Task<DateTimeOffset?> LastReachedAtAsync(string clinicId, string callerE164, CancellationToken cancellationToken);

    /// <summary>Whether anything decisive (an answer or a claimed miss) was reported for the call.</summary>
    Task<bool> HasDecisiveEventAsync(CallEvent callEvent, CancellationToken cancellationToken);

    /// <summary>The latest audited call events of a clinic, newest first (for operators checking the pipeline).</summary>
    Task<IReadOnlyList<AuditedCall>> RecentAsync(string clinicId, int limit, CancellationToken cancellationToken);
}

/// <summary>An audit row as shown to operators: the caller is masked.</summary>
public sealed record AuditedCall(
    string MessageId, string Provider, string Outcome, string Direction, string CallerMasked, DateTimeOffset OccurredAt,
    string Decision, string Reason, string Detail);

public sealed class TableCallRecords(StorageClients storage) : ICallRecords
{
    private TableClient Audit => storage.Table(TableNames.CallAudit);

    private TableClient Calls => storage.Table(TableNames.Calls);

    public async Task<AuditedDecision?> GetDecisionAsync(string clinicId, string messageId, CancellationToken cancellationToken)
    {
        var row = await Audit.GetEntityIfExistsAsync<TableEntity>(clinicId, TableKeys.Escape(messageId),
            ["MessageId", "Decision", "Reason", "Detail", "DecidedAt"], cancellationToken).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }

        var e = row.Value!;
        return new AuditedDecision(
            e.GetString("MessageId"),
            Enum.Parse<DecisionKind>(e.GetString("Decision")),
            e.GetString("Reason"),
            e.GetString("Detail"),
            e.GetDateTimeOffset("DecidedAt") ?? DateTimeOffset.MinValue);
    }

    public async Task<bool> RecordDecisionAsync(CallEvent callEvent, CallDecision decision, DateTimeOffset decidedAt, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(callEvent.ClinicId, TableKeys.Escape(callEvent.MessageId))
        {
            ["MessageId"] = callEvent.MessageId,
            ["Provider"] = callEvent.Provider,
            ["ProviderEventId"] = callEvent.ProviderEventId,
            ["ProviderCallId"] = callEvent.ProviderCallId,
            ["ClinicNumber"] = callEvent.ClinicNumber,
            ["CallerNumber"] = callEvent.CallerNumber,
            ["CallerNumberStatus"] = callEvent.CallerNumberStatus.ToString(),
            ["Direction"] = callEvent.Direction.ToString(),
            ["Outcome"] = callEvent.Outcome.ToString(),
            ["VoicemailLeft"] = callEvent.VoicemailLeft,
            ["RingSeconds"] = callEvent.RingSeconds,
            ["TalkSeconds"] = callEvent.TalkSeconds,
            ["OccurredAt"] = callEvent.OccurredAt,
            ["ReceivedAt"] = callEvent.ReceivedAt,
            ["DecidedAt"] = decidedAt,
            ["Decision"] = decision.Kind.ToString(),
            ["Reason"] = decision.Reason,
            ["Detail"] = decision.Detail,
        };
        try
        {
            await Audit.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> ClaimMissedCallAsync(CallEvent callEvent, CancellationToken cancellationToken)
    {
        var (partition, row) = CallKeys(callEvent);
        try
        {
            await Calls.AddEntityAsync(
                new TableEntity(partition, row) { ["MissedMessageId"] = callEvent.MessageId, ["ClaimedAt"] = callEvent.ReceivedAt },
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // The row may exist only because an answer was noted: claim it if no miss owns it yet.
        }

        var existing = await Calls.GetEntityAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
        var owner = existing.Value.GetString("MissedMessageId");
        if (owner is not null)
        {
            return owner == callEvent.MessageId;
        }

        try
        {
            existing.Value["MissedMessageId"] = callEvent.MessageId;
            existing.Value["ClaimedAt"] = callEvent.ReceivedAt;
            await Calls.UpdateEntityAsync(existing.Value, existing.Value.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return await ClaimMissedCallAsync(callEvent, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task MarkAnsweredAsync(CallEvent callEvent, CancellationToken cancellationToken)
    {
        var (partition, row) = CallKeys(callEvent);
        await Calls.UpsertEntityAsync(
            new TableEntity(partition, row) { ["AnsweredMessageId"] = callEvent.MessageId },
            TableUpdateMode.Merge,
            cancellationToken).ConfigureAwait(false);
        if (callEvent.CallerNumber is not { } caller)
        {
            return;
        }

        var callerRow = CallerKey(caller);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var existing = await Calls.GetEntityIfExistsAsync<TableEntity>(partition, callerRow, ["ReachedAt"], cancellationToken).ConfigureAwait(false);
            try
            {
                if (!existing.HasValue)
                {
                    await Calls.AddEntityAsync(new TableEntity(partition, callerRow) { ["ReachedAt"] = callEvent.OccurredAt }, cancellationToken)
                        .ConfigureAwait(false);
                }
                else if (existing.Value!.GetDateTimeOffset("ReachedAt") is not { } reached || reached < callEvent.OccurredAt)
                {
                    await Calls.UpdateEntityAsync(new TableEntity(partition, callerRow) { ["ReachedAt"] = callEvent.OccurredAt }, existing.Value.ETag,
                        TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another answered call of the same caller: keep the later time.
            }
        }
    }

    public async Task<DateTimeOffset?> LastReachedAtAsync(string clinicId, string callerE164, CancellationToken cancellationToken)
    {
        var row = await Calls.GetEntityIfExistsAsync<TableEntity>(clinicId, CallerKey(callerE164), ["ReachedAt"], cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value!.GetDateTimeOffset("ReachedAt") : null;
    }

    // Beside the per-call rows ("{provider}:{callId}"), which never start with this prefix.
    private static string CallerKey(string callerE164) => TableKeys.Escape("reached|" + callerE164);

    public async Task<bool> HasDecisiveEventAsync(CallEvent callEvent, CancellationToken cancellationToken)
    {
        var (partition, row) = CallKeys(callEvent);
        var existing = await Calls.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
        return existing.HasValue && (existing.Value!.GetString("AnsweredMessageId") is not null || existing.Value.GetString("MissedMessageId") is not null);
    }

    public async Task<IReadOnlyList<AuditedCall>> RecentAsync(string clinicId, int limit, CancellationToken cancellationToken)
    {
        // Bounded scan of one partition; reporting uses its own aggregates, this is for spot checks.
        var rows = new List<AuditedCall>();
        await foreach (var e in Audit.QueryAsync<TableEntity>(x => x.PartitionKey == clinicId, maxPerPage: 1000, cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            rows.Add(new AuditedCall(
                e.GetString("MessageId"), e.GetString("Provider"), e.GetString("Outcome"), e.GetString("Direction"),
                Common.PhoneNumberTools.Mask(e.GetString("CallerNumber")), e.GetDateTimeOffset("OccurredAt") ?? default,
                e.GetString("Decision"), e.GetString("Reason"), e.GetString("Detail")));
            if (rows.Count >= 5000)
            {
                break;
            }
        }

        return rows.OrderByDescending(r => r.OccurredAt).Take(limit).ToList();
    }

    private static (string Partition, string Row) CallKeys(CallEvent callEvent)
        => (callEvent.ClinicId, TableKeys.Escape($"{callEvent.Provider}:{callEvent.ProviderCallId}"));
}
