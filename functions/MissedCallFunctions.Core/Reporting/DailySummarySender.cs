using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Reporting;

/// <summary>Where the manager's dashboard is served from (the app's public URL; in Azure set by the Bicep).</summary>
public sealed class DashboardOptions : IValidatableObject
{
    public const string Section = "Dashboard";

    /// <summary>Absolute http(s) URL the dashboard routes (<c>/api/dashboard/...</c>) hang off; empty: texts carry no link.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The clinic's dashboard URL with its first dashboard token; null without a base URL or a token.</summary>
    public string? LinkFor(ClinicConfig clinic)
    {
        ArgumentNullException.ThrowIfNull(clinic);
        if (string.IsNullOrWhiteSpace(PublicBaseUrl) || clinic.DashboardTokens.Count == 0)
        {
            return null;
        }

        return $"{PublicBaseUrl.TrimEnd('/')}/api/dashboard/{Uri.EscapeDataString(clinic.Id)}?token={Uri.EscapeDataString(clinic.DashboardTokens[0])}";
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(PublicBaseUrl)
            && !(Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
        {
            yield return new ValidationResult("Dashboard:PublicBaseUrl must be an absolute http(s) URL.", [nameof(PublicBaseUrl)]);
        }
    }
}

/// <summary>When a clinic's summary is due: from its <see cref="DailySummarySettings.At"/> in its own time zone, for the day before.</summary>
public static class DailySummarySchedule
{
    /// <summary>The clinic-local day whose summary is due at <paramref name="now"/>, or null (disabled, or too early today).</summary>
    public static DateOnly? DueDay(ClinicConfig clinic, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(clinic);
        if (!clinic.DailySummary.Enabled
            || !TimeOnly.TryParseExact(clinic.DailySummary.At, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            return null;
        }

        // Compared as times of day, so a send time skipped by a DST change is simply passed at the jump.
        var local = ClinicCalendar.ToLocal(clinic, now).DateTime;
        return TimeOnly.FromDateTime(local) >= at ? DateOnly.FromDateTime(local).AddDays(-1) : null;
    }
}

/// <summary>
/// Texts each clinic's managers the previous clinic-local day's figures and open tasks, once per clinic and day:
/// the ledger row is the lock, and each manager's repeatability id is derived from clinic, day and number so a
/// retried send is never a second text. Called by a timer (Functions) or a background loop (local host).
/// </summary>
public sealed partial class DailySummarySender(
    IClinicDirectory clinics,
    ClinicReports reports,
    IDailySummaryLedger ledger,
    ISmsChannelResolver channels,
    IOptions<DashboardOptions> dashboard,
    TimeProvider time,
    ILogger<DailySummarySender> logger)
{
    /// <summary>Sends every summary that is due and not sent yet.</summary>
    /// <returns>How many texts the provider accepted in this call.</returns>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var accepted = 0;
        foreach (var clinic in await clinics.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (DailySummarySchedule.DueDay(clinic, now) is { } day)
            {
                accepted += await SendAsync(clinic, day, now, cancellationToken).ConfigureAwait(false);
            }
        }

        return accepted;
    }

    private async Task<int> SendAsync(ClinicConfig clinic, DateOnly day, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var claim = await ledger.TryClaimAsync(clinic.Id, day, now, cancellationToken).ConfigureAwait(false);
        if (claim is null)
        {
            return 0;
        }

        var managers = clinic.StaffContacts.Where(c => c.Role == StaffRole.Manager).DistinctBy(c => c.Phone, StringComparer.Ordinal).ToList();
        if (managers.Count == 0 || clinic.Numbers.Count == 0)
        {
            LogNoRecipient(logger, clinic.Id, ReportRange.Format(day), managers.Count == 0 ? "no staff contact with the manager role" : "no clinic number to send from");
            await ledger.CompleteAsync(claim, managers.Count == 0 ? "no-manager" : "no-number", cancellationToken).ConfigureAwait(false);
            return 0;
        }

        try
        {
            var report = await reports.BuildAsync(clinic, new ReportRange(day, day), cancellationToken).ConfigureAwait(false);
            var body = DailySummaryText.Compose(clinic.Name, day, report, dashboard.Value.LinkFor(clinic));
            var channel = channels.For(clinic);
            var accepted = 0;
            foreach (var manager in managers)
            {
                if (await ledger.WasSentToAsync(claim, manager.Phone, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                var result = await channel.SendAsync(
                    new OutgoingSms(clinic.Numbers[0], manager.Phone, body, RepeatabilityId(clinic.Id, day, manager.Phone), claim.FirstSent, Tag(clinic.Id, day)),
                    cancellationToken).ConfigureAwait(false);
                if (result.Accepted)
                {
                    await ledger.RecordSentAsync(claim, manager.Phone, result.ProviderMessageId ?? string.Empty, cancellationToken).ConfigureAwait(false);
                    accepted++;
                    LogSent(logger, clinic.Id, ReportRange.Format(day), PhoneNumberTools.Mask(manager.Phone));
                }
                else
                {
                    // A permanent refusal (opted out, invalid number): retrying the same text cannot help.
                    LogRefused(logger, clinic.Id, ReportRange.Format(day), PhoneNumberTools.Mask(manager.Phone), result.HttpStatusCode);
                }
            }

            await ledger.CompleteAsync(claim, "sent", cancellationToken).ConfigureAwait(false);
            return accepted;
        }
        catch (Exception ex) when (ex is SmsTransientException or SmsChannelException or RequestFailedException or InvalidOperationException)
        {
            // Provider or storage away, or the clinic's channel not configured here: the next tick tries again.
            LogWillRetry(logger, clinic.Id, ReportRange.Format(day), claim.Attempt, ex);
            await ReleaseQuietlyAsync(claim).ConfigureAwait(false);
            return 0;
        }
    }

    private async Task ReleaseQuietlyAsync(DailySummaryClaim claim)
    {
        try
        {
            await ledger.ReleaseAsync(claim, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            // Storage still away: the claim's lease runs out instead.
        }
    }

    /// <summary>The same for every attempt at one clinic's summary of one day to one number.</summary>
    public static string RepeatabilityId(string clinicId, DateOnly day, string recipient)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"daily-summary|{clinicId}|{ReportRange.Format(day)}|{recipient}"));
        return new Guid(bytes.AsSpan(0, 16)).ToString();
    }

    /// <summary>Echoed in delivery reports; no personal data.</summary>
    public static string Tag(string clinicId, DateOnly day) => $"daily-summary|{clinicId}|{ReportRange.Format(day)}";

    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Daily summary of {Day} for clinic {ClinicId} accepted for {Recipient}")]
    private static partial void LogSent(ILogger logger, string clinicId, string day, string recipient);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Daily summary of {Day} for clinic {ClinicId} refused for {Recipient} ({Status})")]
    private static partial void LogRefused(ILogger logger, string clinicId, string day, string recipient, int status);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Daily summary of {Day} for clinic {ClinicId} not sent: {Reason}")]
    private static partial void LogNoRecipient(ILogger logger, string clinicId, string day, string reason);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Daily summary of {Day} for clinic {ClinicId} failed on attempt {Attempt}; the next run retries it")]
    private static partial void LogWillRetry(ILogger logger, string clinicId, string day, int attempt, Exception exception);
}
