using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>
/// Our own documented JSON schema, for PBXs and integrations that can post a webhook but have no dialect we know.
/// </summary>
/// <remarks>
/// <para>
/// Body: one event object, or a JSON array of 1 to <see cref="MaxBatchSize"/> event objects. Property names are
/// camelCase and case-sensitive; unknown properties are rejected so that typos do not silently drop data.
/// </para>
/// <code>
/// {
///   "eventId": "evt-0001",                       // required, unique per event (dedupe key)
///   "callId": "call-42",                         // required, shared by all events of one call
///   "clinicNumber": "+441632960123",             // required, the number that was dialled
///   "caller": "+447700900123",                   // required key; null, "" or "anonymous" = withheld
///   "callerName": "J SMITH",                     // optional
///   "direction": "inbound",                      // optional: inbound (default) | outbound
///   "outcome": "missed",                         // required: answered|missed|busy|voicemail|abandoned|failed
///   "voicemailLeft": false,                      // optional, only true with outcome voicemail
///   "ringSeconds": 25,                           // optional, integer &gt;= 0
///   "talkSeconds": 0,                            // optional, integer &gt;= 0
///   "startedAt": "2026-11-03T09:15:02Z",         // optional, ISO-8601 with offset
///   "endedAt": "2026-11-03T09:15:27Z",           // optional, ISO-8601 with offset, not before startedAt
///   "occurredAt": "2026-11-03T09:15:27Z"         // required, ISO-8601 with offset
/// }
/// </code>
/// <para>
/// Signature: header <c>X-MissedCall-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;raw body&gt;")&gt;</c>.
/// Several <c>v1=</c> entries are allowed (secret rotation on the sender's side); the request is valid when any of
/// them matches any of the clinic's secrets and <c>t</c> is within <see cref="TimestampTolerance"/> of now.
/// </para>
/// </remarks>
public sealed class GenericCallEventProvider : ICallEventProvider
{
    public const string ProviderKey = "generic";

    public const string SignatureHeader = "X-MissedCall-Signature";

    public const int MaxBatchSize = 100;

    /// <summary>Longest accepted id (eventId, callId).</summary>
    public const int MaxIdLength = 256;

    private const int MaxShortStringLength = 128;

    private const int MaxSignatureHeaderLength = 2048;

    private const int Sha256HexLength = 64;

    /// <summary>How far the signed timestamp may be from now, either side.</summary>
    public static TimeSpan TimestampTolerance { get; } = TimeSpan.FromSeconds(300);

    private static readonly FrozenSet<string> JsonMediaTypes = FrozenSet.Create(StringComparer.Ordinal, "application/json");

    private static readonly FrozenDictionary<string, CallOutcome> Outcomes = new Dictionary<string, CallOutcome>(StringComparer.Ordinal)
    {
        ["answered"] = CallOutcome.Answered,
        ["missed"] = CallOutcome.Missed,
        ["busy"] = CallOutcome.Busy,
        ["voicemail"] = CallOutcome.Voicemail,
        ["abandoned"] = CallOutcome.Abandoned,
        ["failed"] = CallOutcome.Failed,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenSet<string> KnownProperties = FrozenSet.Create(
        StringComparer.Ordinal,
        "eventId",
        "callId",
        "clinicNumber",
        "caller",
        "callerName",
        "direction",
        "outcome",
        "voicemailLeft",
        "ringSeconds",
        "talkSeconds",
        "startedAt",
        "endedAt",
        "occurredAt");

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 8,
    };

    public string Key => ProviderKey;

    public IReadOnlySet<string> MediaTypes => JsonMediaTypes;

    public WebhookReply? TryHandshake(WebhookRequest request) => null;

    /// <summary>Answered with the generic 202 JSON summary.</summary>
    public WebhookReply? Acknowledgement => null;

