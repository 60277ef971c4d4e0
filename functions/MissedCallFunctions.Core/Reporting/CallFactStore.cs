using System.Collections.Concurrent;
using System.Text;
using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Reporting;

/// <summary>A clinic-local day's summary as stored, with whether it must be recomputed from its facts.</summary>
public sealed record StoredDay(string Day, DaySummary? Summary, bool Stale, ETag ETag);

/// <summary>
/// The reporting records: one fact per missed call, a pointer from each recovery to its fact, and one summary per
/// clinic-local day, marked stale by every fact write and recomputed only when a report needs it.
/// </summary>
public interface ICallFactStore
{
    /// <summary>
    /// Creates or updates the fact of a missed call (and the pointer from its recovery, when it has one). Every field
    /// the fact sets is written; fields it leaves unset (null, false, zero) are left as they are, so a retried record
    /// never erases what the timeline applied since.
    /// </summary>
    Task RecordCallAsync(CallFact fact, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="RecordCallAsync"/> for many facts (an import, a seed): batch transactions of up to 100 rows per clinic,
    /// each with one stale mark per day it touches. Each batch is atomic; a failure part-way leaves the earlier batches
    /// written, and recording the same facts again is harmless.
    /// </summary>
    Task RecordCallsAsync(IReadOnlyList<CallFact> facts, CancellationToken cancellationToken);

    /// <summary>A later recovery (staff handed the conversation back) reports into the same call's fact.</summary>
    Task LinkAsync(string clinicId, string instanceId, string previousInstanceId, CancellationToken cancellationToken);

    /// <summary>Applies what a recovery's timeline says; false when the recovery has no fact (nothing to report on).</summary>
    Task<bool> ApplyAsync(string clinicId, string instanceId, FactChange change, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredDay>> ListDaysAsync(string clinicId, string fromDay, string toDay, CancellationToken cancellationToken);

    Task<IReadOnlyList<CallFact>> ListFactsAsync(string clinicId, string fromDay, string toDay, CancellationToken cancellationToken);

    /// <summary>One call's fact by its day and id; null when there is none.</summary>
    Task<CallFact?> GetFactAsync(string clinicId, string day, string factId, CancellationToken cancellationToken);

    /// <summary>Stores a recomputed summary unless a fact was written since it was read (then it stays stale).</summary>
    Task<bool> SaveDayAsync(string clinicId, DaySummary summary, ETag readAt, CancellationToken cancellationToken);
}

/// <summary>
/// Everything for a clinic lives in one partition of <c>CallFacts</c> (facts <c>d|day|id</c>, pointers <c>i|instance</c>,
/// day summaries <c>a|day</c>), so each fact write and the stale mark on its day go in one batch transaction, and a
/// date range is one range query.
/// </summary>
public sealed class TableCallFactStore(StorageClients storage) : ICallFactStore
{
    private const int PointerCacheLimit = 50_000;

    /// <summary>The most rows one batch transaction may touch.</summary>
    private const int MaxBatch = 100;

    // Pointers never change once written, so a cache is safe; it only saves the lookup on the timeline hot path.
    private readonly ConcurrentDictionary<string, string> _pointers = new(StringComparer.Ordinal);

    private TableClient Table => storage.Table(TableNames.CallFacts);

    public static string FactRowKey(string day, string factId) => $"d|{day}|{TableKeys.Escape(factId)}";

    private static string DayRowKey(string day) => $"a|{day}";

    private static string PointerRowKey(string instanceId) => $"i|{TableKeys.Escape(instanceId)}";

    public async Task RecordCallAsync(CallFact fact, CancellationToken cancellationToken)
    {
        var rowKey = FactRowKey(fact.LocalDay, fact.FactId);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpsertMerge, FactEntity(fact, rowKey)), StaleMark(fact.ClinicId, fact.LocalDay) };
        if (fact.InstanceId is { } instanceId)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, PointerEntity(fact.ClinicId, instanceId, rowKey)));
        }

        await Table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        if (fact.InstanceId is { } cached)
        {
            Remember(cached, rowKey);
        }
    }

    public async Task RecordCallsAsync(IReadOnlyList<CallFact> facts, CancellationToken cancellationToken)
    {
        foreach (var clinic in facts.GroupBy(f => f.ClinicId, StringComparer.Ordinal))
        {
            // One row once per transaction: the last fact of a repeated id wins, as it would written one by one.
            var unique = new Dictionary<string, CallFact>(StringComparer.Ordinal);
            foreach (var fact in clinic)
            {
                unique[FactRowKey(fact.LocalDay, fact.FactId)] = fact;
            }

            var batch = new List<TableTransactionAction>(MaxBatch);
            var days = new HashSet<string>(StringComparer.Ordinal);
            var pointers = new List<(string InstanceId, string RowKey)>();
            foreach (var (rowKey, fact) in unique)
            {
                var rows = 1 + (fact.InstanceId is null ? 0 : 1) + (days.Contains(fact.LocalDay) ? 0 : 1);
                if (batch.Count + days.Count + rows > MaxBatch)
                {
                    await SubmitAsync().ConfigureAwait(false);
                }

                batch.Add(new(TableTransactionActionType.UpsertMerge, FactEntity(fact, rowKey)));
                days.Add(fact.LocalDay);
                if (fact.InstanceId is { } instanceId)
                {
                    batch.Add(new(TableTransactionActionType.UpsertReplace, PointerEntity(fact.ClinicId, instanceId, rowKey)));
                    pointers.Add((instanceId, rowKey));
                }
            }

            await SubmitAsync().ConfigureAwait(false);

            async Task SubmitAsync()
            {
                if (batch.Count == 0)
                {
                    return;
                }

                batch.AddRange(days.Select(day => StaleMark(clinic.Key, day)));
                await Table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
                foreach (var (instanceId, rowKey) in pointers)
                {
                    Remember(instanceId, rowKey);
                }

                batch.Clear();
                days.Clear();
                pointers.Clear();
            }
        }
    }

    public async Task LinkAsync(string clinicId, string instanceId, string previousInstanceId, CancellationToken cancellationToken)
    {
        if (await FactKeyAsync(clinicId, previousInstanceId, cancellationToken).ConfigureAwait(false) is not { } factKey)
        {
            return;
        }

        await Table.UpsertEntityAsync(PointerEntity(clinicId, instanceId, factKey), TableUpdateMode.Replace, cancellationToken)
            .ConfigureAwait(false);
        Remember(instanceId, factKey);
    }

    public async Task<bool> ApplyAsync(string clinicId, string instanceId, FactChange change, CancellationToken cancellationToken)
    {
        if (await FactKeyAsync(clinicId, instanceId, cancellationToken).ConfigureAwait(false) is not { } factKey)
        {
            return false;
        }

        var day = factKey.Split('|')[1];
        var update = new TableEntity(clinicId, factKey);
        switch (change)
        {
            case FactChange.Texted texted:
                update["TextedAt"] = texted.At;
                break;
            case FactChange.TextRefused:
                update["TextRefused"] = true;
                break;
            case FactChange.Delivered delivered:
                update["DeliveredAt"] = delivered.At;
                break;
            case FactChange.DeliveryFailed:
                update["DeliveryFailed"] = true;
                break;
            case FactChange.Step step:
                // One property per step: a retried step sets the same property, so counts never double.
                update[StepProperty(step.StepKey)] = step.IsFollowUp ? "F" : "E";
                break;
            case FactChange.Ended ended:
                update["Outcome"] = ended.Outcome.ToString();
                update["EndedAt"] = ended.At;
                break;
            case FactChange.Replied replied:
                return await ApplyFirstReplyAsync(clinicId, factKey, day, replied.At, cancellationToken).ConfigureAwait(false);
        }

        await Table.SubmitTransactionAsync([new(TableTransactionActionType.UpsertMerge, update), StaleMark(clinicId, day)], cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    public async Task<IReadOnlyList<StoredDay>> ListDaysAsync(string clinicId, string fromDay, string toDay, CancellationToken cancellationToken)
    {
        var days = new List<StoredDay>();
        var from = DayRowKey(fromDay);
        var to = DayRowKey(toDay);
        await foreach (var row in Table.QueryAsync<TableEntity>(
                               e => e.PartitionKey == clinicId && e.RowKey.CompareTo(from) >= 0 && e.RowKey.CompareTo(to) <= 0,
                               maxPerPage: 1000, cancellationToken: cancellationToken)
                           .ConfigureAwait(false))
        {
            var day = row.RowKey[2..];
            days.Add(new StoredDay(day, DaySummaryCodec.Read(day, row), row.GetBoolean("Stale") == true, row.ETag));
        }

        return days;
    }

    public async Task<IReadOnlyList<CallFact>> ListFactsAsync(string clinicId, string fromDay, string toDay, CancellationToken cancellationToken)
    {
        var facts = new List<CallFact>();
        var from = $"d|{fromDay}|";
        var to = $"d|{toDay}|~";
        await foreach (var row in Table.QueryAsync<TableEntity>(
                               e => e.PartitionKey == clinicId && e.RowKey.CompareTo(from) >= 0 && e.RowKey.CompareTo(to) < 0,
                               maxPerPage: 1000, cancellationToken: cancellationToken)
                           .ConfigureAwait(false))
        {
            facts.Add(ReadFact(row));
        }

        return facts;
    }

    public async Task<CallFact?> GetFactAsync(string clinicId, string day, string factId, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, FactRowKey(day, factId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? ReadFact(row.Value!) : null;
    }

    public async Task<bool> SaveDayAsync(string clinicId, DaySummary summary, ETag readAt, CancellationToken cancellationToken)
    {
        var entity = DaySummaryCodec.Write(new TableEntity(clinicId, DayRowKey(summary.Day)), summary);
        entity["Stale"] = false;
        try
        {
            await Table.UpdateEntityAsync(entity, readAt, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    private static TableTransactionAction StaleMark(string clinicId, string day)
        => new(TableTransactionActionType.UpsertMerge, new TableEntity(clinicId, DayRowKey(day)) { ["Stale"] = true });

    private static TableEntity PointerEntity(string clinicId, string instanceId, string factKey)
        => new(clinicId, PointerRowKey(instanceId)) { ["FactKey"] = factKey };

    /// <summary>
    /// The fact's row for an upsert-merge: the decision fields always, the outcome fields only when set, so a merge never
    /// erases what the timeline applied. Follow-ups and escalations become one step property each, named apart from the
    /// pipeline's step keys (a fact built by the recorder has none; an imported one brings its counts).
    /// </summary>
    private static TableEntity FactEntity(CallFact fact, string rowKey)
    {
        var entity = new TableEntity(fact.ClinicId, rowKey)
        {
            ["FactId"] = fact.FactId,
            ["LocalDay"] = fact.LocalDay,
            ["LocalHour"] = fact.LocalHour,
            ["Weekday"] = fact.Weekday,
            ["OccurredAt"] = fact.OccurredAt,
            ["ReceivedAt"] = fact.ReceivedAt,
            ["CallerMasked"] = fact.CallerMasked,
            ["Eligible"] = fact.Eligible,
            ["Reason"] = fact.Reason,
            ["InstanceId"] = fact.InstanceId ?? string.Empty,
        };

        void Set(string name, object? value)
        {
            if (value is not null)
            {
                entity[name] = value;
            }
        }

        Set("CallerNumber", fact.CallerNumber);
        Set("TextedAt", fact.TextedAt);
        Set("TextRefused", fact.TextRefused ? true : null);
        Set("DeliveredAt", fact.DeliveredAt);
        Set("DeliveryFailed", fact.DeliveryFailed ? true : null);
        Set("FirstReplyAt", fact.FirstReplyAt);
        Set("Outcome", fact.Outcome?.ToString());
        Set("EndedAt", fact.EndedAt);
        for (var i = 0; i < fact.FollowUps; i++)
        {
            entity[StepProperty($"recorded-follow-up-{i}")] = "F";
        }

        for (var i = 0; i < fact.Escalations; i++)
        {
            entity[StepProperty($"recorded-escalation-{i}")] = "E";
        }

        return entity;
    }

    private async Task<bool> ApplyFirstReplyAsync(string clinicId, string factKey, string day, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var row = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, factKey, ["FirstReplyAt"], cancellationToken).ConfigureAwait(false);
            if (!row.HasValue)
            {
                return false;
            }

            if (row.Value!.GetDateTimeOffset("FirstReplyAt") is { } first && first <= at)
            {
                return true;
            }

            try
            {
                await Table.SubmitTransactionAsync(
                [
                    new(TableTransactionActionType.UpdateMerge, new TableEntity(clinicId, factKey) { ["FirstReplyAt"] = at }, row.Value.ETag),
                    StaleMark(clinicId, day),
                ], cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 412)
            {
                // Another reply landed first: read again.
            }
        }

        throw new InvalidOperationException("The first-reply time kept changing.");
    }

    private async Task<string?> FactKeyAsync(string clinicId, string instanceId, CancellationToken cancellationToken)
    {
        if (_pointers.TryGetValue(instanceId, out var cached))
        {
            return cached;
        }

        var row = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, PointerRowKey(instanceId), ["FactKey"], cancellationToken).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }

        var key = row.Value!.GetString("FactKey");
        Remember(instanceId, key);
        return key;
    }

    private void Remember(string instanceId, string factKey)
    {
        if (_pointers.Count >= PointerCacheLimit)
        {
            _pointers.Clear();
        }

        _pointers[instanceId] = factKey;
    }

    internal static string StepProperty(string stepKey)
    {
        var name = new StringBuilder("Step_");
        foreach (var c in stepKey)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return name.ToString();
    }

    private static CallFact ReadFact(TableEntity e)
    {
        int followUps = 0, escalations = 0;
        foreach (var (name, value) in e)
        {
            if (name.StartsWith("Step_", StringComparison.Ordinal))
            {
                if ((value as string) == "F")
                {
                    followUps++;
                }
                else
                {
                    escalations++;
                }
            }
        }

        return new CallFact
        {
            ClinicId = e.PartitionKey,
            FactId = e.GetString("FactId"),
            LocalDay = e.GetString("LocalDay"),
            LocalHour = e.GetInt32("LocalHour") ?? 0,
            Weekday = e.GetInt32("Weekday") ?? 0,
            OccurredAt = e.GetDateTimeOffset("OccurredAt") ?? default,
            ReceivedAt = e.GetDateTimeOffset("ReceivedAt") ?? default,
            CallerMasked = e.GetString("CallerMasked") ?? string.Empty,
            CallerNumber = e.GetString("CallerNumber"),
            Eligible = e.GetBoolean("Eligible") == true,
            Reason = e.GetString("Reason") ?? string.Empty,
            InstanceId = e.GetString("InstanceId") is { Length: > 0 } id ? id : null,
            TextedAt = e.GetDateTimeOffset("TextedAt"),
            TextRefused = e.GetBoolean("TextRefused") == true,
            DeliveredAt = e.GetDateTimeOffset("DeliveredAt"),
            DeliveryFailed = e.GetBoolean("DeliveryFailed") == true,
            FirstReplyAt = e.GetDateTimeOffset("FirstReplyAt"),
            FollowUps = followUps,
            Escalations = escalations,
            Outcome = Enum.TryParse<RecoveryOutcome>(e.GetString("Outcome"), out var outcome) ? outcome : null,
            EndedAt = e.GetDateTimeOffset("EndedAt"),
        };
    }
}
