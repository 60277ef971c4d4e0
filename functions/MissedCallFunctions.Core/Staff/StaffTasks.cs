using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Staff;

/// <summary>A callback task on the clinic's staff board: who called, when, how often, what they said, how urgent.</summary>
public sealed record StaffTask(
    string ClinicId,
    string TaskId,
    string? CallerNumber,
    string? CallerName,
    string Reason,
    bool Urgent,
    int CallCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset DueAt,
    IReadOnlyList<string> Replies,
    string? RecoveryInstanceId,
    bool Open,
    DateTimeOffset? HandledAt,
    string? HandledBy);

/// <summary>Opens or updates a task; the id is chosen by the caller so retries update the same task.</summary>
public sealed record StaffTaskRequest(
    string ClinicId,
    string TaskId,
    string? CallerNumber,
    string? CallerName,
    string Reason,
    bool Urgent,
    int CallCount,
    DateTimeOffset At,
    DateTimeOffset DueAt,
    IReadOnlyList<string> Replies,
    string? RecoveryInstanceId,
    bool Reopen = false);

public static class StaffTaskIds
{
    /// <summary>A short, stable id from a message id (task ids show up in links).</summary>
    public static string For(string messageId)
        => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(messageId)))[..16].ToLowerInvariant();
}

public interface IStaffTaskStore
{
    /// <summary>Opens the task, or updates it (urgency only ever rises; replies and call count only grow).</summary>
    Task<StaffTask> OpenOrUpdateAsync(StaffTaskRequest request, CancellationToken cancellationToken);

    Task<StaffTask?> GetAsync(string clinicId, string taskId, CancellationToken cancellationToken);

    Task<IReadOnlyList<StaffTask>> ListAsync(string clinicId, bool openOnly, CancellationToken cancellationToken);

    /// <summary>Marks the task handled; false when it does not exist.</summary>
    Task<StaffTask?> MarkHandledAsync(string clinicId, string taskId, string by, DateTimeOffset at, CancellationToken cancellationToken);
}

public sealed class TableStaffTaskStore(StorageClients storage) : IStaffTaskStore
{
    private TableClient Table => storage.Table(TableNames.StaffTasks);

    // Replies to one task come from one patient and staff: a handful of writers at most, each round lets one through.
    private const int MaxAttempts = 30;

    public async Task<StaffTask> OpenOrUpdateAsync(StaffTaskRequest request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (existing, etag) = await ReadAsync(request.ClinicId, request.TaskId, cancellationToken).ConfigureAwait(false);
            var task = existing is null
                ? new StaffTask(request.ClinicId, request.TaskId, request.CallerNumber, request.CallerName, request.Reason, request.Urgent,
                    request.CallCount, request.At, request.DueAt, request.Replies, request.RecoveryInstanceId, true, null, null)
                : existing with
                {
                    Reason = request.Urgent && !existing.Urgent ? request.Reason : existing.Reason,
                    Urgent = existing.Urgent || request.Urgent,
                    CallCount = Math.Max(existing.CallCount, request.CallCount),
                    Replies = existing.Replies.Union(request.Replies).ToList(),
                    DueAt = request.Urgent ? Min(existing.DueAt, request.DueAt) : existing.DueAt,
                    // A new message on a handled conversation needs someone again.
                    Open = existing.Open || request.Reopen,
                    HandledAt = existing.Open || !request.Reopen ? existing.HandledAt : null,
                    HandledBy = existing.Open || !request.Reopen ? existing.HandledBy : null,
                };
            try
            {
                var entity = ToEntity(task);
                if (existing is null)
                {
                    await Table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // The ETag of the row this merge was made from: a concurrent change (another reply, staff marking it
                    // handled) fails it with 412 and the merge is redone on top of that change.
                    await Table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }

                return task;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // A concurrent writer got there first: merge again (each round lets at least one writer through).
                await Task.Delay(Random.Shared.Next(5, 25) * Math.Min(attempt + 1, 4), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<StaffTask?> GetAsync(string clinicId, string taskId, CancellationToken cancellationToken)
        => (await ReadAsync(clinicId, taskId, cancellationToken).ConfigureAwait(false)).Task;

    private async Task<(StaffTask? Task, ETag ETag)> ReadAsync(string clinicId, string taskId, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, TableKeys.Escape(taskId), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue ? (FromEntity(row.Value!), row.Value!.ETag) : (null, default);
    }

    public async Task<IReadOnlyList<StaffTask>> ListAsync(string clinicId, bool openOnly, CancellationToken cancellationToken)
    {
        var filter = openOnly
            ? TableClient.CreateQueryFilter($"PartitionKey eq {clinicId} and Open eq true")
            : TableClient.CreateQueryFilter($"PartitionKey eq {clinicId}");
        var tasks = new List<StaffTask>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            tasks.Add(FromEntity(row));
        }

        return tasks.OrderByDescending(t => t.Urgent).ThenBy(t => t.DueAt).ToList();
    }

    public async Task<StaffTask?> MarkHandledAsync(string clinicId, string taskId, string by, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (existing, etag) = await ReadAsync(clinicId, taskId, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                return null;
            }

            if (!existing.Open)
            {
                return existing;
            }

            var handled = existing with { Open = false, HandledAt = at, HandledBy = by };
            try
            {
                // Conditional: a reply that reopened or extended the task meanwhile is not overwritten with the old row.
                await Table.UpdateEntityAsync(ToEntity(handled), etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return handled;
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxAttempts)
            {
                // Changed since the read: decide again on the new row.
            }
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TableEntity ToEntity(StaffTask t) => new(t.ClinicId, TableKeys.Escape(t.TaskId))
    {
        ["TaskId"] = t.TaskId,
        ["CallerNumber"] = t.CallerNumber,
        ["CallerName"] = t.CallerName,
        ["Reason"] = t.Reason,
        ["Urgent"] = t.Urgent,
        ["CallCount"] = t.CallCount,
        ["CreatedAt"] = t.CreatedAt,
        ["DueAt"] = t.DueAt,
        ["Replies"] = JsonSerializer.Serialize(t.Replies),
        ["RecoveryInstanceId"] = t.RecoveryInstanceId,
        ["Open"] = t.Open,
        ["HandledAt"] = t.HandledAt,
        ["HandledBy"] = t.HandledBy,
    };

    private static StaffTask FromEntity(TableEntity e) => new(
        e.PartitionKey, e.GetString("TaskId"), e.GetString("CallerNumber"), e.GetString("CallerName"), e.GetString("Reason"),
        e.GetBoolean("Urgent") == true, e.GetInt32("CallCount") ?? 1, e.GetDateTimeOffset("CreatedAt") ?? default,
        e.GetDateTimeOffset("DueAt") ?? default, JsonSerializer.Deserialize<List<string>>(e.GetString("Replies") ?? "[]") ?? [],
        e.GetString("RecoveryInstanceId"), e.GetBoolean("Open") == true, e.GetDateTimeOffset("HandledAt"), e.GetString("HandledBy"));
}