    public IReadOnlyList<ProviderCallEvent> Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        if (request.Body.IsEmpty)
        {
            throw new WebhookFormatException("body is empty: expected a JSON call event object or an array of them");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(request.Body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            // The reader's position is safe to return; its message could quote the body, so it is not used.
            var where = ex.LineNumber is { } line && ex.BytePositionInLine is { } position
                ? $" (line {line + 1}, byte {position + 1})"
                : string.Empty;
            throw new WebhookFormatException($"body is not valid JSON{where}");
        }

        using (document)
        {
            var root = document.RootElement;
            switch (root.ValueKind)
            {
                case JsonValueKind.Object:
                    return [ReadEvent(root, prefix: string.Empty)];

                case JsonValueKind.Array:
                    var count = root.GetArrayLength();
                    if (count == 0)
                    {
                        throw new WebhookFormatException($"batch is empty: send 1 to {MaxBatchSize} events");
                    }

                    if (count > MaxBatchSize)
                    {
                        throw new WebhookFormatException($"batch has {count} events: at most {MaxBatchSize} are accepted per request");
                    }

                    var events = new List<ProviderCallEvent>(count);
                    var index = 0;
                    foreach (var item in root.EnumerateArray())
                    {
                        var prefix = $"[{index}].";
                        if (item.ValueKind != JsonValueKind.Object)
                        {
                            throw new WebhookFormatException($"batch item [{index}] must be a JSON object");
                        }

                        events.Add(ReadEvent(item, prefix));
                        index++;
                    }

                    return events;

                default:
                    throw new WebhookFormatException("body must be a JSON call event object or an array of them");
            }
        }
    }

