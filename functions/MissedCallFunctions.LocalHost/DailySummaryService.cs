using Azure;
using MissedCallFunctions.Reporting;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.LocalHost;

/// <summary>
/// Stands in for the timer trigger locally: runs the reporting upkeep (stale day summaries, then due morning summaries) at start-up and then every
/// <see cref="LocalHostOptions.DailySummaryInterval"/> (off with <c>LocalHost:RunDailySummary=false</c>).
/// </summary>
public sealed partial class DailySummaryService(
    ReportingUpkeep upkeep,
    IOptions<LocalHostOptions> options,
    TimeProvider time,
    ILogger<DailySummaryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.DailySummaryInterval, time);
        try
        {
            do
            {
                try
                {
                    await upkeep.RunAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or IOException)
                {
                    // Storage away (Azurite restarting): the next run tries again, nothing was claimed.
                    LogFailed(logger, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Daily summaries could not be checked, retrying at the next run: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
