using System.Security.Cryptography;
using System.Text;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Conversation;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Triage;
using Microsoft.Extensions.Logging;

namespace MissedCallFunctions.Recovery;

/// <summary>
/// An activity of the recovery orchestration: a plain class, so each host adapts it its own way (a [Function] with an
/// [ActivityTrigger] in Azure, a registered TaskActivity locally). Activities throw on failure so Durable retries them.
/// </summary>
public interface IRecoveryActivity<in TInput, TOutput>
{
    Task<TOutput> RunAsync(TInput input, CancellationToken cancellationToken);
}

/// <summary>Activity names, shared by the orchestrator and both hosts' registrations.</summary>
public static class RecoveryActivityNames
{
    public const string TakeInbox = "RecoveryTakeInbox";
    public const string SendPatientSms = "RecoverySendPatientSms";
    public const string RecordOptChange = "RecoveryRecordOptChange";
    public const string OpenStaffTask = "RecoveryOpenStaffTask";
    public const string AlertStaff = "RecoveryAlertStaff";
    public const string RecordTimeline = "RecoveryRecordTimeline";
    public const string Complete = "RecoveryComplete";
    public const string FindSlots = "RecoveryFindSlots";
    public const string BookSlot = "RecoveryBookSlot";
}

public sealed class TakeInboxActivity(IRecoveryInbox inbox) : IRecoveryActivity<string, IReadOnlyList<InboxItem>>
{
    public Task<IReadOnlyList<InboxItem>> RunAsync(string instanceId, CancellationToken cancellationToken) => inbox.ListAsync(instanceId, cancellationToken);
}

/// <summary>
/// The clinic and its SMS channel for a sending activity. A clinic or channel missing from this host's configuration is
/// reported as <see cref="SmsChannelException"/>, the failure the orchestrator does not retry: no retry can fix it.
/// </summary>
internal static class RecoveryChannels
{
    public static async Task<ClinicConfig> ClinicAsync(IClinicDirectory clinics, string clinicId, CancellationToken cancellationToken)
        => await clinics.GetAsync(clinicId, cancellationToken).ConfigureAwait(false)
           ?? throw new SmsChannelException($"Clinic '{clinicId}' is not configured.");

    public static ISmsChannel For(ISmsChannelResolver channels, ClinicConfig clinic)
    {
        try
        {
            return channels.For(clinic);
        }
        catch (InvalidOperationException ex)
        {
            throw new SmsChannelException(ex.Message, ex);
        }
    }
}

public enum PatientSmsStatus
{
    Sent,
    /// <summary>Not sent: the caller is on the clinic's opt-out ledger (checked just before sending).</summary>
    OptedOut,
    /// <summary>The provider refused it for good (invalid number, carrier block).</summary>
    Refused,
}

/// <param name="StepKey">Unique within the recovery (textback, nudge-1, help-2, ...): the outbox and timeline key.</param>
/// <param name="RepeatabilityRequestId">Made once by the orchestrator (context.NewGuid) and reused on every retry.</param>
/// <param name="ConfirmsOptOut">The one opt-out confirmation: sent even though the caller is now opted out.</param>
public sealed record PatientSmsRequest(
    string InstanceId,
    string ClinicId,
    string StepKey,
    string From,
    string To,
    string Body,
    string RepeatabilityRequestId,
    DateTimeOffset FirstSent,
    string TimelineKind,
    bool ConfirmsOptOut = false);

public sealed record PatientSmsResult(PatientSmsStatus Status, string? ProviderMessageId, string Detail);

