namespace MissedCallFunctions.Recovery;

/// <summary>Receives the recovery's orchestrator and activities; each host implements it over its own Durable registry.</summary>
public interface IRecoveryTaskRegistrar
{
    void Orchestrator(string name, Func<MissedCallRecoveryOrchestrator> create);

    void Activity<TActivity, TInput, TOutput>(string name)
        where TActivity : class, IRecoveryActivity<TInput, TOutput>;
}

/// <summary>The one list of the recovery's Durable tasks, so both hosts (and the metadata test) register the same set.</summary>
public static class RecoveryTasks
{
    public static void Register(IRecoveryTaskRegistrar registrar)
    {
        registrar.Orchestrator(RecoveryNames.Orchestration, () => new MissedCallRecoveryOrchestrator());
        registrar.Activity<TakeInboxActivity, string, IReadOnlyList<InboxItem>>(RecoveryActivityNames.TakeInbox);
        registrar.Activity<SendPatientSmsActivity, PatientSmsRequest, PatientSmsResult>(RecoveryActivityNames.SendPatientSms);
        registrar.Activity<RecordOptChangeActivity, OptChangeRequest, bool>(RecoveryActivityNames.RecordOptChange);
        registrar.Activity<OpenStaffTaskActivity, Staff.StaffTaskRequest, Staff.StaffTask>(RecoveryActivityNames.OpenStaffTask);
        registrar.Activity<AlertStaffActivity, StaffAlertRequest, int>(RecoveryActivityNames.AlertStaff);
        registrar.Activity<RecordTimelineActivity, TimelineRequest, bool>(RecoveryActivityNames.RecordTimeline);
        registrar.Activity<CompleteRecoveryActivity, CompleteRecoveryRequest, bool>(RecoveryActivityNames.Complete);
        registrar.Activity<FindSlotsActivity, FindSlotsRequest, SlotOffer>(RecoveryActivityNames.FindSlots);
        registrar.Activity<BookSlotActivity, BookSlotRequest, BookSlotResult>(RecoveryActivityNames.BookSlot);
    }

    /// <summary>Every registered name (orchestrator first).</summary>
    public static IReadOnlyList<string> Names()
    {
        var names = new NameCollector();
        Register(names);
        return names.Names;
    }

    private sealed class NameCollector : IRecoveryTaskRegistrar
    {
        public List<string> Names { get; } = [];

        public void Orchestrator(string name, Func<MissedCallRecoveryOrchestrator> create) => Names.Add(name);

        public void Activity<TActivity, TInput, TOutput>(string name)
            where TActivity : class, IRecoveryActivity<TInput, TOutput> => Names.Add(name);
    }
}
