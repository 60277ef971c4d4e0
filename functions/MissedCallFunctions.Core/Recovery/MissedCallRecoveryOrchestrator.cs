using MissedCallFunctions.Clinics;
using MissedCallFunctions.Conversation;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Staff;
using Microsoft.DurableTask;

namespace MissedCallFunctions.Recovery;

/// <summary>
/// One durable recovery per missed call: the text-back within seconds, then the clinic's escalation ladder (nudge,
/// callback task, staff alert, manager alert), stopped by a reply, an opt-out, staff, or a call that got through.
/// </summary>
/// <remarks>
/// Deterministic: time from <c>context.CurrentUtcDateTime</c>, ids from <c>context.NewGuid()</c>, the clinic from the
/// input. Replies and staff actions are read from the recovery's inbox (written before the wake-up event is raised)
/// on every wake-up, timers included, and the one wait for the wake-up event is never abandoned: so no reply is
/// lost to an event raised before the instance started, or to a timed-out wait that swallows the next event.
/// </remarks>
public sealed class MissedCallRecoveryOrchestrator : TaskOrchestrator<RecoveryInput, RecoveryResult>
{
    public override Task<RecoveryResult> RunAsync(TaskOrchestrationContext context, RecoveryInput input)
        => new RecoveryRun(context, input).ExecuteAsync();
}

internal sealed class RecoveryRun(TaskOrchestrationContext context, RecoveryInput input)
{
    private static readonly TimeSpan UrgentWindow = TimeSpan.FromMinutes(10);
    private const int UrgentCallCount = 3;

    // The text-back may go at any hour because it answers a call the person just made. A call event that reaches us
    // later (provider retries, queue backlog, a dead-letter replay) is no longer that conversation: it keeps to the
    // sending window, and past a day a text about "your call" helps less than a call from staff.
    private static readonly TimeSpan ImmediateTextBackWindow = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan TextBackLimit = TimeSpan.FromHours(24);

