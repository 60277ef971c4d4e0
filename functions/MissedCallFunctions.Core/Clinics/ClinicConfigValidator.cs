using System.Globalization;
using System.Text.Json;
using MissedCallFunctions.Common;

namespace MissedCallFunctions.Clinics;

/// <summary>The clinics file: <c>{ "clinics": [ ... ] }</c>.</summary>
public sealed record ClinicFile
{
    public IReadOnlyList<ClinicConfig> Clinics { get; init; } = [];
}

/// <summary>Reads and checks a clinics file, with errors that say where and what (never a stack trace).</summary>
public static class ClinicConfigValidator
{
    private static readonly string[] DayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    private static readonly HashSet<string> Channels = new(StringComparer.Ordinal) { "acs", "twilio" };

    public static (ClinicFile? File, IReadOnlyList<string> Errors) Parse(string json)
    {
        ClinicFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ClinicFile>(json, ClinicConfig.JsonOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.Path is null ? string.Empty : $" at {ex.Path}";
            var line = ex.LineNumber is null ? string.Empty : $" (line {ex.LineNumber + 1})";
            return (null, [$"The clinics file is not valid{where}{line}: {FirstSentence(ex.Message)}"]);
        }

        if (file is null)
        {
            return (null, ["The clinics file is empty."]);
        }

        var errors = Validate(file);
        return (errors.Count == 0 ? file : null, errors);
    }