public sealed partial class SendPatientSmsActivity(
    IClinicDirectory clinics,
    ISmsChannelResolver channels,
    ISmsOutbox outbox,
    IOptOutLedger optOuts,
    IConversationStore conversations,
    IRecoveryTimeline timeline,
    TimeProvider time,
    ILogger<SendPatientSmsActivity> logger) : IRecoveryActivity<PatientSmsRequest, PatientSmsResult>
{
    public async Task<PatientSmsResult> RunAsync(PatientSmsRequest request, CancellationToken cancellationToken)
    {
        // A retry after the provider accepted the text (crash before the result was recorded) must not send again.
        var previous = await outbox.GetAsync(request.InstanceId, request.StepKey, cancellationToken).ConfigureAwait(false);
        if (previous?.ProviderMessageId is { } alreadySent)
        {
            return new PatientSmsResult(PatientSmsStatus.Sent, alreadySent, "already sent");
        }

        if (!request.ConfirmsOptOut && await optOuts.IsOptedOutAsync(request.ClinicId, request.To, cancellationToken).ConfigureAwait(false))
        {
            await timeline.RecordAsync(request.ClinicId, request.InstanceId,
                new TimelineEntry(request.StepKey, request.TimelineKind + "-skipped", time.GetUtcNow(), "not sent: opted out"), cancellationToken).ConfigureAwait(false);
            return new PatientSmsResult(PatientSmsStatus.OptedOut, null, "opted out");
        }

        var clinic = await RecoveryChannels.ClinicAsync(clinics, request.ClinicId, cancellationToken).ConfigureAwait(false);
        var channel = RecoveryChannels.For(channels, clinic);
        if (!channel.Idempotent && previous?.Status is OutboxSending or OutboxUncertain)
        {
            // An earlier attempt may have reached a provider that has no repeatability key: at most once, never twice.
            return await UncertainAsync(request, cancellationToken).ConfigureAwait(false);
        }

        await outbox.SaveAsync(new OutboxRecord(request.InstanceId, request.StepKey, request.ClinicId, request.To, request.RepeatabilityRequestId, null, OutboxSending),
            cancellationToken).ConfigureAwait(false);

        SmsSendResult result;
        try
        {
            result = await channel.SendAsync(
                new OutgoingSms(request.From, request.To, request.Body, request.RepeatabilityRequestId, request.FirstSent, Tag(request.InstanceId, request.StepKey)),
                cancellationToken).ConfigureAwait(false);
        }
        catch (SmsTransientException ex) when (!channel.Idempotent)
        {
            // No answer, or a gateway error (500/502/504) that can follow a created message: a resend could text twice.
            if (!ex.RequestNotSent && ex.StatusCode is null or 500 or 502 or 504)
            {
                return await UncertainAsync(request, cancellationToken).ConfigureAwait(false);
            }

            // A definite "not now" (429, 503) or a request that never left: nothing was created, so the retry may send.
            await outbox.SaveAsync(new OutboxRecord(request.InstanceId, request.StepKey, request.ClinicId, request.To, request.RepeatabilityRequestId, null,
                OutboxRetrying), cancellationToken).ConfigureAwait(false);
            throw;
        }

        var now = time.GetUtcNow();

        if (!result.Accepted)
        {
            await outbox.SaveAsync(new OutboxRecord(request.InstanceId, request.StepKey, request.ClinicId, request.To, request.RepeatabilityRequestId, null,
                "refused"), cancellationToken).ConfigureAwait(false);
            if (result.OptOutSignal)
            {
                await optOuts.OptOutAsync(request.ClinicId, request.To, "carrier-block", now, cancellationToken).ConfigureAwait(false);
            }

            await timeline.RecordAsync(request.ClinicId, request.InstanceId,
                new TimelineEntry(request.StepKey, request.TimelineKind + "-refused", now, $"refused by provider ({result.HttpStatusCode})"), cancellationToken).ConfigureAwait(false);
            LogRefused(logger, request.InstanceId, request.StepKey, result.HttpStatusCode);
            return new PatientSmsResult(result.OptOutSignal ? PatientSmsStatus.OptedOut : PatientSmsStatus.Refused, null, result.ErrorMessage ?? "refused");
        }

        await outbox.SaveAsync(new OutboxRecord(request.InstanceId, request.StepKey, request.ClinicId, request.To, request.RepeatabilityRequestId,
            result.ProviderMessageId, "accepted"), cancellationToken).ConfigureAwait(false);
        await conversations.AddAsync(new ThreadMessage(request.ClinicId, request.To, result.ProviderMessageId!, false, "automation", request.Body, now, "accepted"),
            cancellationToken).ConfigureAwait(false);
        await timeline.RecordAsync(request.ClinicId, request.InstanceId,
            new TimelineEntry(request.StepKey, request.TimelineKind, now, "accepted by the provider"), cancellationToken).ConfigureAwait(false);
        LogSent(logger, request.InstanceId, request.StepKey, PhoneNumberTools.Mask(request.To));
        return new PatientSmsResult(PatientSmsStatus.Sent, result.ProviderMessageId, "accepted");
    }

    /// <summary>Echoed in delivery reports; identifies the message without personal data.</summary>
    public static string Tag(string instanceId, string stepKey) => $"{instanceId}|{stepKey}";

    private const string OutboxSending = "sending";
    private const string OutboxUncertain = "uncertain";
    private const string OutboxRetrying = "retrying";

    /// <summary>Counted as sent (it most likely was), never resent, and said so on the timeline.</summary>
    private async Task<PatientSmsResult> UncertainAsync(PatientSmsRequest request, CancellationToken cancellationToken)
    {
        await outbox.SaveAsync(new OutboxRecord(request.InstanceId, request.StepKey, request.ClinicId, request.To, request.RepeatabilityRequestId, null,
            OutboxUncertain), cancellationToken).ConfigureAwait(false);
        await timeline.RecordAsync(request.ClinicId, request.InstanceId, new TimelineEntry(request.StepKey, request.TimelineKind, time.GetUtcNow(),
            "sent without confirmation: the provider did not answer and has no repeatability key, so it is not resent"), cancellationToken).ConfigureAwait(false);
        LogUncertain(logger, request.InstanceId, request.StepKey);
        return new PatientSmsResult(PatientSmsStatus.Sent, null, "sent without confirmation");
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning,
        Message = "Recovery {InstanceId} step {StepKey}: the SMS provider did not answer and cannot deduplicate a resend; not resent")]
    private static partial void LogUncertain(ILogger logger, string instanceId, string stepKey);

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Recovery {InstanceId}: {StepKey} text accepted for {Recipient}")]
    private static partial void LogSent(ILogger logger, string instanceId, string stepKey, string recipient);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Recovery {InstanceId}: {StepKey} text refused by the provider ({Status})")]
    private static partial void LogRefused(ILogger logger, string instanceId, string stepKey, int status);
}