    public SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secrets);

        var keys = secrets.GenericHmacSecrets.Where(s => !string.IsNullOrEmpty(s)).ToArray();
        if (keys.Length == 0)
        {
            return SignatureCheck.NotConfigured("the clinic has no generic webhook secret");
        }

        var header = request.Header(SignatureHeader);
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.Missing($"{SignatureHeader} header is missing");
        }

        if (!TryParseSignatureHeader(header, out var timestamp, out var signatures, out var problem))
        {
            return SignatureCheck.Invalid($"{SignatureHeader} header is malformed: {problem}");
        }

        var matched = false;
        foreach (var key in keys)
        {
            var expected = ComputeMac(key, timestamp, request.Body.Span);
            foreach (var candidate in signatures)
            {
                // No early exit: every candidate is compared, in constant time.
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
            }
        }

        if (!matched)
        {
            return SignatureCheck.Invalid("signature does not match any of the clinic's generic webhook secrets");
        }

        // Checked after the MAC, so Expired always means a genuine but stale (or replayed) request.
        var nowSeconds = now.ToUnixTimeSeconds();
        var tolerance = (long)TimestampTolerance.TotalSeconds;
        if (timestamp < nowSeconds - tolerance || timestamp > nowSeconds + tolerance)
        {
            return SignatureCheck.Expired(
                $"signature timestamp is {Math.Abs(nowSeconds - timestamp)}s from now, outside the {tolerance}s tolerance");
        }

        return SignatureCheck.Valid();
    }

    /// <summary>
    /// The <see cref="SignatureHeader"/> value a sender puts on <paramref name="body"/>:
    /// <c>t=&lt;unixSeconds&gt;,v1=&lt;lowercase hex HMAC-SHA256(UTF8(secret), "&lt;unixSeconds&gt;." + body)&gt;</c>.
    /// </summary>
    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentOutOfRangeException.ThrowIfNegative(unixSeconds);

        var mac = ComputeMac(secret, unixSeconds, body);
        return string.Create(CultureInfo.InvariantCulture, $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}");
    }

    private static byte[] ComputeMac(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.ASCII.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + "."));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    private static bool TryParseSignatureHeader(string header, out long timestamp, out List<byte[]> signatures, out string problem)
    {
        timestamp = 0;
        signatures = [];
        problem = string.Empty;

        if (header.Length > MaxSignatureHeaderLength)
        {
            problem = "too long";
            return false;
        }

        var sawTimestamp = false;
        foreach (var rawPart in header.Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                problem = "expected comma-separated key=value pairs";
                return false;
            }

            var name = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            switch (name)
            {
                case "t":
                    if (sawTimestamp)
                    {
                        problem = "more than one t";
                        return false;
                    }

                    if (value.Length is 0 or > 12 || !value.All(char.IsAsciiDigit)
                        || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out timestamp))
                    {
                        problem = "t must be unix seconds";
                        return false;
                    }

                    sawTimestamp = true;
                    break;

                case "v1":
                    if (value.Length != Sha256HexLength || !value.All(char.IsAsciiHexDigit))
                    {
                        problem = "v1 must be 64 hex characters";
                        return false;
                    }

                    signatures.Add(Convert.FromHexString(value));
                    break;

                default:
                    // Other schemes (v0, v2, ...) are ignored so that senders can add them without breaking us.
                    break;
            }
        }

        if (!sawTimestamp)
        {
            problem = "t is missing";
            return false;
        }

        if (signatures.Count == 0)
        {
            problem = "no v1 signature";
            return false;
        }

        return true;
    }

    private static ProviderCallEvent ReadEvent(JsonElement item, string prefix)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in item.EnumerateObject())
        {
            var name = WebhookJson.Name(property);
            if (!KnownProperties.Contains(name))
            {
                throw new WebhookFormatException($"{DescribeUnknown(prefix, name)} is not part of the generic call event schema");
            }

            if (!seen.Add(name))
            {
                throw new WebhookFormatException($"field '{prefix}{name}' appears more than once");
            }
        }

        var eventId = RequiredString(item, prefix, "eventId", MaxIdLength);
        var callId = RequiredString(item, prefix, "callId", MaxIdLength);
        var clinicNumber = RequiredString(item, prefix, "clinicNumber", MaxShortStringLength);
        var caller = ReadCaller(item, prefix);
        var callerName = OptionalString(item, prefix, "callerName", MaxShortStringLength);
        var direction = ReadDirection(item, prefix);
        var outcome = ReadOutcome(item, prefix);
        var voicemailLeft = OptionalBool(item, prefix, "voicemailLeft");
        var ringSeconds = OptionalSeconds(item, prefix, "ringSeconds");
        var talkSeconds = OptionalSeconds(item, prefix, "talkSeconds");
        var startedAt = OptionalTimestamp(item, prefix, "startedAt");
        var endedAt = OptionalTimestamp(item, prefix, "endedAt");
        var occurredAt = OptionalTimestamp(item, prefix, "occurredAt")
            ?? throw Missing(prefix, "occurredAt");

        if (voicemailLeft == true && outcome != CallOutcome.Voicemail)
        {
            throw new WebhookFormatException($"field '{prefix}voicemailLeft' can only be true when outcome is voicemail");
        }

        if (startedAt is { } start && endedAt is { } end && end < start)
        {
            throw new WebhookFormatException($"field '{prefix}endedAt' is before '{prefix}startedAt'");
        }

        return new ProviderCallEvent
        {
            ProviderEventId = eventId,
            ProviderCallId = callId,
            ClinicNumberRaw = clinicNumber,
            CallerRaw = caller,
            CallerName = callerName,
            Direction = direction,
            Outcome = outcome,
            VoicemailLeft = voicemailLeft,
            RingSeconds = ringSeconds,
            TalkSeconds = talkSeconds,
            StartedAt = startedAt,
            EndedAt = endedAt,
            OccurredAt = occurredAt,
        };
    }

    private static string DescribeUnknown(string prefix, string name)
    {
        // Property names are echoed only when they look like an identifier, so that arbitrary body text never is.
        var printable = name.Length is > 0 and <= 40 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return printable ? $"field '{prefix}{name}'" : $"a field of {(prefix.Length == 0 ? "the event" : $"event {prefix.TrimEnd('.')}")}";
    }

    private static WebhookFormatException Missing(string prefix, string name)
        => new($"field '{prefix}{name}' is required");

    private static WebhookFormatException WrongType(string prefix, string name, string expected)
        => new($"field '{prefix}{name}' must be {expected}");

    private static string Text(JsonElement value, string prefix, string name) => WebhookJson.String(value, $"field '{prefix}{name}'");

    private static bool TryGetPresent(JsonElement item, string name, out JsonElement value)
        => WebhookJson.TryGetProperty(item, name, out value) && value.ValueKind != JsonValueKind.Null;

    private static string RequiredString(JsonElement item, string prefix, string name, int maxLength)
    {
        if (!TryGetPresent(item, name, out var value))
        {
            throw Missing(prefix, name);
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw WrongType(prefix, name, "a string");
        }

        var text = Text(value, prefix, name).Trim();
        if (text.Length == 0)
        {
            throw new WebhookFormatException($"field '{prefix}{name}' must not be empty");
        }

        if (text.Length > maxLength)
        {
            throw new WebhookFormatException($"field '{prefix}{name}' is longer than {maxLength} characters");
        }

        return text;
    }

    private static string? OptionalString(JsonElement item, string prefix, string name, int maxLength)
    {
        if (!TryGetPresent(item, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw WrongType(prefix, name, "a string or null");
        }

        var text = Text(value, prefix, name).Trim();
        if (text.Length > maxLength)
        {
            throw new WebhookFormatException($"field '{prefix}{name}' is longer than {maxLength} characters");
        }

        return text.Length == 0 ? null : text;
    }

    private static string? ReadCaller(JsonElement item, string prefix)
    {
        // The key is required so that a sender that forgot the caller is told, rather than every call being "withheld".
        if (!WebhookJson.TryGetProperty(item, "caller", out var value))
        {
            throw new WebhookFormatException($"field '{prefix}caller' is required (send null when the caller ID is withheld)");
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw WrongType(prefix, "caller", "a string or null");
        }

        var text = Text(value, prefix, "caller").Trim();
        if (text.Length > MaxShortStringLength)
        {
            throw new WebhookFormatException($"field '{prefix}caller' is longer than {MaxShortStringLength} characters");
        }

        return text.Length == 0 || text.Equals("anonymous", StringComparison.OrdinalIgnoreCase) ? null : text;
    }

    private static CallDirection ReadDirection(JsonElement item, string prefix)
    {
        if (!TryGetPresent(item, "direction", out var value))
        {
            return CallDirection.Inbound;
        }

        return value.ValueKind == JsonValueKind.String ? Text(value, prefix, "direction") switch
        {
            "inbound" => CallDirection.Inbound,
            "outbound" => CallDirection.Outbound,
            _ => throw WrongType(prefix, "direction", "\"inbound\" or \"outbound\""),
        } : throw WrongType(prefix, "direction", "\"inbound\" or \"outbound\"");
    }

    private static CallOutcome ReadOutcome(JsonElement item, string prefix)
    {
        if (!TryGetPresent(item, "outcome", out var value))
        {
            throw Missing(prefix, "outcome");
        }

        if (value.ValueKind == JsonValueKind.String && Outcomes.TryGetValue(Text(value, prefix, "outcome"), out var outcome))
        {
            return outcome;
        }

        throw WrongType(prefix, "outcome", "one of " + string.Join(", ", Outcomes.Keys.Order(StringComparer.Ordinal)));
    }

    private static bool? OptionalBool(JsonElement item, string prefix, string name)
    {
        if (!TryGetPresent(item, name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(prefix, name, "true, false or null"),
        };
    }

    private static int? OptionalSeconds(JsonElement item, string prefix, string name)
    {
        if (!TryGetPresent(item, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var seconds) || seconds < 0)
        {
            throw WrongType(prefix, name, "a whole number of seconds, 0 or more");
        }

        return seconds;
    }

    private static DateTimeOffset? OptionalTimestamp(JsonElement item, string prefix, string name)
    {
        if (!TryGetPresent(item, name, out var value))
        {
            return null;
        }

        // An explicit offset is required: a local time without one cannot be placed on the timeline.
        if (value.ValueKind != JsonValueKind.String
            || !HasExplicitOffset(Text(value, prefix, name))
            || !value.TryGetDateTimeOffset(out var timestamp))
        {
            throw WrongType(prefix, name, "an ISO-8601 date-time with an offset (e.g. 2026-11-03T09:15:27Z)");
        }

        return timestamp;
    }

    private static bool HasExplicitOffset(string text)
    {
        var t = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        if (t < 0)
        {
            return false;
        }

        var time = text.AsSpan(t + 1);
        if (time.EndsWith("Z", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // ±hh:mm (or ±hhmm / ±hh) after the time part.
        return time.LastIndexOfAny('+', '-') > 0;
    }
}
