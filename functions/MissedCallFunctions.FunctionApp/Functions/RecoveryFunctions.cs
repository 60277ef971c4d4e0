using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>
/// The recovery orchestration and its activities as Durable Functions: each a thin adapter over the class in Core
/// that the local host runs too. Names come from <see cref="RecoveryTasks"/>, checked against functions.metadata.
/// </summary>
public sealed class RecoveryFunctions(
    TakeInboxActivity takeInbox,
    SendPatientSmsActivity sendPatientSms,
    RecordOptChangeActivity recordOptChange,
    OpenStaffTaskActivity openStaffTask,
    AlertStaffActivity alertStaff,
    RecordTimelineActivity recordTimeline,
    CompleteRecoveryActivity complete,
    FindSlotsActivity findSlots,
    BookSlotActivity bookSlot)
{
    [Function(RecoveryNames.Orchestration)]
    public Task<RecoveryResult> MissedCallRecovery([OrchestrationTrigger] TaskOrchestrationContext context)
        => new MissedCallRecoveryOrchestrator().RunAsync(context, context.GetInput<RecoveryInput>()
                                                                 ?? throw new InvalidOperationException("A recovery needs its input."));

    [Function(RecoveryActivityNames.TakeInbox)]
    public Task<IReadOnlyList<InboxItem>> TakeInbox([ActivityTrigger] string instanceId, CancellationToken cancellationToken)
        => takeInbox.RunAsync(instanceId, cancellationToken);

    [Function(RecoveryActivityNames.SendPatientSms)]
    public Task<PatientSmsResult> SendPatientSms([ActivityTrigger] PatientSmsRequest request, CancellationToken cancellationToken)
        => sendPatientSms.RunAsync(request, cancellationToken);

    [Function(RecoveryActivityNames.RecordOptChange)]
    public Task<bool> RecordOptChange([ActivityTrigger] OptChangeRequest request, CancellationToken cancellationToken)
        => recordOptChange.RunAsync(request, cancellationToken);

    [Function(RecoveryActivityNames.OpenStaffTask)]
    public Task<StaffTask> OpenStaffTask([ActivityTrigger] StaffTaskRequest request, CancellationToken cancellationToken)
        => openStaffTask.RunAsync(request, cancellationToken);

    [Function(RecoveryActivityNames.AlertStaff)]
    public Task<int> AlertStaff([ActivityTrigger] StaffAlertRequest request, CancellationToken cancellationToken)
        => alertStaff.RunAsync(request, cancellationToken);

    [Function(RecoveryActivityNames.RecordTimeline)]
    public Task<bool> RecordTimeline([ActivityTrigger] TimelineRequest request, CancellationToken cancellationToken)
        => recordTimeline.RunAsync(request, cancellationToken);

    [Function(RecoveryActivityNames.Complete)]
    public Task<bool> Complete([ActivityTrigger] CompleteRecoveryRequest request, CancellationToken cancellationToken)
        => complete.RunAsync(request, cancellationToken);

    [Function(RecoveryActivityNames.FindSlots)]
    public Task<SlotOffer> FindSlots([ActivityTrigger] FindSlotsRequest request, CancellationToken cancellationToken)
        => findSlots.RunAsync(request, cancellationToken);

    [Function(RecoveryActivityNames.BookSlot)]
    public Task<BookSlotResult> BookSlot([ActivityTrigger] BookSlotRequest request, CancellationToken cancellationToken)
        => bookSlot.RunAsync(request, cancellationToken);
}
