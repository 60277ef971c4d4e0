// The namespace is plural so that the record Booking is never hidden by a namespace of the same name
// (MissedCallFunctions.Booking would shadow it for every caller under MissedCallFunctions.*).
namespace MissedCallFunctions.Bookings;

/// <summary>A kind of appointment the clinic offers by text, e.g. <c>checkup</c> "Check-up", 30 minutes.</summary>
public sealed record AppointmentType(string Id, string Name, TimeSpan Duration);

/// <summary>How a clinic takes bookings from an SMS conversation.</summary>
public enum BookingMode
{
    /// <summary>We offer slots from the clinic's opening hours and keep the diary ourselves (<see cref="IBookingStore"/>).</summary>
    BuiltIn,

    /// <summary>We only send the clinic's online booking link (<see cref="Clinics.ClinicConfig.BookingLink"/>).</summary>
    BookingLink,

    /// <summary>We offer slots and ask the clinic's practice-management system to confirm them (<see cref="ExternalBookingClient"/>).</summary>
    External,
}

/// <summary>
/// A clinic's booking settings. Kept apart from <see cref="Clinics.ClinicConfig"/> so it can be added there as one
/// property (<c>"booking": { ... }</c>) with the same JSON options (camelCase, enums as camelCase strings,
/// durations as <c>"hh:mm:ss"</c>).
/// </summary>
public sealed record BookingSettings
{
    public BookingMode Mode { get; init; } = BookingMode.BuiltIn;

    public IReadOnlyList<AppointmentType> AppointmentTypes { get; init; } = [];

    /// <summary>Id of the type offered when the patient does not say (the first type when unset or unknown).</summary>
    public string? DefaultAppointmentType { get; init; }

    /// <summary>How many appointments can run at the same time (chairs, rooms, clinicians).</summary>
    public int Chairs { get; init; } = 1;

    /// <summary>Slots start on this grid from each opening time (e.g. every 15 minutes). A multiple of 5 minutes.</summary>
    public TimeSpan SlotGranularity { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>No slot starts sooner than this after now (staff need time to prepare).</summary>
    public TimeSpan LeadTime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>How many days ahead slots are searched when the patient gives no day.</summary>
    public int HorizonDays { get; init; } = 14;

    /// <summary>How long an offered slot is held for the patient while they choose.</summary>
    public TimeSpan HoldFor { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long the booking conversation waits for the patient's next reply before handing it to staff.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Practice-management webhook that confirms bookings in <see cref="BookingMode.External"/> mode.</summary>
    public Uri? ExternalWebhookUrl { get; init; }

    /// <summary>HMAC-SHA256 secret that signs requests to <see cref="ExternalWebhookUrl"/>.</summary>
    public string? ExternalWebhookSecret { get; init; }

    /// <summary>Used when a clinic has no booking settings: one 30-minute appointment type, one chair.</summary>
    public static BookingSettings Default { get; } = new()
    {
        AppointmentTypes = [new AppointmentType("appointment", "Appointment", TimeSpan.FromMinutes(30))],
        DefaultAppointmentType = "appointment",
    };

    /// <summary>The type with this id, else the default type, else the first; null only when there are no types.</summary>
    public AppointmentType? TypeOrDefault(string? id = null)
        => AppointmentTypes.FirstOrDefault(t => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase))
            ?? AppointmentTypes.FirstOrDefault(t => string.Equals(t.Id, DefaultAppointmentType, StringComparison.OrdinalIgnoreCase))
            ?? AppointmentTypes.FirstOrDefault();

    /// <summary>Problems that make the settings unusable (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Chairs is < 1 or > 50)
        {
            errors.Add("booking.chairs must be between 1 and 50");
        }

        if (SlotGranularity < BookingGrid.Cell || SlotGranularity.Ticks % BookingGrid.Cell.Ticks != 0)
        {
            errors.Add("booking.slotGranularity must be a positive multiple of 5 minutes");
        }

        if (LeadTime < TimeSpan.Zero)
        {
            errors.Add("booking.leadTime must not be negative");
        }

        if (HorizonDays is < 1 or > 366)
        {
            errors.Add("booking.horizonDays must be between 1 and 366");
        }

        if (HoldFor <= TimeSpan.Zero)
        {
            errors.Add("booking.holdFor must be positive");
        }

        if (Mode != BookingMode.BookingLink && AppointmentTypes.Count == 0)
        {
            errors.Add("booking.appointmentTypes needs at least one type");
        }

        foreach (var type in AppointmentTypes)
        {
            if (type.Duration <= TimeSpan.Zero || type.Duration > BookingGrid.MaxDuration || type.Duration.Ticks % BookingGrid.Cell.Ticks != 0)
            {
                errors.Add($"booking.appointmentTypes '{type.Id}': duration must be a multiple of 5 minutes, at most {BookingGrid.MaxDuration:hh\\:mm}");
            }
        }

        if (AppointmentTypes.GroupBy(t => t.Id, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1))
        {
            errors.Add("booking.appointmentTypes ids must be unique");
        }

        if (Mode == BookingMode.External)
        {
            if (ExternalWebhookUrl is null || !ExternalWebhookUrl.IsAbsoluteUri)
            {
                errors.Add("booking.externalWebhookUrl is required (absolute URL) in external mode");
            }

            if (string.IsNullOrWhiteSpace(ExternalWebhookSecret))
            {
                errors.Add("booking.externalWebhookSecret is required in external mode");
            }
        }

        return errors;
    }
}

