using MissedCallFunctions.Clinics;
using Microsoft.Extensions.Logging;

namespace MissedCallFunctions.Reporting;

/// <summary>
/// The reporting side's periodic work, run by a timer: bring every clinic's day summaries up to date (so the
/// dashboard's first request after a busy day or a bulk import does not pay for them), then send the morning summaries
/// that are due.
/// </summary>
public sealed partial class ReportingUpkeep(IClinicDirectory clinics, ClinicReports reports, DailySummarySender summaries, ILogger<ReportingUpkeep> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var recomputed = 0;
        foreach (var clinic in await clinics.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            var today = reports.Today(clinic);
            var (_, days) = await reports.SummariesAsync(clinic.Id, ReportRange.Format(today.AddDays(1 - ReportRange.MaxDays)), ReportRange.Format(today),
                cancellationToken).ConfigureAwait(false);
            recomputed += days;
        }

        LogRefreshed(logger, recomputed);
        await summaries.SendDueAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Reporting upkeep: {Days} stale day summaries recomputed")]
    private static partial void LogRefreshed(ILogger logger, int days);
}