    public static IReadOnlyList<string> Validate(ClinicFile file)
    {
        var errors = new List<string>();
        if (file.Clinics.Count == 0)
        {
            errors.Add("clinics: the file lists no clinic.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var numbers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < file.Clinics.Count; i++)
        {
            var clinic = file.Clinics[i];
            var at = $"clinics[{i}]";
            if (clinic is null)
            {
                errors.Add($"{at}: is null.");
                continue;
            }

            if (!ids.Add(clinic.Id ?? string.Empty))
            {
                errors.Add($"{at}.id: '{clinic.Id}' is used by another clinic.");
            }

            foreach (var number in clinic.Numbers)
            {
                if (numbers.TryGetValue(number, out var other) && other != clinic.Id)
                {
                    errors.Add($"{at}.numbers: {number} also belongs to clinic '{other}'.");
                }

                numbers[number] = clinic.Id ?? string.Empty;
            }

            errors.AddRange(Validate(clinic).Select(e => $"{at}.{e}"));
        }

        return errors;
    }

    public static IReadOnlyList<string> Validate(ClinicConfig clinic)
    {
        var errors = new List<string>();
        if (!ClinicIds.IsWellFormed(clinic.Id))
        {
            errors.Add("id: use 2-63 lower-case letters, digits and dashes, starting with a letter or digit.");
        }

        if (string.IsNullOrWhiteSpace(clinic.Name))
        {
            errors.Add("name: required.");
        }

        if (string.IsNullOrWhiteSpace(clinic.Country) || clinic.Country.Length != 2 ||
            PhoneNumbers.PhoneNumberUtil.GetInstance().GetCountryCodeForRegion(clinic.Country.ToUpperInvariant()) == 0)
        {
            errors.Add($"country: '{clinic.Country}' is not an ISO 3166 two-letter country code.");
        }

        if (string.IsNullOrWhiteSpace(clinic.TimeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(clinic.TimeZone, out _))
        {
            errors.Add($"timeZone: '{clinic.TimeZone}' is not a known IANA time zone (e.g. Europe/London, America/New_York).");
        }

        if (clinic.Numbers.Count == 0)
        {
            errors.Add("numbers: at least one clinic number is required.");
        }

        CheckNumbers("numbers", clinic.Numbers, errors);
        CheckNumbers("blockedNumbers", clinic.BlockedNumbers, errors);
        CheckNumbers("internalNumbers", clinic.InternalNumbers, errors);

        for (var i = 0; i < clinic.StaffContacts.Count; i++)
        {
            var contact = clinic.StaffContacts[i];
            if (string.IsNullOrWhiteSpace(contact.Name))
            {
                errors.Add($"staffContacts[{i}].name: required.");
            }

            if (!PhoneNumberTools.IsValidE164(contact.Phone))
            {
                errors.Add($"staffContacts[{i}].phone: '{contact.Phone}' is not an E.164 number (e.g. +447700900123).");
            }
        }

        foreach (var (day, periods) in clinic.OpeningHours)
        {
            if (!DayNames.Contains(day))
            {
                errors.Add($"openingHours.{day}: not a day name (use monday..sunday).");
                continue;
            }

            for (var i = 0; i < periods.Count; i++)
            {
                if (!TryTime(periods[i].Open, out var open) || !TryTime(periods[i].Close, out var close))
                {
                    errors.Add($"openingHours.{day}[{i}]: times must be HH:mm.");
                }
                else if (close <= open)
                {
                    errors.Add($"openingHours.{day}[{i}]: closes ({periods[i].Close}) before it opens ({periods[i].Open}).");
                }
            }
        }

        if (!TryTime(clinic.SendingHours.Start, out var start) || !TryTime(clinic.SendingHours.End, out var end) || end <= start)
        {
            errors.Add("sendingHours: start and end must be HH:mm with start before end.");
        }

        for (var i = 0; i < clinic.EscalationLadder.Count; i++)
        {
            var step = clinic.EscalationLadder[i];
            if (step.After < TimeSpan.Zero)
            {
                errors.Add($"escalationLadder[{i}].after: must not be negative.");
            }

            if (step.AfterBusinessDays is < 0 or > 30)
            {
                errors.Add($"escalationLadder[{i}].afterBusinessDays: must be between 0 and 30.");
            }

            if (step.Template is { } template && Messaging.MessageTemplates.Find(clinic, template) is null)
            {
                errors.Add($"escalationLadder[{i}].template: '{template}' is neither in templates nor a built-in template.");
            }
        }

        // Templates must parse and every text a patient can get must pass the content rules (clinic name, opt-out
        // wording, no clinical words, length), checked with worst-case sample values.
        errors.AddRange(Messaging.MessageTemplates.Validate(clinic));
        if (errors.Count == 0 && !string.IsNullOrWhiteSpace(clinic.Name) && TimeZoneInfo.TryFindSystemTimeZoneById(clinic.TimeZone ?? string.Empty, out _))
        {
            errors.AddRange(Messaging.MessageTemplates.ValidateContent(clinic));
        }

        if (clinic.AverageAppointmentValue < 0)
        {
            errors.Add("averageAppointmentValue: must not be negative.");
        }

        if (string.IsNullOrWhiteSpace(clinic.Currency) || clinic.Currency.Length != 3)
        {
            errors.Add($"currency: '{clinic.Currency}' is not an ISO 4217 code (e.g. GBP, USD).");
        }

        if (!Channels.Contains(clinic.SmsChannel))
        {
            errors.Add($"smsChannel: '{clinic.SmsChannel}' is not one of acs, twilio.");
        }

        if (clinic.MissedCallDefinition.AbandonedMinimumRingSeconds is < 0 or > 600)
        {
            errors.Add("missedCallDefinition.abandonedMinimumRingSeconds: must be between 0 and 600.");
        }

        if (clinic.BookingLink is { } link && !Uri.TryCreate(link, UriKind.Absolute, out _))
        {
            errors.Add("bookingLink: must be an absolute URL.");
        }

        if (clinic.Webhooks.TelnyxPublicKey is { } key && !IsBase64(key, 32))
        {
            errors.Add("webhooks.telnyxPublicKey: must be the base64 of a 32-byte Ed25519 public key.");
        }

        if (clinic.Booking is { } booking)
        {
            errors.AddRange(booking.Validate().Select(e => $"booking.{e}"));
            if (booking.Mode == Bookings.BookingMode.BookingLink && string.IsNullOrWhiteSpace(clinic.BookingLink))
            {
                errors.Add("booking.mode: bookingLink needs the clinic's bookingLink.");
            }
        }

        if (clinic.CalendarFeedTokens.Any(t => t.Length < 20))
        {
            errors.Add("calendarFeedTokens: each token needs at least 20 characters.");
        }

        if (clinic.CallbackTaskDue <= TimeSpan.Zero || clinic.CallbackTaskDue > TimeSpan.FromDays(7))
        {
            errors.Add("callbackTaskDue: between 00:00:01 and 7.00:00:00.");
        }

        if (clinic.DashboardTokens.Any(t => t.Length < 20))
        {
            errors.Add("dashboardTokens: each token needs at least 20 characters.");
        }

        if (!TimeOnly.TryParseExact(clinic.DailySummary.At, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
        {
            errors.Add("dailySummary.at: use HH:mm (clinic-local time).");
        }

        if (clinic.StaffAccessTokens.Any(t => t.Length < 16))
        {
            errors.Add("staffAccessTokens: each token needs at least 16 characters.");
        }

        if (clinic.Webhooks.GenericHmacSecrets.Any(s => s.Length < 16))
        {
            errors.Add("webhooks.genericHmacSecrets: each secret needs at least 16 characters.");
        }

        return errors;
    }

    private static void CheckNumbers(string field, IReadOnlyList<string> numbers, List<string> errors)
    {
        for (var i = 0; i < numbers.Count; i++)
        {
            if (!PhoneNumberTools.IsValidE164(numbers[i]))
            {
                errors.Add($"{field}[{i}]: '{numbers[i]}' is not an E.164 number (e.g. +442071234567).");
            }
        }
    }

    internal static bool TryTime(string? value, out TimeOnly time)
        => TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    private static bool IsBase64(string value, int length)
    {
        var buffer = new byte[length + 3];
        return Convert.TryFromBase64String(value, buffer, out var written) && written == length;
    }

    private static string FirstSentence(string message)
    {
        var dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot < 0 ? message : message[..(dot + 1)];
    }
}