/// <summary>The store's time grid: every booking covers whole 5-minute cells.</summary>
public static class BookingGrid
{
    public static TimeSpan Cell { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest appointment (one Table Storage transaction holds at most 100 rows: cells plus booking and index).</summary>
    public static TimeSpan MaxDuration { get; } = TimeSpan.FromHours(8);
}

public enum BookingStatus
{
    Confirmed,
    Cancelled,
}

/// <summary>A booked appointment. <see cref="PatientPhone"/> is E.164 and never logged.</summary>
public sealed record Booking(
    string ClinicId,
    string BookingId,
    DateTimeOffset Start,
    DateTimeOffset End,
    string AppointmentTypeId,
    string PatientPhone,
    string? PatientName,
    BookingStatus Status,
    DateTimeOffset CreatedAt,
    string Source,
    decimal Value)
{
    /// <summary>Which chair (0-based) the appointment takes.</summary>
    public int Chair { get; init; }

    /// <summary>Bumped on every change (cancellation), for calendar clients.</summary>
    public int Sequence { get; init; }

    public DateTimeOffset? CancelledAt { get; init; }

    public TimeSpan Duration => End - Start;
}

/// <summary>A slot we offered (or may offer) to a patient. Where it ends is <see cref="Start"/> + <see cref="Duration"/>.</summary>
public sealed record OfferedSlot(DateTimeOffset Start, TimeSpan Duration, string AppointmentTypeId)
{
    public DateTimeOffset End => Start + Duration;
}

/// <summary>A temporary claim on a slot while a patient decides; expires at <see cref="ExpiresAt"/>.</summary>
public sealed record SlotHold(string ClinicId, DateTimeOffset Start, DateTimeOffset End, int Chair, string HolderId, DateTimeOffset ExpiresAt)
{
    public bool IsActive(DateTimeOffset now) => ExpiresAt > now;
}

/// <summary>
/// When a patient would like to come, in the clinic's local time; null parts are unconstrained. Days are inclusive;
/// a slot matches the times when it starts at or after <see cref="TimeFrom"/> and before <see cref="TimeTo"/>.
/// </summary>
/// <param name="DayFrom">First acceptable clinic-local date.</param>
/// <param name="DayTo">Last acceptable clinic-local date.</param>
/// <param name="TimeFrom">Earliest start time of day.</param>
/// <param name="TimeTo">Start times must be before this (null: until the clinic closes).</param>
/// <param name="Preferred">The exact time asked for ("2pm"): slots nearest to it come first.</param>
public sealed record TimeWindow(DateOnly? DayFrom, DateOnly? DayTo, TimeOnly? TimeFrom, TimeOnly? TimeTo, TimeOnly? Preferred = null)
{
    public static TimeWindow Any { get; } = new(null, null, null, null);

    public bool IsEmpty => DayFrom is null && DayTo is null && TimeFrom is null && TimeTo is null && Preferred is null;

    public bool Contains(DateOnly date, TimeOnly time)
        => (DayFrom is null || date >= DayFrom) && (DayTo is null || date <= DayTo)
            && (TimeFrom is null || time >= TimeFrom) && (TimeTo is null || time < TimeTo);

    public override string ToString()
    {
        static string D(DateOnly? d) => d?.ToString("ddd yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "*";
        static string T(TimeOnly? t) => t?.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "*";
        var days = DayFrom == DayTo ? D(DayFrom) : $"{D(DayFrom)}..{D(DayTo)}";
        var preferred = Preferred is null ? string.Empty : $" ~{T(Preferred)}";
        return $"{days} {T(TimeFrom)}-{T(TimeTo)}{preferred}";
    }
}
