using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Reporting;

/// <summary>The right to send one clinic's summary of one day, held until <see cref="IDailySummaryLedger.CompleteAsync"/>.</summary>
/// <param name="FirstSent">When the first attempt claimed the day: the repeatability first-sent time of every retry.</param>
/// <param name="Attempt">1 for the first claim, higher when an unfinished attempt was taken over.</param>
/// <param name="ETag">The claim row's version: completing or releasing fails quietly when another attempt took it over.</param>
public sealed record DailySummaryClaim(string ClinicId, DateOnly Day, DateTimeOffset FirstSent, int Attempt, ETag ETag);

/// <summary>Exactly one daily summary per clinic and day, across timer ticks, retries and instances.</summary>
public interface IDailySummaryLedger
{
    /// <summary>Claims the day; null when it is done, or another attempt holds an unexpired lease, or it has failed too often.</summary>
    Task<DailySummaryClaim?> TryClaimAsync(string clinicId, DateOnly day, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Whether an earlier attempt of the same day already had the text to this recipient accepted.</summary>
    Task<bool> WasSentToAsync(DailySummaryClaim claim, string recipient, CancellationToken cancellationToken);

    Task RecordSentAsync(DailySummaryClaim claim, string recipient, string providerMessageId, CancellationToken cancellationToken);

    /// <summary>Marks the day done (<paramref name="outcome"/>: sent, no-manager, ...): no later tick claims it.</summary>
    Task CompleteAsync(DailySummaryClaim claim, string outcome, CancellationToken cancellationToken);

    /// <summary>Gives the day back after a transient failure, so the next tick retries it at once.</summary>
    Task ReleaseAsync(DailySummaryClaim claim, CancellationToken cancellationToken);
}

/// <summary>
/// <c>DailySummaries</c>: one row per clinic (partition) and day (row key yyyy-MM-dd), inserted by exactly one
/// claimant (409 for every other); one row per recipient whose text was accepted (<c>yyyy-MM-dd|phone</c>). An
/// attempt that died holding the claim is taken over once its lease has passed (optimistic concurrency on the ETag).
/// </summary>
public sealed class TableDailySummaryLedger(StorageClients storage) : IDailySummaryLedger
{
    /// <summary>Longer than one attempt can take, shorter than the 15-minute timer: a dead attempt is retried at the next tick.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    /// <summary>Attempts per clinic and day before the ledger stops handing the day out.</summary>
    public const int MaxAttempts = 5;

    private const string Sending = "sending";

    private TableClient Table => storage.Table(TableNames.DailySummaries);

    private static string DayKey(DateOnly day) => ReportRange.Format(day);

    private static string RecipientKey(DateOnly day, string recipient) => $"{DayKey(day)}|{TableKeys.Escape(recipient)}";

    public async Task<DailySummaryClaim?> TryClaimAsync(string clinicId, DateOnly day, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = new TableEntity(clinicId, DayKey(day))
        {
            ["Status"] = Sending,
            ["FirstSent"] = now,
            ["LeaseUntil"] = now + Lease,
            ["Attempts"] = 1,
        };
        try
        {
            var added = await Table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            return new DailySummaryClaim(clinicId, day, now, 1, added.Headers.ETag ?? ETag.All);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Claimed before: done, in progress elsewhere, or left behind by an attempt that failed or died.
        }

        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, DayKey(day), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!existing.HasValue)
        {
            return null;
        }

        var current = existing.Value!;
        var attempts = current.GetInt32("Attempts") ?? 1;
        if (current.GetString("Status") != Sending || current.GetDateTimeOffset("LeaseUntil") > now || attempts >= MaxAttempts)
        {
            return null;
        }

        current["LeaseUntil"] = now + Lease;
        current["Attempts"] = attempts + 1;
        try
        {
            var updated = await Table.UpdateEntityAsync(current, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return new DailySummaryClaim(clinicId, day, current.GetDateTimeOffset("FirstSent") ?? now, attempts + 1, updated.Headers.ETag ?? ETag.All);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return null; // another instance took it over first
        }
    }

    public async Task<bool> WasSentToAsync(DailySummaryClaim claim, string recipient, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(claim.ClinicId, RecipientKey(claim.Day, recipient), ["ProviderMessageId"], cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue;
    }

    public Task RecordSentAsync(DailySummaryClaim claim, string recipient, string providerMessageId, CancellationToken cancellationToken)
        => Table.UpsertEntityAsync(new TableEntity(claim.ClinicId, RecipientKey(claim.Day, recipient)) { ["ProviderMessageId"] = providerMessageId },
            TableUpdateMode.Replace, cancellationToken);

    public Task CompleteAsync(DailySummaryClaim claim, string outcome, CancellationToken cancellationToken)
        => UpdateClaimAsync(claim, new TableEntity(claim.ClinicId, DayKey(claim.Day)) { ["Status"] = outcome }, cancellationToken);

    public Task ReleaseAsync(DailySummaryClaim claim, CancellationToken cancellationToken)
        => UpdateClaimAsync(claim, new TableEntity(claim.ClinicId, DayKey(claim.Day)) { ["LeaseUntil"] = claim.FirstSent.AddYears(-1) }, cancellationToken);

    private async Task UpdateClaimAsync(DailySummaryClaim claim, TableEntity change, CancellationToken cancellationToken)
    {
        try
        {
            await Table.UpdateEntityAsync(change, claim.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            // The lease ran out and another attempt took the day over: it finishes the job.
        }
    }
}
