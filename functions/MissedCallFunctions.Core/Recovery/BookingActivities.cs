using MissedCallFunctions.Bookings;
using MissedCallFunctions.Clinics;
using Microsoft.Extensions.Logging;

namespace MissedCallFunctions.Recovery;

/// <param name="Preference">What the patient asked for; null: the earliest times.</param>
/// <param name="Exclude">Start times already refused (taken while the patient chose).</param>
public sealed record FindSlotsRequest(string ClinicId, string InstanceId, TimeWindow? Preference, IReadOnlyList<DateTimeOffset> Exclude);

/// <param name="MatchedPreference">False when nothing fitted the preference and the earliest times are offered instead.</param>
public sealed record SlotOffer(IReadOnlyList<OfferedSlot> Slots, bool MatchedPreference);

/// <summary>The two or three earliest free slots that fit what the patient asked for (built-in calendar).</summary>
public sealed class FindSlotsActivity(IClinicDirectory clinics, IBookingStore bookings, TimeProvider time) : IRecoveryActivity<FindSlotsRequest, SlotOffer>
{
    public async Task<SlotOffer> RunAsync(FindSlotsRequest request, CancellationToken cancellationToken)
    {
        var clinic = await clinics.GetAsync(request.ClinicId, cancellationToken).ConfigureAwait(false)
                     ?? throw new InvalidOperationException($"Clinic '{request.ClinicId}' is not configured.");
        var settings = clinic.Booking ?? BookingSettings.Default;
        var type = settings.TypeOrDefault() ?? throw new InvalidOperationException($"Clinic '{clinic.Id}' has no appointment type.");
        var now = time.GetUtcNow();
        var horizon = now.AddDays(settings.HorizonDays + 1);
        var existing = await bookings.ListAsync(clinic.Id, now, horizon, cancellationToken).ConfigureAwait(false);
        var holds = await bookings.ListHoldsAsync(clinic.Id, now, horizon, cancellationToken).ConfigureAwait(false);

        IReadOnlyList<OfferedSlot> Find(TimeWindow? preference) => SlotFinder.Find(clinic, settings, type, existing, now, preference, 3 + request.Exclude.Count,
                holds, request.InstanceId)
            .Where(s => !request.Exclude.Contains(s.Start)).Take(3).ToList();

        var preferred = request.Preference is null ? [] : Find(request.Preference);
        return preferred.Count > 0 || request.Preference is null
            ? new SlotOffer(request.Preference is null ? Find(null) : preferred, true)
            : new SlotOffer(Find(null), false);
    }
}

public sealed record BookSlotRequest(string ClinicId, string InstanceId, string BookingId, OfferedSlot Slot, string CallerNumber, string? CallerName);

public sealed record BookSlotResult(bool Confirmed, string? BookingId, string? Reference, string? Refusal);

/// <summary>
/// Books the chosen slot: atomically in the built-in calendar (one of two patients choosing the same slot at the same
/// moment gets it), or through the practice's own system (external mode), which confirms or rejects.
/// </summary>
public sealed partial class BookSlotActivity(
    IClinicDirectory clinics,
    IBookingStore bookings,
    ExternalBookingClient external,
    ILogger<BookSlotActivity> logger) : IRecoveryActivity<BookSlotRequest, BookSlotResult>
{
    public const string Source = "missed-call-recovery";

    /// <summary>Extra chairs for bookings another system already confirmed: our copy records them, it never refuses them.</summary>
    public const int OverflowChairs = 20;

    public async Task<BookSlotResult> RunAsync(BookSlotRequest request, CancellationToken cancellationToken)
    {
        var clinic = await clinics.GetAsync(request.ClinicId, cancellationToken).ConfigureAwait(false)
                     ?? throw new InvalidOperationException($"Clinic '{request.ClinicId}' is not configured.");
        var settings = clinic.Booking ?? BookingSettings.Default;
        var type = settings.TypeOrDefault(request.Slot.AppointmentTypeId) ?? throw new InvalidOperationException("No appointment type.");
        string? reference = null;
        var chairs = settings.Chairs;
        if (settings.Mode == BookingMode.External)
        {
            var answer = await external.RequestAsync(settings, new ExternalBookingRequest(request.BookingId, clinic.Id, request.Slot.Start,
                request.Slot.Start + request.Slot.Duration, type, request.CallerNumber, request.CallerName, Source), cancellationToken).ConfigureAwait(false);
            if (answer.Status != ExternalBookingStatus.Confirmed)
            {
                LogRefused(logger, request.InstanceId, "rejected by the practice system");
                return new BookSlotResult(false, null, null, answer.Reason ?? "rejected by the practice system");
            }

            // The practice system owns the diary; our copy feeds the calendar and reports, never refuses it.
            reference = answer.Reference;
            chairs = Math.Min(settings.Chairs + OverflowChairs, 99);
        }

        var result = await bookings.TryConfirmAsync(new BookingRequest(clinic.Id, request.BookingId, request.Slot.Start, request.Slot.Duration, type.Id,
            request.CallerNumber, request.CallerName, Source, clinic.AverageAppointmentValue, request.InstanceId), chairs, cancellationToken).ConfigureAwait(false);
        if (!result.Confirmed)
        {
            LogRefused(logger, request.InstanceId, result.Refusal ?? "taken");
        }

        return new BookSlotResult(result.Confirmed, result.Booking?.BookingId, reference, result.Refusal);
    }

    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Recovery {InstanceId}: slot not booked ({Reason})")]
    private static partial void LogRefused(ILogger logger, string instanceId, string reason);
}
