using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;

namespace MissedCallFunctions.Messaging;

/// <summary>Per-message values for a template; everything else comes from the clinic.</summary>
public sealed record TemplateValues
{
    /// <summary>The caller's first name when known (patient records, CNAM); sanitised before use, omitted when doubtful.</summary>
    public string? FirstName { get; init; }

    /// <summary>The caller's E.164 number: only ever rendered masked (<c>{maskedCaller}</c>).</summary>
    public string? CallerNumber { get; init; }

    /// <summary>When the call was missed: rendered in the clinic's time zone (<c>{callTime}</c>).</summary>
    public DateTimeOffset? CallTime { get; init; }

    /// <summary>Link to the staff callback task (<c>{taskLink}</c>).</summary>
    public string? TaskLink { get; init; }
}

/// <summary>
/// Clinic message templates: placeholders in braces, built-in English defaults, validation and rendering.
/// Pure: no I/O, no clock.
/// </summary>
/// <remarks>
/// Placeholders: {clinicName} {firstName} {firstNameWithSpace} {openingHours} {bookingLink} {emergencyGuidance}
/// {address} {maskedCaller} {callTime} {taskLink}. <c>{{</c> and <c>}}</c> are literal braces. A known placeholder
/// without a value renders as nothing and the whitespace and punctuation around it are tidied
/// ("book online: ." becomes "book online."). {emergencyGuidance} falls back to the country's emergency number
/// when the clinic has none, so a patient told to seek help is always told how.
/// </remarks>
public static class MessageTemplates
{
    public const string TextBack = "textBack";
    public const string TextBackAfterHours = "textBackAfterHours";
    /// <summary>For known patients (in the clinic's contacts) while the clinic is open.</summary>
    public const string TextBackReturning = "textBackReturning";
    public const string FollowUp = "followUp";
    public const string OptOutConfirmation = "optOutConfirmation";
    public const string HelpReply = "helpReply";
    public const string UrgentReply = "urgentReply";
    public const string StaffAlert = "staffAlert";
    public const string ManagerAlert = "managerAlert";

    public static IReadOnlySet<string> Placeholders { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "clinicName", "firstName", "firstNameWithSpace", "openingHours", "bookingLink", "emergencyGuidance",
        "address", "maskedCaller", "callTime", "taskLink",
    };

