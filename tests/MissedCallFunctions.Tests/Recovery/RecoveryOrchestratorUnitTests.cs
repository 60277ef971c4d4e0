using Microsoft.DurableTask;
using MissedCallFunctions.Bookings;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;
using NSubstitute;

namespace MissedCallFunctions.Tests.Recovery;

/// <summary>The orchestrator against a substituted context: the decisions that take hours to see on the real engine.</summary>
public sealed class RecoveryOrchestratorUnitTests
{
    private readonly TaskOrchestrationContext _context = Substitute.For<TaskOrchestrationContext>();
    private readonly List<DateTime> _timers = [];
    private readonly List<TimelineRequest> _timeline = [];
    private readonly List<PatientSmsRequest> _texts = [];
    private readonly List<StaffTaskRequest> _tasks = [];
    private readonly List<StaffAlertRequest> _alerts = [];
    private readonly List<CompleteRecoveryRequest> _completed = [];
    private Func<PatientSmsRequest, bool> _sendFails = _ => false;
    private bool _alertsFail;
    private bool _timelineFails;
    private TimeSpan _firstTimerLate = TimeSpan.Zero;
    private Func<IReadOnlyList<InboxItem>> _inbox = () => [];

    public RecoveryOrchestratorUnitTests()
    {
        _context.NewGuid().Returns(_ => Guid.NewGuid());
        // The doorbell never rings in these tests: a wait that never completes (an unconfigured Task would be completed).
        _context.WaitForExternalEvent<string>(RecoveryNames.Doorbell, Arg.Any<CancellationToken>()).Returns(new TaskCompletionSource<string>().Task);
        _context.CreateTimer(Arg.Any<DateTime>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var fireAt = call.Arg<DateTime>();
            _timers.Add(fireAt);
            _context.CurrentUtcDateTime.Returns(fireAt + (_timers.Count == 1 ? _firstTimerLate : TimeSpan.Zero)); // the timer fired: time moves on
            return Task.CompletedTask;
        });
        _context.CallActivityAsync<IReadOnlyList<InboxItem>>(Arg.Is<TaskName>(n => n.Name == RecoveryActivityNames.TakeInbox), Arg.Any<object?>(), Arg.Any<TaskOptions?>())
            .Returns(_ => Task.FromResult(_inbox()));
        _context.CallActivityAsync<PatientSmsResult>(Arg.Any<TaskName>(), Arg.Any<object?>(), Arg.Any<TaskOptions?>()).Returns(call =>
        {
            var text = (PatientSmsRequest)call.ArgAt<object?>(1)!;
            _texts.Add(text);
            return _sendFails(text)
                ? Task.FromException<PatientSmsResult>(Failed(RecoveryActivityNames.SendPatientSms, new SmsChannelException("ACS SMS send answered 401")))
                : Task.FromResult(new PatientSmsResult(PatientSmsStatus.Sent, "m-" + _texts.Count, "accepted"));
        });
        _context.CallActivityAsync<bool>(Arg.Any<TaskName>(), Arg.Any<object?>(), Arg.Any<TaskOptions?>()).Returns(call =>
        {
            if (call.ArgAt<object?>(1) is TimelineRequest entry)
            {
                if (_timelineFails)
                {
                    return Task.FromException<bool>(Failed(RecoveryActivityNames.RecordTimeline, new TimeoutException("storage")));
                }

                _timeline.Add(entry);
            }

            if (call.ArgAt<object?>(1) is CompleteRecoveryRequest completed)
            {
                _completed.Add(completed);
            }

            return Task.FromResult(true);
        });
        _context.CallActivityAsync<StaffTask>(Arg.Any<TaskName>(), Arg.Any<object?>(), Arg.Any<TaskOptions?>()).Returns(call =>
        {
            _tasks.Add((StaffTaskRequest)call.ArgAt<object?>(1)!);
            return Task.FromResult<StaffTask>(null!);
        });
        _context.CallActivityAsync<int>(Arg.Any<TaskName>(), Arg.Any<object?>(), Arg.Any<TaskOptions?>()).Returns(call =>
        {
            _alerts.Add((StaffAlertRequest)call.ArgAt<object?>(1)!);
            return _alertsFail
                ? Task.FromException<int>(Failed(RecoveryActivityNames.AlertStaff, new SmsChannelException("ACS SMS send answered 401")))
                : Task.FromResult(1);
        });
    }

    /// <summary>What the engine throws into the orchestrator once an activity failed for good.</summary>
    private static TaskFailedException Failed(string activity, Exception cause) => new(activity, 1, TaskFailureDetails.FromException(cause));

    private void StartAt(DateTimeOffset now) => _context.CurrentUtcDateTime.Returns(now.UtcDateTime);

    private static RecoveryInput Input(DateTimeOffset callAt) => new("mc-test", TestData.UkClinicNumber, TestData.UkMobile, "sam jones",
        "generic:evt-1", callAt, TestData.UkClinic);

    [Fact]
    public async Task Run_CallAtTenPm_TextBackNowAfterHours_FollowUpDeferredToEightAm()
    {
        // 22:00 in London (GMT in November): the text-back is conversational and goes now; the nudge due at 22:30 waits.
        var callAt = new DateTimeOffset(2026, 11, 26, 22, 0, 0, TimeSpan.Zero);
        _context.CurrentUtcDateTime.Returns(callAt.UtcDateTime);

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.NoResponse, result.Outcome);
        Assert.Equal("text-back-after-hours", _texts[0].TimelineKind);
        Assert.StartsWith("Hi Sam,", _texts[0].Body, StringComparison.Ordinal);
        Assert.Equal(new DateTime(2026, 11, 27, 8, 0, 0, DateTimeKind.Utc), _timers[0]);
        var deferred = Assert.Single(_timeline, t => t.Entry.Kind == "deferred");
        Assert.Contains("outside sending hours 08:00-21:00 Europe/London", deferred.Entry.Detail, StringComparison.Ordinal);
        Assert.Equal("follow-up", _texts[1].TimelineKind);
    }

    [Fact]
    public async Task Run_EveryText_HasItsOwnRepeatabilityIdAndStepKey()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        _context.CurrentUtcDateTime.Returns(callAt.UtcDateTime);

        await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(_texts.Count, _texts.Select(t => t.RepeatabilityRequestId).Distinct().Count());
        Assert.Equal(_texts.Count, _texts.Select(t => t.StepKey).Distinct().Count());
        Assert.All(_texts, t => Assert.Equal(TestData.UkClinicNumber, t.From));
    }

    [Fact]
    public async Task Run_ManagerStep_WaitsForTheEndOfTheNextBusinessDay()
    {
        // Friday 27 Nov 2026, 16:00: the next business day is Saturday, open 09:00-13:00.
        var callAt = new DateTimeOffset(2026, 11, 27, 16, 0, 0, TimeSpan.Zero);
        _context.CurrentUtcDateTime.Returns(callAt.UtcDateTime);

        await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(new DateTime(2026, 11, 28, 13, 0, 0, DateTimeKind.Utc), _timers[^1]);
    }

    [Fact]
    public async Task Run_TextBackFailsForGood_OpensCallbackTaskAndEndsAsFailedDelivery()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        _sendFails = _ => true;

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.FailedDelivery, result.Outcome);
        Assert.Equal(0, result.TextsSent);
        var task = Assert.Single(_tasks);
        Assert.Equal("text could not be sent: please call back", task.Reason);
        Assert.False(task.Urgent);
        Assert.Equal(RecoveryOutcome.FailedDelivery, Assert.Single(_completed).Outcome); // the registry row is ended
        Assert.Empty(_timers); // no ladder after it
        var refused = Assert.Single(_timeline, t => t.Entry.Key == "01-textback");
        Assert.Equal("text-back-refused", refused.Entry.Kind);
        Assert.Contains("SmsChannelException", refused.Entry.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FollowUpFailsForGood_OpensCallbackTaskAndStopsTheLadder()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        _sendFails = text => text.TimelineKind == "follow-up";

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.FailedDelivery, result.Outcome);
        Assert.Equal(1, result.TextsSent);
        Assert.Equal("text could not be sent: please call back", Assert.Single(_tasks).Reason);
        Assert.Empty(_alerts);
        Assert.Single(_timers); // the follow-up's; none of the later steps
        Assert.Equal(RecoveryOutcome.FailedDelivery, Assert.Single(_completed).Outcome);
    }

    [Fact]
    public async Task Run_OptOutConfirmationFails_EndsAsOptedOutWithoutATask()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        _inbox = () => _timers.Count == 0 ? [] : [new InboxItem("r-1", InboxKind.Reply, callAt.AddMinutes(5), "STOP")];
        _sendFails = text => text.ConfirmsOptOut;

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.OptedOut, result.Outcome);
        Assert.Empty(_tasks);
        Assert.Equal(RecoveryOutcome.OptedOut, Assert.Single(_completed).Outcome);
    }

    [Fact]
    public async Task Run_UrgentAdviceFails_StaysHandedToStaff()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        _inbox = () => _timers.Count == 0 ? [] : [new InboxItem("r-1", InboxKind.Reply, callAt.AddMinutes(5), "my face is really swollen and it hurts")];
        _sendFails = text => text.TimelineKind == "urgent-reply";

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.HandedToStaff, result.Outcome);
        Assert.True(Assert.Single(_tasks).Urgent);
        Assert.Single(_alerts);
    }

    [Fact]
    public async Task Run_StaffAlertsFailForGood_LadderRunsToTheEndWithTheTaskOpen()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        _alertsFail = true;

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.NoResponse, result.Outcome);
        Assert.Equal(2, _alerts.Count); // staff and manager were both tried
        Assert.NotEmpty(_tasks);
        Assert.Contains(_timeline, t => t.Entry.Key == "step-2-AlertStaff-failed" && t.Entry.Kind == "alert-failed");
        Assert.Equal(RecoveryOutcome.NoResponse, Assert.Single(_completed).Outcome);
    }

    [Fact]
    public async Task Run_TimelineCannotBeWritten_RecoveryStillRunsAndEnds()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        _timelineFails = true;

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.NoResponse, result.Outcome);
        Assert.Equal(2, result.TextsSent);
        Assert.Equal(RecoveryOutcome.NoResponse, Assert.Single(_completed).Outcome);
    }

    [Fact]
    public async Task Run_CalendarFailsForGood_StaffCallBackToBook()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        _inbox = () => _timers.Count == 0 ? [] : [new InboxItem("r-1", InboxKind.Reply, callAt.AddMinutes(5), "Yeah I'd like to book an appointment")];
        _context.CallActivityAsync<SlotOffer>(Arg.Any<TaskName>(), Arg.Any<object?>(), Arg.Any<TaskOptions?>())
            .Returns(Task.FromException<SlotOffer>(Failed(RecoveryActivityNames.FindSlots, new TimeoutException("calendar"))));

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.RecoveredReplied, result.Outcome);
        Assert.Equal("patient wants to book but the calendar could not be read: please call back", Assert.Single(_tasks).Reason);
        Assert.Equal("booking-no-slots", _texts[^1].TimelineKind);
        Assert.Equal(RecoveryOutcome.RecoveredReplied, Assert.Single(_completed).Outcome);
    }

    [Fact]
    public async Task Run_BookingFailsForGood_StaffConfirmIt()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        var slot = new OfferedSlot(callAt.AddDays(1), TimeSpan.FromMinutes(20), "check-up");
        _inbox = () => _timers.Count == 0 ? []
            : _texts.Any(t => t.TimelineKind == "booking-offer")
                ? [new InboxItem("r-1", InboxKind.Reply, callAt.AddMinutes(5), "Yeah I'd like to book an appointment"), new InboxItem("r-2", InboxKind.Reply, callAt.AddMinutes(6), "1")]
                : [new InboxItem("r-1", InboxKind.Reply, callAt.AddMinutes(5), "Yeah I'd like to book an appointment")];
        _context.CallActivityAsync<SlotOffer>(Arg.Any<TaskName>(), Arg.Any<object?>(), Arg.Any<TaskOptions?>())
            .Returns(Task.FromResult(new SlotOffer([slot], MatchedPreference: true)));
        _context.CallActivityAsync<BookSlotResult>(Arg.Any<TaskName>(), Arg.Any<object?>(), Arg.Any<TaskOptions?>())
            .Returns(Task.FromException<BookSlotResult>(Failed(RecoveryActivityNames.BookSlot, new TimeoutException("calendar"))));

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.RecoveredReplied, result.Outcome);
        Assert.Contains("the booking could not be confirmed", Assert.Single(_tasks).Reason, StringComparison.Ordinal);
        Assert.Equal("booking-failed", _texts[^1].TimelineKind);
        Assert.DoesNotContain("booked", _texts[^1].Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Run_FollowUpTimerFiresAfterTheWindowClosed_DeferredAgainToTheNextMorning()
    {
        // 20:00 in London: the follow-up is due 20:30, inside the window, but its timer fires at 21:40 (host down).
        var callAt = new DateTimeOffset(2026, 11, 25, 20, 0, 0, TimeSpan.Zero);
        StartAt(callAt);
        _firstTimerLate = TimeSpan.FromMinutes(70);

        await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(new DateTime(2026, 11, 25, 20, 30, 0, DateTimeKind.Utc), _timers[0]);
        Assert.Equal(new DateTime(2026, 11, 26, 8, 0, 0, DateTimeKind.Utc), _timers[1]);
        var followUp = Assert.Single(_texts, t => t.TimelineKind == "follow-up");
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero), followUp.FirstSent);
        var deferred = Assert.Single(_timeline, t => t.Entry.Kind == "deferred");
        Assert.Equal("step-0-deferred", deferred.Entry.Key);
        Assert.Contains("outside sending hours 08:00-21:00 Europe/London", deferred.Entry.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FollowUpDeferredOvernight_LaterStepsKeepTheirSpacingFromIt()
    {
        // Thursday 20:45 in London: the follow-up due 21:15 goes at 08:00; the callback task and the staff alert, 2 h
        // after the text-back, come 1 h 30 after the follow-up (not at 22:45, i.e. the second after it); the manager
        // alert at the end of the next business day counted from there (Saturday, open until 13:00).
        var callAt = new DateTimeOffset(2026, 11, 26, 20, 45, 0, TimeSpan.Zero);
        StartAt(callAt);

        await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(
            [new DateTime(2026, 11, 27, 8, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 27, 9, 30, 0, DateTimeKind.Utc), new DateTime(2026, 11, 28, 13, 0, 0, DateTimeKind.Utc)],
            _timers);
        var followUp = Assert.Single(_texts, t => t.TimelineKind == "follow-up");
        var callback = _tasks[0];
        Assert.Equal("no reply to the text-back: please call back", callback.Reason);
        Assert.Equal(TimeSpan.FromMinutes(90), callback.At - followUp.FirstSent);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 9, 30, 0, TimeSpan.Zero), _alerts[0].FirstSent);
    }

    [Fact]
    public async Task Run_FollowUpNotDeferred_LadderKeepsItsTimesFromTheTextBack()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt);

        await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(new DateTime(2026, 11, 25, 10, 30, 0, DateTimeKind.Utc), _timers[0]);
        Assert.Equal(new DateTime(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc), _timers[1]);
    }

    [Fact]
    public async Task Run_CallEventTenMinutesLateAtNight_TextBackStillGoesAtOnce()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 22, 0, 0, TimeSpan.Zero);
        StartAt(callAt.AddMinutes(10));

        await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(callAt.AddMinutes(10), _texts[0].FirstSent);
        Assert.Equal("text-back-after-hours", _texts[0].TimelineKind);
        Assert.DoesNotContain(_timeline, t => t.Entry.Key.StartsWith("01-textback", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_CallEventTwoHoursLateAtNight_TextBackDeferredToTheSendingWindow()
    {
        // Called at 21:30, the event arrives at 23:30 (queue backlog): not the conversation the caller just started.
        var callAt = new DateTimeOffset(2026, 11, 25, 21, 30, 0, TimeSpan.Zero);
        StartAt(callAt.AddHours(2));

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.NoResponse, result.Outcome);
        var eight = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(eight.UtcDateTime, _timers[0]);
        Assert.Equal(eight, _texts[0].FirstSent);
        Assert.StartsWith("text-back", _texts[0].TimelineKind, StringComparison.Ordinal);
        var deferred = Assert.Single(_timeline, t => t.Entry.Kind == "deferred");
        Assert.Equal("01-textback-deferred", deferred.Entry.Key);
        Assert.Contains("text-back deferred: outside sending hours 08:00-21:00 Europe/London", deferred.Entry.Detail, StringComparison.Ordinal);
        Assert.Equal(eight.AddMinutes(30).UtcDateTime, _timers[1]); // the ladder counts from the text-back
    }

    [Fact]
    public async Task Run_CallEventTwoHoursLateInTheDay_TextBackGoesAtOnce()
    {
        var callAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt.AddHours(2));

        await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(callAt.AddHours(2), _texts[0].FirstSent);
        Assert.DoesNotContain(_timeline, t => t.Entry.Kind == "deferred");
    }

    [Fact]
    public async Task Run_CallEventTwoDaysOld_NotTextedStaffCallBack()
    {
        var callAt = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt.AddDays(2));

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.FailedDelivery, result.Outcome);
        Assert.Empty(_texts);
        Assert.Empty(_timers);
        Assert.Equal("missed call reported too late to text: please call back", Assert.Single(_tasks).Reason);
        var skipped = Assert.Single(_timeline, t => t.Entry.Key == "01-textback");
        Assert.Equal("text-back-skipped", skipped.Entry.Kind);
        Assert.Equal(RecoveryOutcome.FailedDelivery, Assert.Single(_completed).Outcome);
    }

    [Fact]
    public async Task Run_LateCallEventWhoseSendingTimeIsMoreThanADayAfterTheCall_NotTexted()
    {
        // Called Tuesday 23:00, reported Wednesday 22:00: the next sending time, Thursday 08:00, is 33 h after the call.
        var callAt = new DateTimeOffset(2026, 11, 24, 23, 0, 0, TimeSpan.Zero);
        StartAt(callAt.AddHours(23));

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt));

        Assert.Equal(RecoveryOutcome.FailedDelivery, result.Outcome);
        Assert.Empty(_texts);
        Assert.Empty(_timers); // staff get the task now, not after a night's wait
        Assert.Single(_tasks);
    }

    [Fact]
    public async Task Run_HandedBackDaysAfterTheCall_LadderResumesWithoutAStalenessCheck()
    {
        var callAt = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        StartAt(callAt.AddDays(2));

        var result = await new MissedCallRecoveryOrchestrator().RunAsync(_context, Input(callAt) with { Resume = true });

        Assert.Equal(RecoveryOutcome.NoResponse, result.Outcome);
        Assert.Equal("follow-up", Assert.Single(_texts).TimelineKind);
    }
}
