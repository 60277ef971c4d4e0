using System.Text.Json;
using System.Text.Json.Serialization;
using MissedCallFunctions.Ingest;

namespace MissedCallFunctions.Clinics;

/// <summary>A clinic's whole configuration, as loaded from the clinics JSON file and stored in Table Storage.</summary>
public sealed record ClinicConfig
{
    /// <summary>Stable id: lower-case letters, digits and dashes (used in table keys and URLs).</summary>
    public required string Id { get; init; }

    public required string Name { get; init; }

    /// <summary>ISO 3166-1 alpha-2 country of the clinic (e.g. GB, US): numbering plan and SMS rules.</summary>
    public required string Country { get; init; }

    /// <summary>IANA time zone (e.g. Europe/London).</summary>
    public required string TimeZone { get; init; }

    /// <summary>Numbers patients dial, E.164. Texts go out from the number that was dialled.</summary>
    public IReadOnlyList<string> Numbers { get; init; } = [];

    public string? Address { get; init; }

    public string? BookingLink { get; init; }

    /// <summary>Told to callers after hours and to anyone who reports something urgent.</summary>
    public string? EmergencyGuidance { get; init; }

    /// <summary>Keyed by lower-case English day name (monday..sunday); a missing day is closed.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<OpeningPeriod>> OpeningHours { get; init; } =
        new Dictionary<string, IReadOnlyList<OpeningPeriod>>();

    public IReadOnlyList<Holiday> Holidays { get; init; } = [];

    /// <summary>Window for automated (non-conversational) texts in the clinic's time zone.</summary>
    public SendingHours SendingHours { get; init; } = new();

    /// <summary>Message templates by name (textBack, textBackAfterHours, followUp, ...); placeholders in braces.</summary>
    public IReadOnlyDictionary<string, string> Templates { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<EscalationStep> EscalationLadder { get; init; } = EscalationStep.DefaultLadder;

    public IReadOnlyList<StaffContact> StaffContacts { get; init; } = [];

    /// <summary>Average value of one appointment, for recovered-revenue figures.</summary>
    public decimal AverageAppointmentValue { get; init; }

    /// <summary>ISO 4217 currency of <see cref="AverageAppointmentValue"/>.</summary>
    public string Currency { get; init; } = "USD";

    public MissedCallDefinition MissedCallDefinition { get; init; } = new();

    /// <summary>Known spam or blocked callers (E.164): recorded, never texted.</summary>
    public IReadOnlyList<string> BlockedNumbers { get; init; } = [];

    /// <summary>Staff mobiles, other sites, the clinic's own lines (E.164): internal calls are never recoveries.</summary>
    public IReadOnlyList<string> InternalNumbers { get; init; } = [];

    /// <summary>Which SMS channel texts this clinic's patients: acs or twilio.</summary>
    public string SmsChannel { get; init; } = "acs";

    public ClinicWebhookSecrets Webhooks { get; init; } = new();

    /// <summary>Tokens for this clinic's staff API and dashboard (header X-Clinic-Token); several allow rotation.</summary>
    public IReadOnlyList<string> StaffAccessTokens { get; init; } = [];

    /// <summary>
    /// The booking conversation: how replies turn into appointments (built-in calendar, booking link, or the practice's
    /// own system). Null: replies go to staff.
    /// </summary>
    public Bookings.BookingSettings? Booking { get; init; }

    /// <summary>Secret tokens for the clinic's iCalendar feed URL (Outlook / Google / Apple subscribe to it).</summary>
    public IReadOnlyList<string> CalendarFeedTokens { get; init; } = [];

    /// <summary>Secret tokens for the practice manager's dashboard (in its URL); several allow rotation.</summary>
    public IReadOnlyList<string> DashboardTokens { get; init; } = [];

    /// <summary>How soon staff should call back after a callback task opens; urgent tasks within 15 minutes at most.</summary>
    public TimeSpan CallbackTaskDue { get; init; } = TimeSpan.FromHours(2);

    /// <summary>When a task opened at <paramref name="at"/> is overdue.</summary>
    public DateTimeOffset TaskDueAt(DateTimeOffset at, bool urgent)
        => at + (urgent && CallbackTaskDue > UrgentTaskDue ? UrgentTaskDue : CallbackTaskDue);

    private static readonly TimeSpan UrgentTaskDue = TimeSpan.FromMinutes(15);

    /// <summary>The morning text to the manager with yesterday's figures and open tasks.</summary>
    public DailySummarySettings DailySummary { get; init; } = new();

    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    /// <summary>The configuration without secrets, for orchestration inputs (which end up in history).</summary>
    public ClinicConfig WithoutSecrets() => this with
    {
        Webhooks = new ClinicWebhookSecrets(),
        StaffAccessTokens = [],
        CalendarFeedTokens = [],
        DashboardTokens = [],
        Booking = Booking is null ? null : Booking with { ExternalWebhookSecret = null },
    };

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = false,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return options;
    }
}

public sealed record OpeningPeriod(string Open, string Close);

public sealed record Holiday(DateOnly Date, string? Name = null);

public sealed record SendingHours
{
    public string Start { get; init; } = "08:00";

    public string End { get; init; } = "21:00";
}

