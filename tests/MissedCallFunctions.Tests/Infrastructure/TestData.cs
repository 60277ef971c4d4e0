using MissedCallFunctions.Clinics;
using MissedCallFunctions.Ingest;

namespace MissedCallFunctions.Tests.Infrastructure;

/// <summary>The shipped sample clinics and call events built against them.</summary>
public static class TestData
{
    public const string UkClinicId = "riverside-dental";
    public const string UkClinicNumber = "+442079460000";
    public const string UkMobile = "+447400123456";
    public const string UkLandline = "+442079460555";
    public const string UkTwilioToken = "dev-riverside-twilio-auth-token";
    public const string UkGenericSecret = "dev-riverside-generic-secret-0001";
    public const string UsClinicNumber = "+13105550142";

    private static readonly Lazy<ClinicFile> Sample = new(() =>
    {
        var (file, errors) = ClinicConfigValidator.Parse(File.ReadAllText(SamplePaths.Clinics("clinics.sample.json")));
        return file ?? throw new InvalidOperationException(string.Join("; ", errors));
    });

    public static ClinicConfig UkClinic => Sample.Value.Clinics.Single(c => c.Id == UkClinicId);

    public static ClinicConfig UsClinic => Sample.Value.Clinics.Single(c => c.Id != UkClinicId);

    public static CallEvent MissedCall(
        string? caller = UkMobile,
        CallOutcome outcome = CallOutcome.Missed,
        CallDirection direction = CallDirection.Inbound,
        string? eventId = null,
        string? callId = null,
        CallerNumberStatus? status = null,
        bool? voicemailLeft = null,
        int? ringSeconds = 20,
        DateTimeOffset? at = null)
    {
        var when = at ?? DateTimeOffset.UtcNow;
        var id = eventId ?? "evt-" + Guid.NewGuid().ToString("N");
        return new CallEvent
        {
            Provider = "generic",
            ProviderEventId = id,
            ProviderCallId = callId ?? "call-" + id,
            ClinicId = UkClinicId,
            ClinicNumber = UkClinicNumber,
            CallerNumber = caller,
            CallerNumberStatus = status ?? (caller is null ? CallerNumberStatus.Withheld : CallerNumberStatus.Valid),
            Direction = direction,
            Outcome = outcome,
            VoicemailLeft = voicemailLeft,
            RingSeconds = ringSeconds,
            OccurredAt = when,
            ReceivedAt = when,
        };
    }
}