    // Activities retry with backoff: SMS providers throttle (429) and fail (5xx); repeatability ids make retries safe.
    // A channel that cannot send at all (credentials refused, not configured) fails the same way ten times over a few
    // minutes while the caller waits for a callback: it is not retried.
    internal static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(
        new RetryPolicy(maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30))
        {
            HandleFailure = IsWorthRetrying,
        });

    // By type name, not IsCausedBy: no type loading in orchestrator code, and the name is all the failure carries.
    internal static bool IsWorthRetrying(TaskFailureDetails failure)
        => !string.Equals(failure.ErrorType, typeof(SmsChannelException).FullName, StringComparison.Ordinal);

    private readonly ClinicConfig _clinic = input.Clinic;
    private readonly HashSet<string> _handled = new(StringComparer.Ordinal);
    private readonly List<DateTimeOffset> _calls = [input.CallAt];
    private Task<string> _doorbell = null!;
    private bool _urgentRaised;
    private bool _taskOpened;
    private int _textsSent;
    private int _helpReplies;

    // The booking conversation, once the patient engaged.
    private bool _engaged;
    private IReadOnlyList<Bookings.OfferedSlot>? _offers;
    private readonly List<DateTimeOffset> _takenSlots = [];
    private int _clarifications;
    private int _offerRounds;

    private DateTimeOffset Now => new(context.CurrentUtcDateTime, TimeSpan.Zero);

    // The ladder counts from the text-back (or the hand-back), not from the call: an event delivered late (providers
    // retry for hours) must not fire the text-back, the follow-up and every escalation in the same second. A deferred
    // follow-up moves it on by the deferral.
    private DateTimeOffset _ladderStart;

    private string TaskId => input.InstanceId;


    public async Task<RecoveryResult> ExecuteAsync()
    {
        try
        {
            return await RecoverAsync();
        }
        catch (PatientTextFailedException failed)
        {
            // Ending here, through the registry, keeps the call from vanishing with a failed orchestration: staff call back.
            await OpenTaskAsync("text could not be sent: please call back", urgent: false, replies: []);
            return await FinishAsync(RecoveryOutcome.FailedDelivery, failed.Message);
        }
    }

    private async Task<RecoveryResult> RecoverAsync()
    {
        // The single outstanding wait for the wake-up event: created once, replaced only after it completed.
        _doorbell = context.WaitForExternalEvent<string>(RecoveryNames.Doorbell);
        _ladderStart = Now;

        // Scheduled together: one round trip through the task hub instead of two before the text-back.
        var received = TimelineAsync("00-received", "missed-call", input.CallAt, "missed call received");
        var inbox = TakeInboxAsync();
        await Task.WhenAll(received, inbox);

        // Anything that arrived before this instance started (a repeat call, staff already on it, a quick STOP).
        if (await CheckInboxAsync(inbox) is { } early)
        {
            return await FinishAsync(early.Outcome, early.Detail);
        }

        if (input.Resume)
        {
            await TimelineAsync("01-handed-back", "handed-back", Now, "staff handed the conversation back to automation");
            return await RunLadderAsync();
        }

        if (Now - input.CallAt > ImmediateTextBackWindow)
        {
            if (!TooLateToText())
            {
                var (ended, _) = await WaitForSendingTimeAsync("01-textback", "text-back", Now);
                if (ended is not null)
                {
                    return await FinishAsync(ended.Outcome, ended.Detail);
                }

                if (_engaged)
                {
                    return await ConversationAsync();
                }
            }

            // Again after the wait: a timer that fired late can have pushed the text-back past the limit too.
            if (TooLateToText())
            {
                var hours = (int)(Now - input.CallAt).TotalHours;
                await TimelineAsync("01-textback", "text-back-skipped", Now, $"not sent: the call was {hours} h ago");
                await OpenTaskAsync("missed call reported too late to text: please call back", urgent: false, replies: []);
                return await FinishAsync(RecoveryOutcome.FailedDelivery, $"the call event came {hours} h after the call: not texted; handed to staff");
            }
        }

        var afterHours = !ClinicCalendar.IsOpen(_clinic, Now);
        var textBack = TextBackComposer.Compose(_clinic, MessageTemplates.SanitizeFirstName(input.CallerName), afterHours, input.KnownPatient);
        var sent = await SendToPatientAsync("01-textback", textBack.Text, afterHours ? "text-back-after-hours" : "text-back");
        _ladderStart = Now;
        switch (sent.Status)
        {
            case PatientSmsStatus.OptedOut:
                return await FinishAsync(RecoveryOutcome.OptedOut, "caller opted out before the text-back");
            case PatientSmsStatus.Refused:
                await OpenTaskAsync("text-back could not be delivered: please call back", urgent: false, replies: []);
                return await FinishAsync(RecoveryOutcome.FailedDelivery, sent.Detail);
        }

        return await RunLadderAsync();
    }

    private async Task<RecoveryResult> RunLadderAsync()
    {
        var ladder = _clinic.EscalationLadder;
        for (var i = 0; i < ladder.Count; i++)
        {
            var step = ladder[i];
            var due = DueOf(step);
            Ending? ended;
            if (step.Action == EscalationAction.NudgePatient)
            {
                (ended, var sendAt) = await WaitForSendingTimeAsync($"step-{i}", step.Action.ToString(), due);
                // The rest of the ladder moves with a deferred follow-up: counted from the old start, the callback task
                // and alerts that fell due while the window was closed would all fire in the same second after it.
                _ladderStart += sendAt - due;
            }
            else
            {
                ended = await WaitUntilAsync(due);
            }

            if (ended is not null)
            {
                return await FinishAsync(ended.Outcome, ended.Detail);
            }

            if (_engaged)
            {
                return await ConversationAsync();
            }

            if (await RunStepAsync(i, step) is { } stopped)
            {
                return await FinishAsync(stopped.Outcome, stopped.Detail);
            }
        }

        return _engaged ? await ConversationAsync() : await FinishAsync(RecoveryOutcome.NoResponse, "the escalation ladder ran without a reply");
    }

    /// <summary>The patient is in the booking conversation: the ladder is over; wait for each next reply.</summary>
    private async Task<RecoveryResult> ConversationAsync()
    {
        var timeout = _clinic.Booking?.ReplyTimeout ?? TimeSpan.FromMinutes(30);
        while (true)
        {
            var handledBefore = _handled.Count;
            if (await WaitUntilAsync(Now + timeout, untilActivity: true) is { } ended)
            {
                return await FinishAsync(ended.Outcome, ended.Detail);
            }

            if (_handled.Count == handledBefore)
            {
                await OpenTaskAsync("the patient stopped replying while booking: please call back", urgent: false, replies: []);
                return await FinishAsync(RecoveryOutcome.RecoveredReplied, "booking conversation went quiet; handed to staff");
            }
        }
    }

    private bool TooLateToText() => SendingWindow.NextSendingTime(_clinic, Now).When - input.CallAt > TextBackLimit;

    private DateTimeOffset DueOf(EscalationStep step)
        => step.AfterBusinessDays is { } days
            ? ClinicCalendar.EndOfBusinessDay(_clinic, _ladderStart, days) ?? _ladderStart + TimeSpan.FromDays(Math.Max(days, 1))
            : _ladderStart + step.After;

    /// <summary>
    /// Waits until <paramref name="due"/>, handling whatever reaches the inbox meanwhile; returns early when the patient
    /// engages in the booking conversation, or (with <paramref name="untilActivity"/>) after anything was handled.
    /// </summary>
    private async Task<Ending?> WaitUntilAsync(DateTimeOffset due, bool untilActivity = false)
    {
        while (Now < due)
        {
            var handledBefore = _handled.Count;
            using var cancelTimer = new CancellationTokenSource();
            var timer = context.CreateTimer(due.UtcDateTime, cancelTimer.Token);
            var winner = await Task.WhenAny(_doorbell, timer);
            if (winner == _doorbell)
            {
                cancelTimer.Cancel();
                _doorbell = context.WaitForExternalEvent<string>(RecoveryNames.Doorbell);
            }

            // Timer or doorbell: read the inbox either way, so a reply that came as the timer fired is not missed.
            if (await CheckInboxAsync() is { } ended)
            {
                return ended;
            }

            if (winner == timer || ((untilActivity || _engaged) && _handled.Count > handledBefore))
            {
                break;
            }
        }

        return null;
    }

    /// <summary>
    /// Waits until <paramref name="due"/>, moved into the clinic's sending window, and checks the window again after
    /// each wait: a timer can fire late (host down, backlog, retries) when the window has closed meanwhile. Each
    /// deferral is recorded on the timeline once the wait is over. Returns early like <see cref="WaitUntilAsync"/>, and
    /// the time the text was deferred to (<paramref name="due"/> itself when it was not).
    /// </summary>
    private async Task<(Ending? Ended, DateTimeOffset SendAt)> WaitForSendingTimeAsync(string key, string what, DateTimeOffset due)
    {
        var (at, reason) = SendingWindow.NextSendingTime(_clinic, due);
        var deferrals = 0;
        while (true)
        {
            if (await WaitUntilAsync(at) is { } ended)
            {
                return (ended, at);
            }

            if (_engaged)
            {
                return (null, at);
            }

            if (reason is not null)
            {
                deferrals++;
                await TimelineAsync(deferrals == 1 ? $"{key}-deferred" : $"{key}-deferred-{deferrals}", "deferred", Now, $"{what} deferred: {reason}");
            }

            var sendAt = at;
            (at, reason) = SendingWindow.NextSendingTime(_clinic, Now);
            if (reason is null)
            {
                return (null, sendAt);
            }
        }
    }

    private Task<IReadOnlyList<InboxItem>> TakeInboxAsync()
        => context.CallActivityAsync<IReadOnlyList<InboxItem>>(RecoveryActivityNames.TakeInbox, input.InstanceId, Retry);

    /// <param name="taken">The inbox already taken (read together with other work); null reads it now.</param>
    private async Task<Ending?> CheckInboxAsync(Task<IReadOnlyList<InboxItem>>? taken = null)
    {
        var items = await (taken ?? TakeInboxAsync());
        var fresh = items.Where(i => !_handled.Contains(i.Id)).ToList();

        // An opt-out wins over anything that arrived with it (two texts in the same second: "ok" then "STOP").
        if (fresh.FirstOrDefault(i => i.Kind == InboxKind.Reply && ReplyClassifier.Classify(i.Text).Intent == ReplyIntent.OptOut) is { } stop)
        {
            fresh.ForEach(i => _handled.Add(i.Id));
            await TimelineAsync($"reply-{stop.Id}", "reply", stop.At, "patient replied: opt-out");
            await OptOutAsync(stop);
            return new(RecoveryOutcome.OptedOut, "opted out by reply");
        }

        for (var i = 0; i < fresh.Count; i++)
        {
            _handled.Add(fresh[i].Id);
            // Replies that arrived together reach staff together: none is dropped when the first one ends the recovery.
            var laterReplies = fresh.Skip(i + 1).Where(r => r.Kind == InboxKind.Reply).Select(r => r.Text ?? string.Empty).ToList();
            if (await HandleAsync(fresh[i], laterReplies) is { } ended)
            {
                fresh.ForEach(x => _handled.Add(x.Id));
                return ended;
            }
        }

        return null;
    }

    private async Task<Ending?> HandleAsync(InboxItem item, IReadOnlyList<string> laterReplies)
    {
        switch (item.Kind)
        {
            case InboxKind.AnsweredCall:
                return new(RecoveryOutcome.ReachedByPhone, "a later call with the caller was answered");
            case InboxKind.StaffHandled:
                return new(RecoveryOutcome.HandledByStaff, $"marked handled by {item.Actor ?? "staff"}");
            case InboxKind.StaffTakeover:
                return new(RecoveryOutcome.StaffTookOver, $"taken over by {item.Actor ?? "staff"}");
            case InboxKind.RepeatCall:
                _calls.Add(item.At);
                await TimelineAsync($"call-{item.Id}", "repeat-call", item.At, $"called again ({_calls.Count} calls)");
                var recent = _calls.Count(t => t > item.At - UrgentWindow);
                if (!_urgentRaised && recent >= UrgentCallCount)
                {
                    _urgentRaised = true;
                    await OpenTaskAsync($"{recent} calls within {UrgentWindow.TotalMinutes:0} minutes", urgent: true, replies: []);
                    await AlertAsync($"urgent-calls", [StaffRole.Staff, StaffRole.OnCall], MessageTemplates.StaffAlert);
                }

                return null;
            default:
                return await HandleReplyAsync(item, laterReplies);
        }
    }

    private async Task<Ending?> HandleReplyAsync(InboxItem reply, IReadOnlyList<string> laterReplies)
    {
        IReadOnlyList<string> thread = [reply.Text ?? string.Empty, .. laterReplies];
        var classification = ReplyClassifier.Classify(reply.Text);
        await TimelineAsync($"reply-{reply.Id}", "reply", reply.At, $"patient replied: {classification.Intent} ({classification.Rule})");
        switch (classification.Intent)
        {
            case ReplyIntent.OptOut:
                await OptOutAsync(reply);
                return new(RecoveryOutcome.OptedOut, $"opted out ({classification.Rule})");
            case ReplyIntent.OptIn:
                await context.CallActivityAsync<bool>(RecoveryActivityNames.RecordOptChange,
                    new OptChangeRequest(_clinic.Id, input.CallerNumber, OptOut: false, "reply", reply.At), Retry);
                return null;
            case ReplyIntent.Help:
                _helpReplies++;
                await SendToPatientAsync($"help-{_helpReplies}", MessageTemplates.RenderNamed(_clinic, MessageTemplates.HelpReply), "help-reply");
                return null;
            case ReplyIntent.Urgent:
                await OpenTaskAsync("urgent reply: contact the patient now", urgent: true, replies: thread);
                await AlertAsync("urgent-reply-alert", [StaffRole.Staff, StaffRole.OnCall], MessageTemplates.StaffAlert);
                if (classification.AlsoOptOutRule is not null)
                {
                    await OptOutAsync(reply);
                }
                else
                {
                    try
                    {
                        await SendToPatientAsync("urgent-reply", MessageTemplates.RenderNamed(_clinic, MessageTemplates.UrgentReply), "urgent-reply");
                    }
                    catch (PatientTextFailedException)
                    {
                        // Staff already have the urgent task and the alert: the outcome stays a hand-over to staff.
                    }
                }

                return new(RecoveryOutcome.HandedToStaff, "urgent reply: staff alerted");
            default:
                if (_clinic.Booking is null)
                {
                    await OpenTaskAsync("patient replied: continue the conversation", urgent: false, replies: thread);
                    return new(RecoveryOutcome.RecoveredReplied, "patient replied; conversation handed to staff");
                }

                return await BookingStepAsync(reply, thread);
        }
    }

    /// <summary>One step of the booking conversation: offer times, book the chosen one, or hand over to staff.</summary>
    private async Task<Ending?> BookingStepAsync(InboxItem reply, IReadOnlyList<string> thread)
    {
        _engaged = true;
        var settings = _clinic.Booking!;
        var parsed = Bookings.BookingIntentParser.Parse(reply.Text, Now, ClinicCalendar.TimeZoneOf(_clinic), _offers);
        await TimelineAsync($"intent-{reply.Id}", "booking-intent", reply.At, $"{parsed.Kind} ({parsed.Rule})");
        switch (parsed.Kind)
        {
            case Bookings.BookingReplyKind.ChoseOffer when _offers is not null && parsed.OfferIndex is { } index && index >= 0 && index < _offers.Count:
                return await BookAsync(_offers[index]);
            case Bookings.BookingReplyKind.WantsBooking or Bookings.BookingReplyKind.TimePreference or Bookings.BookingReplyKind.ChoseOffer:
                if (settings.Mode == Bookings.BookingMode.BookingLink)
                {
                    await SendToPatientAsync("booking-link", $"{_clinic.Name}: you can choose a time that suits you here: {_clinic.BookingLink} Reply STOP to opt out.",
                        "booking-link");
                    return new(RecoveryOutcome.RecoveredReplied, "booking link sent; a booking counts when the clinic reports it");
                }

                return await OfferAsync(parsed.Window, taken: false);
            case Bookings.BookingReplyKind.Decline:
                return new(RecoveryOutcome.RecoveredReplied, "patient declined a booking");
            case Bookings.BookingReplyKind.Unclear when _clarifications == 0:
                _clarifications++;
                await SendToPatientAsync("clarify", $"{_clinic.Name}: would you like to book an appointment? Reply YES, or tell us a day and time that suits you.",
                    "clarifying-question");
                return null;
            default:
                var why = parsed.Kind switch
                {
                    Bookings.BookingReplyKind.CallMe => "patient asked for a call back",
                    Bookings.BookingReplyKind.Question => "patient asked a question",
                    Bookings.BookingReplyKind.CancelBooking => "patient wants to cancel or move a booking",
                    _ => "reply not understood: continue the conversation",
                };
                await OpenTaskAsync(why, urgent: false, replies: thread);
                return new(RecoveryOutcome.RecoveredReplied, $"{why}; handed to staff");
        }
    }

    private async Task<Ending?> OfferAsync(Bookings.TimeWindow? preference, bool taken)
    {
        SlotOffer? offer = null;
        try
        {
            offer = await context.CallActivityAsync<SlotOffer>(RecoveryActivityNames.FindSlots,
                new FindSlotsRequest(_clinic.Id, input.InstanceId, preference, _takenSlots.ToList()), Retry);
        }
        catch (TaskFailedException)
        {
            // A calendar that cannot be read is handled like a full one: staff find the time on the phone.
        }

        if (offer is null || offer.Slots.Count == 0)
        {
            await OpenTaskAsync(offer is null
                ? "patient wants to book but the calendar could not be read: please call back"
                : "patient wants to book but no free time was found: please call back", urgent: false, replies: []);
            await SendToPatientAsync("no-slots", $"{_clinic.Name}: we'll call you shortly to find a time that works. Reply STOP to opt out.", "booking-no-slots");
            return new(RecoveryOutcome.RecoveredReplied, "no free slot to offer; handed to staff");
        }

        _offers = offer.Slots;
        _offerRounds++;
        var lead = taken ? "Sorry, that time was just taken. " : offer.MatchedPreference ? string.Empty : "That time isn't free, but ";
        var text = $"{_clinic.Name}: {lead}{(lead.Length > 0 && !taken ? "we" : "We")} can offer:\n{Bookings.OfferText.List(_clinic, offer.Slots)}\n" +
                   "Reply with the number, or tell us another day and time. Reply STOP to opt out.";
        await SendToPatientAsync($"offer-{_offerRounds}", text, "booking-offer");
        return null;
    }

    private async Task<Ending?> BookAsync(Bookings.OfferedSlot slot)
    {
        BookSlotResult result;
        try
        {
            result = await context.CallActivityAsync<BookSlotResult>(RecoveryActivityNames.BookSlot,
                new BookSlotRequest(_clinic.Id, input.InstanceId, $"bk-{context.NewGuid():N}", slot, input.CallerNumber, input.CallerName), Retry);
        }
        catch (TaskFailedException)
        {
            // The booking may or may not have been written: staff check the calendar and confirm it with the patient.
            await OpenTaskAsync($"patient chose {Bookings.OfferText.Describe(_clinic, slot)} but the booking could not be confirmed: please check and call back",
                urgent: false, replies: []);
            await SendToPatientAsync("booking-failed", $"{_clinic.Name}: we'll call you shortly to confirm your appointment. Reply STOP to opt out.", "booking-failed");
            return new(RecoveryOutcome.RecoveredReplied, "booking could not be confirmed; handed to staff");
        }

        if (!result.Confirmed)
        {
            _takenSlots.Add(slot.Start);
            return await OfferAsync(null, taken: true);
        }

        var where = string.IsNullOrWhiteSpace(_clinic.Address) ? string.Empty : $" at {_clinic.Address}";
        await SendToPatientAsync("booking-confirmation",
            $"{_clinic.Name}: you're booked for {Bookings.OfferText.Describe(_clinic, slot)}{where}. See you then! Reply STOP to opt out.",
            "booking-confirmation");
        return new(RecoveryOutcome.Booked, $"booked {result.BookingId}{(result.Reference is null ? string.Empty : $" (ref {result.Reference})")}");
    }

    private async Task OptOutAsync(InboxItem reply)
    {
        await context.CallActivityAsync<bool>(RecoveryActivityNames.RecordOptChange,
            new OptChangeRequest(_clinic.Id, input.CallerNumber, OptOut: true, "reply", reply.At), Retry);
        // The one confirmation the rules allow; nothing is sent after it.
        try
        {
            await SendToPatientAsync("optout-confirmation", MessageTemplates.RenderNamed(_clinic, MessageTemplates.OptOutConfirmation),
                "opt-out-confirmation", confirmsOptOut: true);
        }
        catch (PatientTextFailedException)
        {
            // The opt-out is recorded; the confirmation is allowed, not required, and nobody should call to say so.
        }
    }

    private async Task<Ending?> RunStepAsync(int index, EscalationStep step)
    {
        var key = $"step-{index}-{step.Action}";
        switch (step.Action)
        {
            case EscalationAction.NudgePatient:
                var body = MessageTemplates.RenderNamed(_clinic, step.Template ?? MessageTemplates.FollowUp,
                    new TemplateValues { FirstName = MessageTemplates.SanitizeFirstName(input.CallerName) });
                var nudge = await SendToPatientAsync(key, body, "follow-up");
                return nudge.Status == PatientSmsStatus.OptedOut ? new(RecoveryOutcome.OptedOut, "opted out before the follow-up") : null;
            case EscalationAction.StaffCallbackTask:
                await OpenTaskAsync("no reply to the text-back: please call back", urgent: false, replies: []);
                await TimelineAsync(key, "callback-task", Now, "callback task opened");
                return null;
            case EscalationAction.AlertStaff:
                await OpenTaskAsync("no reply to the text-back: please call back", urgent: false, replies: []);
                await AlertAsync(key, [StaffRole.Staff, StaffRole.OnCall], step.Template ?? MessageTemplates.StaffAlert);
                return null;
            case EscalationAction.AlertManager:
                await AlertAsync(key, [StaffRole.Manager], step.Template ?? MessageTemplates.ManagerAlert);
                return null;
            default:
                return null;
        }
    }

    private async Task<PatientSmsResult> SendToPatientAsync(string stepKey, string body, string kind, bool confirmsOptOut = false)
    {
        var request = new PatientSmsRequest(input.InstanceId, _clinic.Id, stepKey, input.ClinicNumber, input.CallerNumber, body,
            context.NewGuid().ToString(), Now, kind, confirmsOptOut);
        PatientSmsResult result;
        try
        {
            result = await context.CallActivityAsync<PatientSmsResult>(RecoveryActivityNames.SendPatientSms, request, Retry);
        }
        catch (TaskFailedException ex)
        {
            // "-refused" like a provider refusal: the reports count the text as not sent.
            await TimelineAsync(stepKey, kind + "-refused", Now, $"not sent: the send failed ({ShortType(ex)})");
            throw new PatientTextFailedException($"{kind} could not be sent ({ex.FailureDetails.ErrorType})");
        }

        if (result.Status == PatientSmsStatus.Sent)
        {
            _textsSent++;
        }

        return result;
    }

    private async Task OpenTaskAsync(string reason, bool urgent, IReadOnlyList<string> replies)
    {
        await context.CallActivityAsync<StaffTask>(RecoveryActivityNames.OpenStaffTask,
            new StaffTaskRequest(_clinic.Id, TaskId, input.CallerNumber, input.CallerName, reason, urgent, _calls.Count, Now, _clinic.TaskDueAt(Now, urgent), replies,
                input.InstanceId),
            Retry);
        _taskOpened = true;
    }

    private async Task AlertAsync(string stepKey, IReadOnlyList<StaffRole> roles, string template)
    {
        if (!_taskOpened)
        {
            await OpenTaskAsync("staff alerted", urgent: false, replies: []);
        }

        try
        {
            await context.CallActivityAsync<int>(RecoveryActivityNames.AlertStaff,
                new StaffAlertRequest(input.InstanceId, _clinic.Id, stepKey, roles, template, input.ClinicNumber, input.CallerNumber, input.CallAt,
                    $"task {TaskId}", context.NewGuid().ToString(), Now, TaskId), Retry);
        }
        catch (TaskFailedException ex)
        {
            // The task is open on the staff list either way; an alert that cannot be texted must not end the recovery.
            await TimelineAsync($"{stepKey}-failed", "alert-failed", Now, $"alert not sent: the send failed ({ShortType(ex)})");
        }
    }

    private async Task<bool> TimelineAsync(string key, string kind, DateTimeOffset at, string detail)
    {
        try
        {
            return await context.CallActivityAsync<bool>(RecoveryActivityNames.RecordTimeline,
                new TimelineRequest(_clinic.Id, input.InstanceId, new TimelineEntry(key, kind, at, detail)), Retry);
        }
        catch (TaskFailedException)
        {
            // The timeline records the recovery; a line it could not write must not strand the caller.
            return false;
        }
    }

    private static string ShortType(TaskFailedException failed)
        => failed.FailureDetails.ErrorType[(failed.FailureDetails.ErrorType.LastIndexOf('.') + 1)..];

    private async Task<RecoveryResult> FinishAsync(RecoveryOutcome outcome, string detail)
    {
        await context.CallActivityAsync<bool>(RecoveryActivityNames.Complete,
            new CompleteRecoveryRequest(_clinic.Id, input.CallerNumber, input.InstanceId, outcome, Now, detail, _handled.ToList(),
                _clinic.TaskDueAt(Now, urgent: false)), Retry);
        return new RecoveryResult(outcome, Now, detail, _textsSent);
    }

    private sealed record Ending(RecoveryOutcome Outcome, string Detail);

    /// <summary>A text to the patient failed for good (a permanent error, or every retry): the recovery goes to staff.</summary>
    private sealed class PatientTextFailedException(string message) : Exception(message);
}
