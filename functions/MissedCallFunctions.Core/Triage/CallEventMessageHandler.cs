using System.Text.Json;
using MissedCallFunctions.Ingest;

namespace MissedCallFunctions.Triage;

/// <summary>How a host must settle a queue message after the processor ran.</summary>
public abstract record Settlement
{
    public sealed record Complete(ProcessResult.Decided Result) : Settlement;

    /// <summary>Dead-letter (Service Bus) or move to the poison queue (local), with the reason.</summary>
    public sealed record DeadLetter(string Reason, string Description) : Settlement;
}

/// <summary>
/// The queue-facing edge of the processor, shared by the Service Bus trigger and the local queue pump: reads the
/// message, runs the processor, and says how to settle. Transient failures throw (the message is retried).
/// </summary>
public sealed class CallEventMessageHandler(CallEventProcessor processor)
{
    public async Task<Settlement> HandleAsync(BinaryData body, Recovery.IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        CallEvent callEvent;
        try
        {
            callEvent = CallEventSerializer.Deserialize(body);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException)
        {
            return new Settlement.DeadLetter("InvalidBody", "The message is not a call event: " + ex.GetType().Name);
        }

        var result = await processor.ProcessAsync(callEvent, orchestrations, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            ProcessResult.Decided decided => new Settlement.Complete(decided),
            ProcessResult.Rejected rejected => new Settlement.DeadLetter(rejected.Reason, rejected.Description),
            _ => throw new InvalidOperationException("Unknown process result."),
        };
    }
}
