using PhoneNumbers;

namespace MissedCallFunctions.Common;

public enum LineType
{
    Mobile,
    Landline,
    /// <summary>The numbering plan cannot tell (e.g. US numbers): counts as mobile.</summary>
    Unknown,
}

public readonly record struct NormalizedNumber(string? E164, MissedCallFunctions.Ingest.CallerNumberStatus Status);

/// <summary>E.164 normalization, withheld detection and masking, on libphonenumber.</summary>
public static class PhoneNumberTools
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    // What providers put in From when the caller hid their number (Twilio's sentinel numbers included).
    private static readonly HashSet<string> WithheldMarkers = new(StringComparer.OrdinalIgnoreCase)
    {
        "anonymous", "restricted", "unknown", "private", "unavailable", "withheld", "blocked", "unknown caller",
        "+266696687", "+7378742833", "+2562533", "+8656696", "266696687", "7378742833", "2562533", "8656696",
    };

    public static NormalizedNumber Normalize(string? raw, string defaultRegion)
    {
        if (string.IsNullOrWhiteSpace(raw) || WithheldMarkers.Contains(raw.Trim()))
        {
            return new(null, MissedCallFunctions.Ingest.CallerNumberStatus.Withheld);
        }

        var candidate = raw.Trim();
        if (candidate.StartsWith("4:", StringComparison.Ordinal))
        {
            candidate = candidate[2..]; // ACS raw id of a phone number identifier
        }

        if (candidate.StartsWith("tel:", StringComparison.OrdinalIgnoreCase))
        {
            candidate = candidate[4..];
        }

        // Some payloads drop the '+' of an international number (ACS examples do).
        if (!candidate.StartsWith('+') && candidate.Length >= 11 && candidate.All(char.IsAsciiDigit) && !candidate.StartsWith('0'))
        {
            candidate = "+" + candidate;
        }

        try
        {
            var parsed = Util.Parse(candidate, defaultRegion);
            return Util.IsValidNumber(parsed)
                ? new(Util.Format(parsed, PhoneNumberFormat.E164), MissedCallFunctions.Ingest.CallerNumberStatus.Valid)
                : new(null, MissedCallFunctions.Ingest.CallerNumberStatus.Invalid);
        }
        catch (NumberParseException)
        {
            return new(null, MissedCallFunctions.Ingest.CallerNumberStatus.Invalid);
        }
    }

    /// <summary>Whether an E.164 number can take texts. Unknown counts as mobile.</summary>
    public static LineType GetLineType(string e164)
    {
        try
        {
            return Util.GetNumberType(Util.Parse(e164, null)) switch
            {
                PhoneNumberType.MOBILE => LineType.Mobile,
                PhoneNumberType.FIXED_LINE => LineType.Landline,
                PhoneNumberType.TOLL_FREE or PhoneNumberType.PREMIUM_RATE or PhoneNumberType.SHARED_COST => LineType.Landline,
                _ => LineType.Unknown,
            };
        }
        catch (NumberParseException)
        {
            return LineType.Unknown;
        }
    }

    public static bool IsValidE164(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || !value.StartsWith('+'))
        {
            return false;
        }

        try
        {
            var parsed = Util.Parse(value, null);
            return Util.IsValidNumber(parsed) && Util.Format(parsed, PhoneNumberFormat.E164) == value;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>For logs and staff alerts: keeps the country code and the last three digits (+44*******123).</summary>
    public static string Mask(string? e164)
    {
        if (string.IsNullOrEmpty(e164))
        {
            return "(none)";
        }

        if (e164.Length <= 6)
        {
            return new string('*', e164.Length);
        }

        var keepStart = e164.StartsWith('+') ? 3 : 0;
        return string.Concat(e164.AsSpan(0, keepStart), new string('*', e164.Length - keepStart - 3), e164.AsSpan(e164.Length - 3));
    }
}
