using Microsoft.Azure.Functions.Worker;
using MissedCallFunctions.Reporting;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>
/// Every 15 minutes: stale day summaries recomputed for every clinic, then the managers' morning summaries that are
/// due (clinic-local send time passed, yesterday's not sent yet). Overlapping runs are safe (the ledger claims each day once).
/// </summary>
public sealed class ReportingFunctions(ReportingUpkeep upkeep)
{
    public const string Schedule = "0 */15 * * * *";

    [Function(nameof(ReportingUpkeep))]
    public Task ReportingUpkeep([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) => upkeep.RunAsync(cancellationToken);
}
