using Microsoft.DurableTask.Client;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Recovery;

/// <summary>A missed call the processor decided to recover: everything the recovery needs to start.</summary>
public sealed record MissedCall(
    string ClinicId,
    string ClinicNumber,
    string CallerNumber,
    string? CallerName,
    string MessageId,
    DateTimeOffset OccurredAt,
    DateTimeOffset ReceivedAt,
    bool KnownPatient = false);

/// <summary>
/// The Durable engine as the use cases see it. Passed in per call because each host gets its client differently
/// (DI locally; the [DurableClient] binding in Azure Functions).
/// </summary>
public interface IRecoveryOrchestrations
{
    /// <summary>Schedules a recovery; false when an instance with that id exists already.</summary>
    Task<bool> StartAsync(RecoveryInput input, CancellationToken cancellationToken);

    /// <summary>Rings the recovery's doorbell: "look at your inbox".</summary>
    Task WakeAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Null when there is no such instance; otherwise whether it is still live (pending, running, suspended).</summary>
    Task<bool?> IsLiveAsync(string instanceId, CancellationToken cancellationToken);
}

public sealed class DurableRecoveryOrchestrations(DurableTaskClient client) : IRecoveryOrchestrations
{
    public async Task<bool> StartAsync(RecoveryInput input, CancellationToken cancellationToken)
    {
        if (await client.GetInstanceAsync(input.InstanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(RecoveryNames.Orchestration, input,
                new Microsoft.DurableTask.StartOrchestrationOptions(input.InstanceId), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (IsAlreadyExists(ex))
        {
            return false;
        }
    }

    public Task WakeAsync(string instanceId, CancellationToken cancellationToken)
        => client.RaiseEventAsync(instanceId, RecoveryNames.Doorbell, "inbox", cancellationToken);

    public async Task<bool?> IsLiveAsync(string instanceId, CancellationToken cancellationToken)
    {
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        return metadata?.RuntimeStatus switch
        {
            null => null,
            OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended => true,
            _ => false,
        };
    }

    // The gRPC client surfaces "instance exists" as an RpcException (AlreadyExists) or InvalidOperationException.
    private static bool IsAlreadyExists(Exception ex)
        => ex is InvalidOperationException || (ex.GetType().Name == "RpcException" && ex.Message.Contains("AlreadyExists", StringComparison.OrdinalIgnoreCase))
           || ex.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase);
}

public sealed class RecoveryOptions
{
    public const string Section = "Recovery";

    /// <summary>
    /// Base URL of the host serving the dashboard routes, for signed task links in staff alerts
    /// (<see cref="Staff.TaskLinks"/>); empty: alerts name the task id only.
    /// </summary>
    public string TaskLinkBase { get; set; } = string.Empty;

    /// <summary>How long a task link in a staff alert opens its task.</summary>
    public TimeSpan TaskLinkLifetime { get; set; } = TimeSpan.FromDays(3);
}

public enum RecoveryStartResult
{
    Started,
    /// <summary>The caller already had a live recovery: this call joined it as a repeat call.</summary>
    Joined,
}

/// <summary>
/// Starts a recovery, or joins the caller's live one, and routes replies and staff actions to it. The
/// <c>Recoveries</c> row per (clinic, caller) is the lock: inserted by exactly one of two concurrent processors.
/// </summary>
public sealed partial class RecoveryCoordinator(
    IRecoveryRegistry registry,
    IRecoveryInbox inbox,
    IClinicDirectory clinics,
    Reporting.ICallFactStore reportFacts,
    TimeProvider time,
    ILogger<RecoveryCoordinator> logger)
{
    public async Task<RecoveryStartResult> StartOrJoinAsync(MissedCall call, IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        var instanceId = RecoveryNames.InstanceIdFor(call.ClinicId, call.CallerNumber, call.MessageId);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var now = time.GetUtcNow();
            if (await registry.TryAddLiveAsync(call.ClinicId, call.CallerNumber, instanceId, now, cancellationToken, call.ClinicNumber).ConfigureAwait(false))
            {
                await ScheduleAsync(call, instanceId, orchestrations, cancellationToken).ConfigureAwait(false);
                return RecoveryStartResult.Started;
            }

            var existing = await registry.GetAsync(call.ClinicId, call.CallerNumber, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                continue;
            }

            if (existing.InstanceId == instanceId)
            {
                // Redelivery of the event that started it (perhaps after a crash before scheduling): make sure it runs.
                await ScheduleAsync(call, instanceId, orchestrations, cancellationToken).ConfigureAwait(false);
                return RecoveryStartResult.Started;
            }

            if (existing.Live)
            {
                if (await IsRunningAsync(existing, orchestrations, cancellationToken).ConfigureAwait(false))
                {
                    await inbox.AddAsync(existing.InstanceId, new InboxItem(call.MessageId, InboxKind.RepeatCall, call.OccurredAt), cancellationToken)
                        .ConfigureAwait(false);
                    await orchestrations.WakeAsync(existing.InstanceId, cancellationToken).ConfigureAwait(false);

                    // Ended meanwhile? Then it may never read the call: start afresh. The ending recovery also hands
                    // unread repeat calls to staff, so in the tightest race the caller gets a new text-back and staff a
                    // callback task: both, rather than neither.
                    var after = await registry.GetAsync(call.ClinicId, call.CallerNumber, cancellationToken).ConfigureAwait(false);
                    if (after is { Live: true } && after.InstanceId == existing.InstanceId)
                    {
                        LogJoined(logger, existing.InstanceId, call.ClinicId);
                        return RecoveryStartResult.Joined;
                    }

                    continue;
                }
            }

            if (await registry.TryReplaceAsync(existing, instanceId, now, cancellationToken, call.ClinicNumber).ConfigureAwait(false))
            {
                await ScheduleAsync(call, instanceId, orchestrations, cancellationToken).ConfigureAwait(false);
                return RecoveryStartResult.Started;
            }
        }

        throw new InvalidOperationException("Could not start or join a recovery: the recovery row kept changing.");
    }

    /// <summary>
    /// Staff hand a conversation they took over back to automation: a new recovery for the caller that sends no
    /// text-back and runs the ladder again from now. False when the caller has a live recovery already.
    /// </summary>
    public async Task<bool> HandBackAsync(string clinicId, string callerE164, IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var clinic = await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false)
                     ?? throw new InvalidOperationException($"Clinic '{clinicId}' is not configured.");
        var instanceId = RecoveryNames.InstanceIdFor(clinicId, callerE164, $"handback-{now.UtcTicks}");
        var existing = await registry.GetAsync(clinicId, callerE164, cancellationToken).ConfigureAwait(false);
        // The conversation goes on from the number the patient dialled.
        var clinicNumber = ClinicNumberFor(clinic, existing);
        var claimed = existing is null
            ? await registry.TryAddLiveAsync(clinicId, callerE164, instanceId, now, cancellationToken, clinicNumber).ConfigureAwait(false)
            : !await IsRunningAsync(existing, orchestrations, cancellationToken).ConfigureAwait(false)
              && await registry.TryReplaceAsync(existing, instanceId, now, cancellationToken, clinicNumber).ConfigureAwait(false);
        if (!claimed)
        {
            return false;
        }

        if (existing is not null)
        {
            // The resumed recovery reports into the original missed call's figures.
            await reportFacts.LinkAsync(clinicId, instanceId, existing.InstanceId, cancellationToken).ConfigureAwait(false);
        }

        await orchestrations.StartAsync(new RecoveryInput(instanceId, clinicNumber, callerE164, null, $"handback-{now.UtcTicks}", now,
            clinic.WithoutSecrets(), Resume: true), cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    /// <summary>Delivers an item to the caller's live recovery; false when there is none.</summary>
    public async Task<bool> SignalAsync(string clinicId, string callerE164, InboxItem item, IRecoveryOrchestrations orchestrations,
        CancellationToken cancellationToken)
    {
        var existing = await registry.GetAsync(clinicId, callerE164, cancellationToken).ConfigureAwait(false);
        if (existing is null || !await IsRunningAsync(existing, orchestrations, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // Inbox first, then the doorbell: if the doorbell is lost, the next wake-up still finds the item.
        await inbox.AddAsync(existing.InstanceId, item, cancellationToken).ConfigureAwait(false);
        await orchestrations.WakeAsync(existing.InstanceId, cancellationToken).ConfigureAwait(false);

        // Ended meanwhile? Then the recovery may never read it: say so, and the caller handles it as "no live recovery".
        var now = await registry.GetAsync(clinicId, callerE164, cancellationToken).ConfigureAwait(false);
        return now is { Live: true } && now.InstanceId == existing.InstanceId;
    }

    /// <summary>
    /// Whether the caller's live row still has a recovery behind it. An instance the engine does not know is one the
    /// other processor has not scheduled yet, but only for <see cref="UnscheduledGrace"/>: after that the row is an orphan
    /// (its event dead-lettered before scheduling, a purged or moved task hub) and must not swallow the caller's calls and
    /// replies for ever.
    /// </summary>
    private async Task<bool> IsRunningAsync(RecoveryRecord existing, IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        if (!existing.Live)
        {
            return false;
        }

        if (await orchestrations.IsLiveAsync(existing.InstanceId, cancellationToken).ConfigureAwait(false) is { } live)
        {
            return live;
        }

        var orphaned = time.GetUtcNow() - existing.StartedAt >= UnscheduledGrace;
        if (orphaned)
        {
            LogOrphaned(logger, existing.InstanceId, existing.ClinicId);
        }

        return !orphaned;
    }

    /// <summary>The clinic number the caller dialled, kept on their recovery row; the clinic's main number when unknown or no longer the clinic's.</summary>
    public static string ClinicNumberFor(ClinicConfig clinic, RecoveryRecord? record)
        => record?.ClinicNumber is { } number && clinic.Numbers.Contains(number, StringComparer.Ordinal) ? number : clinic.Numbers[0];

    /// <summary>How long a live row may point at an instance the engine does not know (retries of its event included).</summary>
    public static readonly TimeSpan UnscheduledGrace = TimeSpan.FromMinutes(5);

    private async Task ScheduleAsync(MissedCall call, string instanceId, IRecoveryOrchestrations orchestrations, CancellationToken cancellationToken)
    {
        var clinic = await clinics.GetAsync(call.ClinicId, cancellationToken).ConfigureAwait(false)
                     ?? throw new InvalidOperationException($"Clinic '{call.ClinicId}' is not configured.");
        // Ladder timings count from the call; a provider clock far off ours (or a replayed old event) counts from receipt.
        var callAt = (call.ReceivedAt - call.OccurredAt).Duration() < TimeSpan.FromMinutes(5) ? call.OccurredAt : call.ReceivedAt;
        var input = new RecoveryInput(instanceId, call.ClinicNumber, call.CallerNumber, call.CallerName, call.MessageId, callAt,
            clinic.WithoutSecrets(), // secrets stay out of orchestration history
            call.KnownPatient);
        if (await orchestrations.StartAsync(input, cancellationToken).ConfigureAwait(false))
        {
            LogStarted(logger, instanceId, call.ClinicId, PhoneNumberTools.Mask(call.CallerNumber));
        }
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Recovery {InstanceId} started for clinic {ClinicId}, caller {Caller}")]
    private static partial void LogStarted(ILogger logger, string instanceId, string clinicId, string caller);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Repeat call joined recovery {InstanceId} of clinic {ClinicId}")]
    private static partial void LogJoined(ILogger logger, string instanceId, string clinicId);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning,
        Message = "Recovery {InstanceId} of clinic {ClinicId} is live in the registry but unknown to the engine: treated as ended")]
    private static partial void LogOrphaned(ILogger logger, string instanceId, string clinicId);
}
