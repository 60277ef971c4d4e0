using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Triage;

/// <summary>
/// Who asked this clinic to stop texting them. Our own ledger, per clinic and caller, because carrier-side opt-out
/// handling differs by number type and country and must never be the only guard.
/// </summary>
public interface IOptOutLedger
{
    Task<bool> IsOptedOutAsync(string clinicId, string callerE164, CancellationToken cancellationToken);

    Task OptOutAsync(string clinicId, string callerE164, string source, DateTimeOffset at, CancellationToken cancellationToken);

    Task OptInAsync(string clinicId, string callerE164, string source, DateTimeOffset at, CancellationToken cancellationToken);
}

public sealed class TableOptOutLedger(StorageClients storage) : IOptOutLedger
{
    private TableClient Table => storage.Table(TableNames.OptOuts);

    public async Task<bool> IsOptedOutAsync(string clinicId, string callerE164, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, TableKeys.Escape(callerE164), ["OptedOut"], cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue && row.Value!.GetBoolean("OptedOut") == true;
    }

    public Task OptOutAsync(string clinicId, string callerE164, string source, DateTimeOffset at, CancellationToken cancellationToken)
        => SetAsync(clinicId, callerE164, optedOut: true, source, at, cancellationToken);

    public Task OptInAsync(string clinicId, string callerE164, string source, DateTimeOffset at, CancellationToken cancellationToken)
        => SetAsync(clinicId, callerE164, optedOut: false, source, at, cancellationToken);

    /// <summary>
    /// The newest change wins, whatever order the changes are processed in (webhook retries, out-of-order delivery): a
    /// START processed after a later STOP must not opt the caller back in.
    /// </summary>
    private async Task SetAsync(string clinicId, string callerE164, bool optedOut, string source, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var rowKey = TableKeys.Escape(callerE164);
        var entity = new TableEntity(clinicId, rowKey)
        {
            ["OptedOut"] = optedOut,
            ["Source"] = source,
            ["ChangedAt"] = at,
        };
        for (var attempt = 0; ; attempt++)
        {
            var existing = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, rowKey, ["OptedOut", "ChangedAt"], cancellationToken)
                .ConfigureAwait(false);
            try
            {
                if (!existing.HasValue)
                {
                    await Table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                    return;
                }

                var current = existing.Value!;
                if (current.GetDateTimeOffset("ChangedAt") is { } changedAt && changedAt > at)
                {
                    return;
                }

                await Table.UpdateEntityAsync(entity, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 30)
            {
                // Another change landed in between: compare with it (each round lets at least one writer through).
                await Task.Delay(Random.Shared.Next(5, 25), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
