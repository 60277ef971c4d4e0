using Microsoft.Azure.Functions.Worker;
using MissedCallFunctions.Reporting;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>
/// The managers' morning summary: every 15 minutes the sender texts each clinic whose send time (clinic-local) has
/// passed and whose summary of yesterday has not gone out yet. Overlapping runs are safe (the ledger claims each day once).
/// </summary>
public sealed class DailySummaryFunctions(DailySummarySender sender)
{
    public const string Schedule = "0 */15 * * * *";

    [Function(nameof(SendDailySummaries))]
    public Task SendDailySummaries([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
        => sender.SendDueAsync(cancellationToken);
}