    /// <summary>Built-in English templates used when a clinic does not define its own.</summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [TextBack] = "Hi{firstNameWithSpace}, this is {clinicName}. Sorry we missed your call. How can we help? Reply here or book online: {bookingLink} Reply STOP to opt out.",
        [TextBackAfterHours] = "Hi{firstNameWithSpace}, this is {clinicName}. Sorry we missed your call, we're closed right now ({openingHours}). Reply here and we'll get back to you when we open. {emergencyGuidance} Reply STOP to opt out.",
        [TextBackReturning] = "Hi{firstNameWithSpace}, it's {clinicName}. Sorry we missed your call! How can we help today? Just reply here. Reply STOP to opt out.",
        [FollowUp] = "Hi{firstNameWithSpace}, {clinicName} here again. Would you like us to call you back? Just reply, or book online: {bookingLink} Reply STOP to opt out.",
        [OptOutConfirmation] = "You're opted out of texts from {clinicName}. Reply START to opt back in.",
        [HelpReply] = "{clinicName}: for help, call us on this number ({openingHours}). Msg & data rates may apply. Reply STOP to opt out.",
        [UrgentReply] = "{clinicName}: we've asked our team to contact you as soon as possible. {emergencyGuidance} Reply STOP to opt out.",
        [StaffAlert] = "{clinicName}: missed caller {maskedCaller} ({callTime}) has not replied. Please call back: {taskLink}",
        [ManagerAlert] = "{clinicName}: callback task for {maskedCaller} ({callTime}) is still open. {taskLink}",
    };

    /// <summary>Defaults for clinics without a booking link (no dangling "book online:").</summary>
    private static readonly Dictionary<string, string> DefaultsWithoutBookingLink = new(StringComparer.Ordinal)
    {
        [TextBack] = "Hi{firstNameWithSpace}, this is {clinicName}. Sorry we missed your call. How can we help? Just reply to this text. Reply STOP to opt out.",
        [FollowUp] = "Hi{firstNameWithSpace}, {clinicName} here again. Would you like us to call you back? Just reply to this text. Reply STOP to opt out.",
    };

    private static readonly Regex Whitespace = new(@"[ \t\u00A0]+", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly Regex EmptyParentheses = new(@"\(\s*\)", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly Regex DanglingColon = new(@":[ \t]*(?=[.!?,;)]|$)", RegexOptions.CultureInvariant | RegexOptions.Compiled | RegexOptions.Multiline);
    private static readonly Regex SpaceBeforePunctuation = new(@"[ \t]+(?=[.,!?;:)])", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly Regex RepeatedStop = new(@"(?<![.])\.(?:[ \t]*\.)+(?![.])|,[ \t]*(?=[.!?])", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>Staff-facing templates (alerts to staff, managers, on-call): not texted to patients.</summary>
    public static bool IsStaffFacing(string templateName) => templateName.EndsWith("Alert", StringComparison.OrdinalIgnoreCase);

    /// <summary>The clinic's template by name, else the built-in default, else null.</summary>
    public static string? Find(ClinicConfig clinic, string name)
    {
        if (clinic.Templates.TryGetValue(name, out var own) && !string.IsNullOrWhiteSpace(own))
        {
            return own;
        }

        if (string.IsNullOrWhiteSpace(clinic.BookingLink) && DefaultsWithoutBookingLink.TryGetValue(name, out var noLink))
        {
            return noLink;
        }

        return Defaults.GetValueOrDefault(name);
    }

    /// <summary>Whether the clinic defines this template itself (false: the built-in default applies).</summary>
    public static bool IsClinicTemplate(ClinicConfig clinic, string name)
        => clinic.Templates.TryGetValue(name, out var own) && !string.IsNullOrWhiteSpace(own);

    /// <summary>Syntax errors of every clinic template (unknown placeholders, stray braces), as <c>templates.name: ...</c>.</summary>
    public static IReadOnlyList<string> Validate(ClinicConfig clinic)
        => clinic.Templates.SelectMany(t => Validate(t.Value).Select(e => $"templates.{t.Key}: {e}")).ToList();

    /// <summary>Syntax errors of one template: unknown placeholders, unclosed or stray braces.</summary>
    public static IReadOnlyList<string> Validate(string template)
    {
        var errors = new List<string>();
        Parse(template, name => { }, errors);
        return errors;
    }

    /// <summary>
    /// Renders every patient-facing template the clinic will use (its own, or the defaults) with a long sample
    /// first name and checks it against <see cref="ContentRules"/>; for use at clinic load.
    /// </summary>
    public static IReadOnlyList<string> ValidateContent(ClinicConfig clinic, TemplateValues? sample = null)
    {
        sample ??= SampleValues;
        var errors = new List<string>();
        var names = Defaults.Keys.Concat(clinic.Templates.Keys).Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var template = Find(clinic, name);
            if (template is null || Validate(template).Count > 0)
            {
                continue; // syntax errors are Validate's
            }

            var source = IsClinicTemplate(clinic, name) ? "templates" : "default template";
            foreach (var violation in ContentRules.Check(Render(template, clinic, sample), clinic, name))
            {
                errors.Add($"{source}.{name}: {violation}");
            }
        }

        return errors;
    }

    /// <summary>Worst-case values for checks: a long first name, a masked number, a task link.</summary>
    public static TemplateValues SampleValues { get; } = new()
    {
        FirstName = "Alexandra",
        CallerNumber = "+447700900123",
        CallTime = new DateTimeOffset(2026, 11, 3, 9, 16, 0, TimeSpan.Zero),
        TaskLink = "https://missedcall.example.com/tasks/0123456789abcdef",
    };

    /// <summary>Renders a named template (the clinic's or the default).</summary>
    public static string RenderNamed(ClinicConfig clinic, string name, TemplateValues? values = null)
        => Render(Find(clinic, name) ?? throw new KeyNotFoundException($"No template '{name}' for clinic '{clinic.Id}' and no built-in default."), clinic, values);

    /// <summary>Fills a template; throws <see cref="FormatException"/> for unknown placeholders (Validate catches them at load).</summary>
    public static string Render(string template, ClinicConfig clinic, TemplateValues? values = null)
    {
        values ??= new TemplateValues();
        var errors = new List<string>();
        var builder = new StringBuilder(template.Length + 64);
        Parse(template, part => builder.Append(part), errors, name => Value(name, clinic, values));
        if (errors.Count > 0)
        {
            throw new FormatException($"Template for clinic '{clinic.Id}' is invalid: {string.Join("; ", errors)}");
        }

        return Tidy(builder.ToString());
    }

    /// <summary>Opening hours in one line, Monday first, consecutive identical days grouped: "Mon-Tue 08:30-13:00 &amp; 14:00-18:00, Sat 09:00-13:00".</summary>
    public static string SummarizeOpeningHours(ClinicConfig clinic)
    {
        var days = ClinicCalendar.Week
            .Select(d => (Day: d, Hours: string.Join(" & ", ClinicCalendar.Periods(clinic, d).Select(p => $"{p.Open:HH\\:mm}-{p.Close:HH\\:mm}"))))
            .ToList();

        var parts = new List<string>();
        for (var i = 0; i < days.Count; i++)
        {
            if (days[i].Hours.Length == 0)
            {
                continue;
            }

            var j = i;
            while (j + 1 < days.Count && days[j + 1].Hours == days[i].Hours)
            {
                j++;
            }

            var label = i == j ? Abbreviation(days[i].Day) : $"{Abbreviation(days[i].Day)}-{Abbreviation(days[j].Day)}";
            parts.Add($"{label} {days[i].Hours}");
            i = j;
        }

        return string.Join(", ", parts);
    }

    /// <summary>
    /// A first name fit to put in a text: one word of letters (apostrophes and hyphens allowed), at most 20
    /// characters, not a caller-ID placeholder; capitalised when it came in all upper or lower case. Null otherwise.
    /// </summary>
    public static string? SanitizeFirstName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var first = name.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0].Trim(',', '.');
        if (first.Length is 0 or > 20 || !char.IsLetter(first[0]) || !first.All(c => char.IsLetter(c) || c is '\'' or '-' or '\u2019'))
        {
            return null;
        }

        if (NotNames.Contains(first))
        {
            return null;
        }

        if (first == first.ToUpperInvariant() || first == first.ToLowerInvariant())
        {
            first = CultureInfo.InvariantCulture.TextInfo.ToTitleCase(first.ToLowerInvariant());
        }

        return first;
    }

    private static readonly HashSet<string> NotNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "wireless", "cell", "cellular", "caller", "unknown", "anonymous", "private", "restricted", "unavailable",
        "name", "toll", "free", "phone", "mobile", "withheld", "blocked", "telephone", "patient", "customer",
    };

    /// <summary>What to tell someone in an emergency when the clinic has not said.</summary>
    public static string DefaultEmergencyGuidance(string country) => country.ToUpperInvariant() switch
    {
        "US" or "CA" => "If this is an emergency, call 911.",
        "GB" => "If this is an emergency, call 999, or NHS 111 for urgent advice.",
        "IE" => "If this is an emergency, call 112 or 999.",
        "AU" => "If this is an emergency, call 000.",
        "NZ" => "If this is an emergency, call 111.",
        _ => "If this is an emergency, call your local emergency number.",
    };

    private static string? Value(string name, ClinicConfig clinic, TemplateValues values)
    {
        switch (name)
        {
            case "clinicName":
                return clinic.Name;
            case "firstName":
                return SanitizeFirstName(values.FirstName);
            case "firstNameWithSpace":
                return SanitizeFirstName(values.FirstName) is { } first ? " " + first : null;
            case "openingHours":
                return SummarizeOpeningHours(clinic);
            case "bookingLink":
                return clinic.BookingLink;
            case "emergencyGuidance":
                return string.IsNullOrWhiteSpace(clinic.EmergencyGuidance) ? DefaultEmergencyGuidance(clinic.Country) : clinic.EmergencyGuidance;
            case "address":
                return clinic.Address;
            case "maskedCaller":
                return values.CallerNumber is null ? null : PhoneNumberTools.Mask(values.CallerNumber);
            case "callTime":
                return values.CallTime is { } at
                    ? ClinicCalendar.ToLocal(clinic, at).ToString("ddd d MMM HH:mm", CultureInfo.InvariantCulture)
                    : null;
            case "taskLink":
                return values.TaskLink;
            default:
                return null;
        }
    }

    private static void Parse(string template, Action<string> literal, List<string> errors, Func<string, string?>? resolve = null)
    {
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                literal("{");
                i += 2;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                literal("}");
                i += 2;
            }
            else if (c == '{')
            {
                var close = template.IndexOf('}', i + 1);
                var nextOpen = template.IndexOf('{', i + 1);
                if (close < 0 || (nextOpen >= 0 && nextOpen < close))
                {
                    errors.Add($"'{{' at position {i} is not closed (write {{{{ for a literal brace).");
                    i++;
                    continue;
                }

                var name = template[(i + 1)..close];
                if (!Placeholders.Contains(name))
                {
                    errors.Add($"unknown placeholder {{{name}}} (known: {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))}).");
                }
                else if (resolve is not null)
                {
                    literal(resolve(name) ?? string.Empty);
                }

                i = close + 1;
            }
            else if (c == '}')
            {
                errors.Add($"'}}' at position {i} has no opening brace (write }}}} for a literal brace).");
                i++;
            }
            else
            {
                var next = template.IndexOfAny(['{', '}'], i);
                var end = next < 0 ? template.Length : next;
                literal(template[i..end]);
                i = end;
            }
        }
    }

    /// <summary>Tidies what empty values leave behind: double spaces, "()", "online: .", " ,", ". .".</summary>
    internal static string Tidy(string text)
    {
        var tidy = Whitespace.Replace(text, " ");
        tidy = EmptyParentheses.Replace(tidy, string.Empty);
        tidy = Whitespace.Replace(tidy, " ");
        tidy = DanglingColon.Replace(tidy, string.Empty);
        tidy = SpaceBeforePunctuation.Replace(tidy, string.Empty);
        tidy = RepeatedStop.Replace(tidy, m => m.Value.StartsWith(',') ? string.Empty : ".");
        return tidy.Trim();
    }

    private static string Abbreviation(DayOfWeek day) => day.ToString()[..3];
}