public sealed record OptChangeRequest(string ClinicId, string CallerNumber, bool OptOut, string Source, DateTimeOffset At);

public sealed class RecordOptChangeActivity(IOptOutLedger optOuts) : IRecoveryActivity<OptChangeRequest, bool>
{
    public async Task<bool> RunAsync(OptChangeRequest request, CancellationToken cancellationToken)
    {
        if (request.OptOut)
        {
            await optOuts.OptOutAsync(request.ClinicId, request.CallerNumber, request.Source, request.At, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await optOuts.OptInAsync(request.ClinicId, request.CallerNumber, request.Source, request.At, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}

public sealed class OpenStaffTaskActivity(IStaffTaskStore tasks) : IRecoveryActivity<StaffTaskRequest, StaffTask>
{
    public Task<StaffTask> RunAsync(StaffTaskRequest request, CancellationToken cancellationToken) => tasks.OpenOrUpdateAsync(request, cancellationToken);
}

/// <param name="Roles">Which staff contacts get it (staff and on-call for alerts, managers for escalations).</param>
/// <param name="RepeatabilitySeed">From context.NewGuid(): each contact's repeatability id is derived from it.</param>
/// <param name="TaskLink">What the alert says when no signed link can be made (e.g. "task {id}").</param>
/// <param name="TaskId">The task the alert links to; the activity signs the link (the orchestrator holds no secrets).</param>
public sealed record StaffAlertRequest(
    string InstanceId,
    string ClinicId,
    string StepKey,
    IReadOnlyList<StaffRole> Roles,
    string TemplateName,
    string ClinicNumber,
    string CallerNumber,
    DateTimeOffset CallTime,
    string TaskLink,
    string RepeatabilitySeed,
    DateTimeOffset FirstSent,
    string? TaskId = null);

/// <summary>Texts staff an alert with only what they need: masked number, time, a link to the task.</summary>
public sealed class AlertStaffActivity(
    IClinicDirectory clinics,
    ISmsChannelResolver channels,
    ISmsOutbox outbox,
    IRecoveryTimeline timeline,
    TaskLinks links,
    TimeProvider time) : IRecoveryActivity<StaffAlertRequest, int>
{
    public async Task<int> RunAsync(StaffAlertRequest request, CancellationToken cancellationToken)
    {
        var clinic = await RecoveryChannels.ClinicAsync(clinics, request.ClinicId, cancellationToken).ConfigureAwait(false);
        var body = MessageTemplates.RenderNamed(clinic, request.TemplateName,
            new TemplateValues
            {
                CallerNumber = request.CallerNumber,
                CallTime = request.CallTime,
                TaskLink = request.TaskId is { } taskId ? links.Describe(clinic, taskId) : request.TaskLink,
            });
        var channel = RecoveryChannels.For(channels, clinic);
        var sent = 0;
        var contacts = clinic.StaffContacts.Where(c => request.Roles.Contains(c.Role)).ToList();
        for (var i = 0; i < contacts.Count; i++)
        {
            var stepKey = $"{request.StepKey}-staff-{i}";
            var previous = await outbox.GetAsync(request.InstanceId, stepKey, cancellationToken).ConfigureAwait(false);
            if (previous?.ProviderMessageId is not null)
            {
                sent++;
                continue;
            }

            var repeatability = DerivedGuid(request.RepeatabilitySeed, i);
            var result = await channel.SendAsync(
                new OutgoingSms(request.ClinicNumber, contacts[i].Phone, body, repeatability, request.FirstSent, SendPatientSmsActivity.Tag(request.InstanceId, stepKey)),
                cancellationToken).ConfigureAwait(false);
            await outbox.SaveAsync(new OutboxRecord(request.InstanceId, stepKey, request.ClinicId, contacts[i].Phone, repeatability, result.ProviderMessageId,
                result.Accepted ? "accepted" : "refused"), cancellationToken).ConfigureAwait(false);
            sent += result.Accepted ? 1 : 0;
        }

        await timeline.RecordAsync(request.ClinicId, request.InstanceId,
            new TimelineEntry(request.StepKey, request.TemplateName, time.GetUtcNow(), $"alert texted to {sent} of {contacts.Count} contact(s)"), cancellationToken)
            .ConfigureAwait(false);
        return sent;
    }

    internal static string DerivedGuid(string seed, int index)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{index}"));
        return new Guid(bytes.AsSpan(0, 16)).ToString();
    }
}

public sealed record TimelineRequest(string ClinicId, string InstanceId, TimelineEntry Entry);

public sealed class RecordTimelineActivity(IRecoveryTimeline timeline) : IRecoveryActivity<TimelineRequest, bool>
{
    public async Task<bool> RunAsync(TimelineRequest request, CancellationToken cancellationToken)
    {
        await timeline.RecordAsync(request.ClinicId, request.InstanceId, request.Entry, cancellationToken).ConfigureAwait(false);
        return true;
    }
}

/// <param name="HandledInboxIds">What the orchestration handled: any other reply in the inbox arrived as it ended.</param>
/// <param name="LateReplyTaskDueAt">When a task for replies that arrived as the recovery ended is due (the clinic's callback time).</param>
public sealed record CompleteRecoveryRequest(string ClinicId, string CallerNumber, string InstanceId, RecoveryOutcome Outcome, DateTimeOffset At, string Detail,
    IReadOnlyList<string> HandledInboxIds, DateTimeOffset? LateReplyTaskDueAt = null);

public sealed partial class CompleteRecoveryActivity(
    IRecoveryRegistry registry,
    IRecoveryTimeline timeline,
    IRecoveryInbox inbox,
    IStaffTaskStore tasks,
    ILogger<CompleteRecoveryActivity> logger)
    : IRecoveryActivity<CompleteRecoveryRequest, bool>
{
    public async Task<bool> RunAsync(CompleteRecoveryRequest request, CancellationToken cancellationToken)
    {
        await timeline.RecordAsync(request.ClinicId, request.InstanceId,
            Reporting.OutcomeEntry.Create(request.Outcome, request.At, request.Detail), cancellationToken).ConfigureAwait(false);
        await registry.EndAsync(request.ClinicId, request.CallerNumber, request.InstanceId, request.Outcome, request.At, cancellationToken).ConfigureAwait(false);

        // Replies that reached the inbox while the recovery was ending go to staff, not nowhere. (Later ones find the
        // recovery ended and are routed to staff by the inbound router.)
        var handled = request.HandledInboxIds.ToHashSet(StringComparer.Ordinal);
        // An opt-out among them is already in the ledger (the inbound router writes it first): nothing for staff to answer.
        var unread = (await inbox.ListAsync(request.InstanceId, cancellationToken).ConfigureAwait(false)).Where(i => !handled.Contains(i.Id)).ToList();
        var late = unread.Where(i => i.Kind == InboxKind.Reply
                                     && Conversation.ReplyClassifier.Classify(i.Text ?? string.Empty).Intent != Conversation.ReplyIntent.OptOut).ToList();
        var lateCalls = unread.Count(i => i.Kind == InboxKind.RepeatCall);
        if (late.Count > 0 || lateCalls > 0)
        {
            // A call that joined as the recovery ended gets a callback from staff rather than nothing.
            await tasks.OpenOrUpdateAsync(new StaffTaskRequest(request.ClinicId, request.InstanceId, request.CallerNumber, null,
                late.Count > 0 ? "new message: please reply" : "called again as the follow-up ended: please call back", false, lateCalls,
                request.At, request.LateReplyTaskDueAt ?? request.At, late.Select(i => i.Text ?? string.Empty).ToList(), request.InstanceId, Reopen: true),
                cancellationToken).ConfigureAwait(false);
        }

        LogCompleted(logger, request.InstanceId, request.Outcome);
        return true;
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Recovery {InstanceId} ended: {Outcome}")]
    private static partial void LogCompleted(ILogger logger, string instanceId, RecoveryOutcome outcome);
}
