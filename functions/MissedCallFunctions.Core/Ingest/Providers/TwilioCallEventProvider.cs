using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using MissedCallFunctions.Clinics;
using Twilio.Security;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>
/// Twilio Programmable Voice: the call status callback (<c>StatusCallback</c>) and the <c>&lt;Dial action&gt;</c>
/// callback, both form-encoded and signed with <c>X-Twilio-Signature</c>.
/// </summary>
/// <remarks>
/// Event ids are <c>{CallSid}:dial:{DialCallStatus}</c> and <c>{CallSid}:status:{CallStatus}</c>: a retried webhook
/// keeps its id, while the dial action and the status callback of one call stay distinct.
/// </remarks>
public sealed class TwilioCallEventProvider : ICallEventProvider
{
    public const string ProviderKey = "twilio";

    public const string SignatureHeader = "X-Twilio-Signature";

    public const string FormMediaType = "application/x-www-form-urlencoded";

    private static readonly FrozenSet<string> FormMediaTypes = FrozenSet.Create(StringComparer.Ordinal, FormMediaType);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>RFC 2822 dates as Twilio sends them (<c>Tue, 03 Nov 2026 09:15:42 +0000</c>), day name optional.</summary>
    private static readonly string[] Rfc2822Formats =
    [
        "ddd, d MMM yyyy HH:mm:ss zzz",
        "d MMM yyyy HH:mm:ss zzz",
        "ddd, d MMM yyyy HH:mm:ss 'GMT'",
        "d MMM yyyy HH:mm:ss 'GMT'",
        "ddd, d MMM yyyy HH:mm:ss 'UT'",
    ];

    public string Key => ProviderKey;

    public IReadOnlySet<string> MediaTypes => FormMediaTypes;

    public WebhookReply? TryHandshake(WebhookRequest request) => null;

    /// <summary>
    /// Empty TwiML: after a Dial action the call simply ends, where JSON would make Twilio play its "application error"
    /// message to a caller still on the line. (For a voicemail after the Dial, point the status callback here instead.)
    /// </summary>
    public WebhookReply Acknowledgement => Conversation.Inbound.TwilioInboundSmsProvider.AcknowledgeReply;

    public IReadOnlyList<ProviderCallEvent> Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        var form = ParseForm(request.Body.Span);

        var callSid = Required(form, "CallSid");
        var from = Present(form, "From");
        var to = Present(form, "To");
        var direction = ReadDirection(form);

        // For outbound legs the clinic is the one calling: its number is From and the other party is To.
        var (clinicNumber, caller) = direction == CallDirection.Inbound ? (to, from) : (from, to);
        if (string.IsNullOrWhiteSpace(clinicNumber))
        {
            throw new WebhookFormatException(
                $"'{(direction == CallDirection.Inbound ? "To" : "From")}' is empty: the clinic number is required");
        }

        var recordingUrl = Optional(form, "RecordingUrl");
        string eventId;
        CallOutcome? outcome;
        bool? voicemailLeft = null;
        int? talkSeconds = null;

        var dialStatus = Optional(form, "DialCallStatus");
        if (dialStatus is not null)
        {
            eventId = $"{callSid}:dial:{dialStatus}";
            outcome = dialStatus switch
            {
                "completed" or "answered" => CallOutcome.Answered,
                "no-answer" when recordingUrl is not null => CallOutcome.Voicemail,
                "busy" when recordingUrl is not null => CallOutcome.Voicemail,
                "no-answer" => CallOutcome.Missed,
                "busy" => CallOutcome.Busy,
                "failed" => CallOutcome.Failed,
                "canceled" => CallOutcome.Abandoned,
                _ => throw new WebhookFormatException("'DialCallStatus' is not a Twilio dial status"),
            };

            if (outcome == CallOutcome.Voicemail)
            {
                // The dial timed out (or was busy) and the action TwiML recorded the caller's message.
                voicemailLeft = true;
            }
            else if (outcome == CallOutcome.Answered)
            {
                talkSeconds = OptionalSeconds(form, "DialCallDuration");
            }
        }
        else
        {
            var callStatus = Required(form, "CallStatus");
            eventId = $"{callSid}:status:{callStatus}";
            outcome = callStatus switch
            {
                "completed" => CallOutcome.Answered,
                "no-answer" => CallOutcome.Missed,
                "busy" => CallOutcome.Busy,
                "failed" => CallOutcome.Failed,
                "canceled" => CallOutcome.Abandoned,
                "queued" or "initiated" or "ringing" or "in-progress" => null,
                _ => throw new WebhookFormatException("'CallStatus' is not a Twilio call status"),
            };

            if (outcome == CallOutcome.Answered)
            {
                talkSeconds = OptionalSeconds(form, "CallDuration");
            }
        }

        var occurredAt = ReadTimestamp(form);