/// <summary>A broken content rule: a stable code and a sentence for the clinic's administrator.</summary>
public sealed record ContentViolation(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>
/// What a text may say: service content only, no clinical details, the clinic's name, opt-out instructions
/// where the country needs them, at most three SMS segments, no link shorteners. Pure.
/// </summary>
public static class ContentRules
{
    public const int MaxSegments = 3;

    /// <summary>
    /// Countries where automated texts must end with opt-out instructions: US and CA by carrier and CTIA rules;
    /// GB only recommends it (PECR, ICO), and we treat it as required for automated texts.
    /// </summary>
    public static IReadOnlySet<string> OptOutFooterCountries { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "US", "CA", "GB" };

    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.Compiled;

    /// <summary>
    /// Clinical words that must never be in an SMS (health privacy): diagnoses, treatments, results, conditions.
    /// "Surgery" is left out on purpose: in the UK it is what a practice is called.
    /// </summary>
    private static readonly Regex ClinicalTerms = new(
        @"\b(?:diagnos[ie]s|diagnosed|diagnose|root canals?|extractions?|botox|dermal fillers?|lip fillers?|fillers?|implants?|" +
        @"prescriptions?|prescribed|medications?|test results?|lab results?|blood tests?|scan results?|x-?ray results?|biopsy|biopsies|" +
        @"pregnan(?:t|cy)|hiv|aids test|cancer|tumou?rs?|infections?|infected|stds?|stis?|chemo(?:therapy)?|" +
        @"liposuction|abortion|ivf|antibiotics?|diabetes|hepatitis|mental health|depression|" +
        @"diagnostico|endodoncia|extraccion|implantes?|receta|medicamentos?|resultados de (?:laboratorio|analisis|pruebas)|" +
        @"embarazo|embarazada|infeccion|cirugia)\b",
        Options);

    private static readonly Regex Promotional = new(
        @"(?:\b\d+ ?% ?off\b|\b(?:discount(?:s|ed)?|promo(?:tion|tional)?s?|promo code|special offers?|limited time|on sale|sale ends|coupons?|vouchers?|bogo|buy one get one|free consultation|descuentos?|ofertas?|promocion(?:es)?)\b)",
        Options);

    private static readonly Regex OptOutInstruction = new(
        @"\b(?:reply|text|send|respond(?: with)?)\s+[""'“]?(?:stop|end|unsubscribe)[""'”]?\s+to\s+(?:opt[\s-]?out|unsubscribe|cancel|quit|stop(?:\s+(?:receiving\s+)?(?:texts|messages|these))?|end(?:\s+(?:texts|messages))?)\b" +
        @"|\b(?:responde|responda|responder|envia|envie|escribe|escriba|contesta|conteste)\s+[""'“]?(?:stop|baja|parar|alto)[""'”]?\s+para\s+(?:darte de baja|darse de baja|cancelar|salir|no recibir mas (?:mensajes|textos)|dejar de recibir (?:mensajes|textos))\b",
        Options);

    private static readonly Regex AllowedAfterOptOut = new(
        @"^[\s.!]*(?:[,;]?\s*(?:or\s+|and\s+|o\s+|y\s+)?(?:(?:reply|text|responde|responda)\s+)?[""'“]?(?:help|ayuda)[""'”]?\s+(?:for|para)\s+(?:help|info|more info|ayuda|informacion|mas informacion)[\s.!]*" +
        @"|[\s.]*(?:msg|message)s?\s*(?:&|and)\s*data rates may apply[\s.!]*)*$",
        Options);

    private static readonly Regex Hosts = new(@"(?:https?://)?(?<host>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(?![a-z0-9-])", Options);

    /// <summary>Link shorteners: carriers filter them and patients cannot see where they lead.</summary>
    public static IReadOnlySet<string> UrlShorteners { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly",
        "shorturl.at", "tiny.cc", "bl.ink", "t.ly", "rb.gy", "lnkd.in", "s.id", "v.gd", "short.io", "shorte.st",
        "adf.ly", "soo.gd", "clck.ru", "qr.ae", "tr.im", "x.co", "po.st", "y2u.be", "tiny.one", "urlz.fr",
    };

    /// <summary>All rules, for a patient-facing automated text.</summary>
    public static IReadOnlyList<ContentViolation> Check(string text, ClinicConfig clinic) => Check(text, clinic, templateName: null);

    /// <summary>
    /// The rules that apply to a template: staff alerts skip the clinic-name and opt-out rules (they go to the
    /// clinic's own staff); the opt-out confirmation skips the opt-out rule (it confirms one).
    /// </summary>
    public static IReadOnlyList<ContentViolation> Check(string text, ClinicConfig clinic, string? templateName)
    {
        var violations = new List<ContentViolation>();
        var staff = templateName is not null && MessageTemplates.IsStaffFacing(templateName);
        var folded = Fold(text);
        var withoutClinicName = string.IsNullOrWhiteSpace(clinic.Name) ? folded : folded.Replace(Fold(clinic.Name), " ", StringComparison.Ordinal);

        foreach (var term in ClinicalTerms.Matches(withoutClinicName).Select(m => m.Value).Distinct(StringComparer.Ordinal))
        {
            violations.Add(new("clinical-term", $"mentions '{term}': no clinical details in SMS."));
        }

        foreach (var term in Promotional.Matches(withoutClinicName).Select(m => m.Value).Distinct(StringComparer.Ordinal))
        {
            violations.Add(new("promotional", $"'{term}' reads as promotion: service messages only."));
        }

        foreach (var host in Hosts.Matches(folded).Select(m => m.Groups["host"].Value).Distinct(StringComparer.Ordinal))
        {
            if (UrlShorteners.Any(s => host == s || host.EndsWith("." + s, StringComparison.Ordinal)))
            {
                violations.Add(new("url-shortener", $"link shortener {host}: use the clinic's own full link."));
            }
        }

        if (!staff && !string.IsNullOrWhiteSpace(clinic.Name) && !folded.Contains(Fold(clinic.Name), StringComparison.Ordinal))
        {
            violations.Add(new("clinic-name", $"does not name the clinic ('{clinic.Name}')."));
        }

        if (!staff && templateName != MessageTemplates.OptOutConfirmation && OptOutFooterCountries.Contains(clinic.Country ?? string.Empty))
        {
            var matches = OptOutInstruction.Matches(folded);
            if (matches.Count == 0)
            {
                violations.Add(new("opt-out", $"must end with opt-out instructions such as 'Reply STOP to opt out.' (required for {clinic.Country})."));
            }
            else
            {
                var last = matches[^1];
                if (!AllowedAfterOptOut.IsMatch(folded[(last.Index + last.Length)..]))
                {
                    violations.Add(new("opt-out", $"opt-out instructions must come last (required for {clinic.Country})."));
                }
            }
        }

        var size = SmsSegments.Measure(text);
        if (size.Segments > MaxSegments)
        {
            violations.Add(new("length", $"{size.Segments} SMS segments ({size.Units} {size.Encoding} units); at most {MaxSegments}."));
        }

        return violations;
    }

    /// <summary>Lower case, no accents, single spaces: the form the rules match against.</summary>
    internal static string Fold(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormKD).ToLowerInvariant();
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(c == '\u2019' ? '\'' : c);
            }
        }

        return Regex.Replace(builder.ToString(), @"\s+", " ").Trim();
    }
}

