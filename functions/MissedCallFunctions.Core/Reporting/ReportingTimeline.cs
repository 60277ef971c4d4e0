using MissedCallFunctions.Recovery;

namespace MissedCallFunctions.Reporting;

/// <summary>
/// The timeline, with every entry that matters to the reports also applied to the call's fact. Every timeline write
/// comes from an activity or a webhook that is retried on failure, and fact updates are idempotent, so the reports
/// follow the pipeline's own records without a second write path to keep in step.
/// </summary>
public sealed class ReportingRecoveryTimeline(TableRecoveryTimeline inner, ICallFactStore facts) : IRecoveryTimeline
{
    public async Task RecordAsync(string clinicId, string instanceId, TimelineEntry entry, CancellationToken cancellationToken)
    {
        await inner.RecordAsync(clinicId, instanceId, entry, cancellationToken).ConfigureAwait(false);
        if (FactChange.From(entry) is { } change)
        {
            await facts.ApplyAsync(clinicId, instanceId, change, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<IReadOnlyList<TimelineEntry>> ListAsync(string instanceId, CancellationToken cancellationToken) => inner.ListAsync(instanceId, cancellationToken);
}