        return
        [
            new ProviderCallEvent
            {
                ProviderEventId = eventId,
                ProviderCallId = callSid,
                ClinicNumberRaw = clinicNumber,
                CallerRaw = caller,
                CallerName = Optional(form, "CallerName"),
                Direction = direction,
                Outcome = outcome,
                VoicemailLeft = voicemailLeft,
                TalkSeconds = talkSeconds,
                OccurredAt = occurredAt,
            },
        ];
    }

    public SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secrets);

        if (string.IsNullOrEmpty(secrets.TwilioAuthToken))
        {
            return SignatureCheck.NotConfigured("the clinic has no Twilio auth token");
        }

        var signature = request.Header(SignatureHeader);
        if (string.IsNullOrWhiteSpace(signature))
        {
            return SignatureCheck.Missing($"{SignatureHeader} header is missing");
        }

        IReadOnlyDictionary<string, string> form;
        try
        {
            form = ParseForm(request.Body.Span);
        }
        catch (WebhookFormatException)
        {
            return SignatureCheck.Invalid("the body is not a form, so its signature cannot be checked");
        }

        var parameters = new Dictionary<string, string>(form, StringComparer.Ordinal);

        // RequestValidator keeps a shared HMAC instance, which is not thread-safe: one per check.
        var validator = new RequestValidator(secrets.TwilioAuthToken);

        // The URL exactly as the host rebuilt it (Twilio signs the URL as configured); the canonical form is tried too
        // in case the host normalized differently. The validator itself tries with and without the default port.
        var urls = new[] { request.PublicUrl.OriginalString, request.PublicUrl.AbsoluteUri }.Distinct(StringComparer.Ordinal);
        foreach (var url in urls)
        {
            try
            {
                if (validator.Validate(url, parameters, signature.Trim()))
                {
                    return SignatureCheck.Valid();
                }
            }
            catch (Exception ex) when (ex is UriFormatException or ArgumentException)
            {
                // A URL the validator cannot rebuild cannot have been signed by Twilio.
            }
        }

        return SignatureCheck.Invalid($"{SignatureHeader} does not match the request URL and parameters");
    }

    /// <summary>
    /// Parses an <c>application/x-www-form-urlencoded</c> body (UTF-8, <c>+</c> is a space, <c>%XX</c> escapes).
    /// Keys are case-sensitive. Throws <see cref="WebhookFormatException"/> on an empty body, a repeated or empty key,
    /// a bad escape or invalid UTF-8. Error messages never quote the body.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ParseForm(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            throw new WebhookFormatException("body is empty: expected form-encoded Twilio voice callback parameters");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        while (!body.IsEmpty)
        {
            var amp = body.IndexOf((byte)'&');
            var pair = amp < 0 ? body : body[..amp];
            body = amp < 0 ? [] : body[(amp + 1)..];
            index++;

            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf((byte)'=');
            var key = Decode(eq < 0 ? pair : pair[..eq], index);
            var value = eq < 0 ? string.Empty : Decode(pair[(eq + 1)..], index);

            if (key.Length == 0)
            {
                throw new WebhookFormatException($"form pair {index} has an empty name");
            }

            if (!result.TryAdd(key, value))
            {
                throw new WebhookFormatException(IsSafeName(key)
                    ? $"form parameter '{key}' appears more than once"
                    : $"form pair {index} repeats an earlier parameter name");
            }
        }

        return result;
    }

    private static string Decode(ReadOnlySpan<byte> encoded, int index)
    {
        if (encoded.IndexOfAny((byte)'%', (byte)'+') < 0)
        {
            return Utf8(encoded, index);
        }

        var buffer = new byte[encoded.Length];
        var length = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            if (b == '+')
            {
                buffer[length++] = (byte)' ';
            }
            else if (b == '%')
            {
                if (i + 2 >= encoded.Length || !IsHex(encoded[i + 1]) || !IsHex(encoded[i + 2]))
                {
                    throw new WebhookFormatException($"form pair {index} has a malformed %-escape");
                }

                buffer[length++] = (byte)((HexValue(encoded[i + 1]) << 4) | HexValue(encoded[i + 2]));
                i += 2;
            }
            else
            {
                buffer[length++] = b;
            }
        }

        return Utf8(buffer.AsSpan(0, length), index);
    }

    private static string Utf8(ReadOnlySpan<byte> bytes, int index)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new WebhookFormatException($"form pair {index} is not valid UTF-8");
        }
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        _ => b - 'A' + 10,
    };

    private static bool IsSafeName(string name)
        => name.Length <= 40 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static string Required(IReadOnlyDictionary<string, string> form, string name)
    {
        var value = Present(form, name);
        return string.IsNullOrWhiteSpace(value) ? throw new WebhookFormatException($"'{name}' is empty") : value;
    }

    /// <summary>
    /// The parameter must be sent, but may be empty (e.g. <c>From</c> when the caller ID is withheld). Returned as
    /// sent: numbers are normalized downstream.
    /// </summary>
    private static string Present(IReadOnlyDictionary<string, string> form, string name)
        => form.TryGetValue(name, out var value)
            ? value
            : throw new WebhookFormatException($"'{name}' is missing: not a Twilio voice callback");

    private static string? Optional(IReadOnlyDictionary<string, string> form, string name)
        => form.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static int? OptionalSeconds(IReadOnlyDictionary<string, string> form, string name)
    {
        var text = Optional(form, name);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : throw new WebhookFormatException($"'{name}' must be a whole number of seconds");
    }

    private static CallDirection ReadDirection(IReadOnlyDictionary<string, string> form)
        => Optional(form, "Direction") switch
        {
            // Twilio always sends Direction; a callback without one is treated as the inbound call it almost always is.
            null or "inbound" => CallDirection.Inbound,
            "outbound-api" or "outbound-dial" or "outbound" => CallDirection.Outbound,
            _ => throw new WebhookFormatException("'Direction' is not inbound, outbound-api or outbound-dial"),
        };

    private static DateTimeOffset? ReadTimestamp(IReadOnlyDictionary<string, string> form)
    {
        var text = Optional(form, "Timestamp");
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParseExact(
                text,
                Rfc2822Formats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal,
                out var timestamp))
        {
            return timestamp;
        }

        throw new WebhookFormatException("'Timestamp' is not an RFC 2822 date");
    }
}