public enum SmsEncoding
{
    Gsm7,
    Ucs2,
}

/// <summary>How many SMS segments a text takes.</summary>
public readonly record struct SmsSize(SmsEncoding Encoding, int Units, int Segments);

/// <summary>SMS segment arithmetic: GSM-7 (160 per single, 153 per concatenated part; extension characters take two) or UCS-2 (70 / 67).</summary>
public static class SmsSegments
{
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Extension = "^{}\\[~]|€\f";

    private static readonly HashSet<char> BasicSet = [.. Basic];
    private static readonly HashSet<char> ExtensionSet = [.. Extension];

    public static bool IsGsm7(string text) => text.All(c => BasicSet.Contains(c) || ExtensionSet.Contains(c));

    public static SmsSize Measure(string text)
    {
        if (IsGsm7(text))
        {
            var septets = text.Sum(c => ExtensionSet.Contains(c) ? 2 : 1);
            return new(SmsEncoding.Gsm7, septets, septets == 0 ? 1 : septets <= 160 ? 1 : (septets + 152) / 153);
        }

        var units = text.Length; // UTF-16 code units: what UCS-2/UTF-16 SMS carries
        return new(SmsEncoding.Ucs2, units, units <= 70 ? 1 : (units + 66) / 67);
    }
}

/// <summary>The first text to someone whose call we missed.</summary>
/// <param name="TemplateName">textBack or textBackAfterHours.</param>
/// <param name="Text">The rendered text.</param>
/// <param name="BuiltInDefault">True when the clinic has no such template and the built-in default was used.</param>
public sealed record ComposedText(string TemplateName, string Text, bool BuiltInDefault);

public static class TextBackComposer
{
    /// <summary>
    /// Picks textBack or textBackAfterHours (the clinic's own, else the built-in default) and renders it.
    /// Only clinic data and a sanitised first name go in: nothing the patient wrote is ever echoed back.
    /// </summary>
    public static ComposedText Compose(ClinicConfig clinic, string? callerFirstName, bool afterHours, bool knownPatient = false)
    {
        // After hours the emergency guidance matters more than the greeting, so known patients get it too.
        var name = afterHours ? MessageTemplates.TextBackAfterHours : knownPatient ? MessageTemplates.TextBackReturning : MessageTemplates.TextBack;
        var text = MessageTemplates.RenderNamed(clinic, name, new TemplateValues { FirstName = callerFirstName });
        return new(name, text, !MessageTemplates.IsClinicTemplate(clinic, name));
    }
}
