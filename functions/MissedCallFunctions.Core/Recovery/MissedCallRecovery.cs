using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Recovery;

/// <summary>A missed call the processor decided to recover: everything the recovery needs to start.</summary>
public sealed record MissedCall(
    string ClinicId,
    string ClinicNumber,
    string CallerNumber,
    string? CallerName,
    string MessageId,
    DateTimeOffset OccurredAt,
    DateTimeOffset ReceivedAt);

/// <summary>
/// Starts (or joins) the recovery of a missed call. Must be idempotent on <see cref="MissedCall.MessageId"/>:
/// the processor calls it again when a queue message is redelivered.
/// </summary>
public interface IMissedCallRecoveryStarter
{
    Task StartAsync(MissedCall missedCall, CancellationToken cancellationToken);
}

/// <summary>
/// Records each missed call to recover in the <c>Recoveries</c> table, one row per call event, state
/// <c>requested</c>. This is the seam the recovery orchestration plugs into.
/// </summary>
public sealed class RecoveryRequestRecorder(StorageClients storage, TimeProvider time) : IMissedCallRecoveryStarter
{
    public async Task StartAsync(MissedCall missedCall, CancellationToken cancellationToken)
    {
        try
        {
            await storage.Table(TableNames.Recoveries).AddEntityAsync(
                new TableEntity(missedCall.ClinicId, TableKeys.Escape(missedCall.MessageId))
                {
                    ["State"] = "requested",
                    ["ClinicNumber"] = missedCall.ClinicNumber,
                    ["CallerNumber"] = missedCall.CallerNumber,
                    ["CallerName"] = missedCall.CallerName,
                    ["OccurredAt"] = missedCall.OccurredAt,
                    ["ReceivedAt"] = missedCall.ReceivedAt,
                    ["RequestedAt"] = time.GetUtcNow(),
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Redelivered event: already requested.
        }
    }
}