public enum EscalationAction
{
    /// <summary>A gentle follow-up text to the patient (respects sending hours).</summary>
    NudgePatient,
    /// <summary>A callback task on the staff board.</summary>
    StaffCallbackTask,
    /// <summary>An SMS alert to the clinic's staff contacts.</summary>
    AlertStaff,
    /// <summary>An SMS alert to the practice manager.</summary>
    AlertManager,
}

public sealed record EscalationStep
{
    /// <summary>Time after the missed call (or, with <see cref="AfterBusinessDays"/>, business days later).</summary>
    public TimeSpan After { get; init; }

    /// <summary>When set, the step runs at the end of the Nth business day after the call instead of after <see cref="After"/>.</summary>
    public int? AfterBusinessDays { get; init; }

    public required EscalationAction Action { get; init; }

    public string? Template { get; init; }

    public static IReadOnlyList<EscalationStep> DefaultLadder { get; } =
    [
        new() { After = TimeSpan.FromMinutes(30), Action = EscalationAction.NudgePatient, Template = "followUp" },
        new() { After = TimeSpan.FromHours(2), Action = EscalationAction.StaffCallbackTask },
        new() { After = TimeSpan.FromHours(2), Action = EscalationAction.AlertStaff, Template = "staffAlert" },
        new() { AfterBusinessDays = 1, Action = EscalationAction.AlertManager, Template = "managerAlert" },
    ];
}

public enum StaffRole
{
    Staff,
    Manager,
    OnCall,
}

public sealed record StaffContact(string Name, string Phone, StaffRole Role = StaffRole.Staff, string? Email = null);

/// <summary>Which call outcomes this clinic counts as a missed call worth recovering.</summary>
public sealed record MissedCallDefinition
{
    /// <summary>Rang out with nobody answering. Almost every clinic wants this.</summary>
    public bool CountNoAnswer { get; init; } = true;

    public bool CountBusy { get; init; } = true;

    /// <summary>Voicemail where the caller hung up without leaving a message.</summary>
    public bool CountVoicemailWithoutMessage { get; init; } = true;

    /// <summary>Voicemail with a message: staff will usually listen and call back, so off by default.</summary>
    public bool CountVoicemailWithMessage { get; init; }

    public bool CountAbandoned { get; init; } = true;

    /// <summary>Abandoned calls shorter than this many seconds of ringing are treated as misdials and not counted.</summary>
    public int AbandonedMinimumRingSeconds { get; init; } = 5;

    /// <summary>Calls that failed to connect (routing errors): usually not the caller's intent to reach us.</summary>
    public bool CountFailed { get; init; }

    /// <summary>Whether an outcome counts as missed for this clinic, with the reason when it does not.</summary>
    public (bool Counts, string Reason) Evaluate(CallOutcome outcome, bool? voicemailLeft, int? ringSeconds) => outcome switch
    {
        CallOutcome.Missed => (CountNoAnswer, CountNoAnswer ? "no answer" : "no-answer calls not counted"),
        CallOutcome.Busy => (CountBusy, CountBusy ? "busy" : "busy calls not counted"),
        CallOutcome.Voicemail when voicemailLeft == true =>
            (CountVoicemailWithMessage, CountVoicemailWithMessage ? "voicemail with message" : "voicemail with a message not counted"),
        CallOutcome.Voicemail =>
            (CountVoicemailWithoutMessage, CountVoicemailWithoutMessage ? "voicemail without message" : "voicemail not counted"),
        CallOutcome.Abandoned when !CountAbandoned => (false, "abandoned calls not counted"),
        CallOutcome.Abandoned when ringSeconds is { } ring && ring < AbandonedMinimumRingSeconds =>
            (false, $"abandoned after {ring}s, under {AbandonedMinimumRingSeconds}s"),
        CallOutcome.Abandoned => (true, "abandoned"),
        CallOutcome.Failed => (CountFailed, CountFailed ? "failed" : "failed calls not counted"),
        _ => (false, outcome.ToString().ToLowerInvariant()),
    };
}

/// <summary>Per-clinic webhook secrets, one per provider the clinic uses.</summary>
public sealed record ClinicWebhookSecrets
{
    /// <summary>HMAC-SHA256 secrets for the generic JSON schema; several allow rotation.</summary>
    public IReadOnlyList<string> GenericHmacSecrets { get; init; } = [];

    /// <summary>Twilio account auth token (X-Twilio-Signature).</summary>
    public string? TwilioAuthToken { get; init; }

    /// <summary>Telnyx account public key, base64 (Ed25519).</summary>
    public string? TelnyxPublicKey { get; init; }

    /// <summary>Vonage signature secret (HS256 signed webhooks).</summary>
    public string? VonageSignatureSecret { get; init; }

    /// <summary>The verification token given when the RingCentral webhook subscription was created.</summary>
    public string? RingCentralVerificationToken { get; init; }

    /// <summary>
    /// Event Grid does not sign deliveries: when set, the subscription URL must carry <c>?token=</c> with this value
    /// (on top of the function key).
    /// </summary>
    public string? AcsWebhookToken { get; init; }
}

public sealed record DailySummarySettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>Clinic-local time (HH:mm) from which the summary of the previous day is sent.</summary>
    public string At { get; init; } = "07:30";
}
