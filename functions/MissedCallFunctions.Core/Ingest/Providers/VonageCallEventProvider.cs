using System.Buffers.Text;
using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Clinics;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>
/// Vonage Voice API event webhooks: one JSON object per request describing one leg's status change, authenticated
/// by a signed-webhook JWT (<c>Authorization: Bearer</c>, HS256 with the account signature secret) whose
/// <c>payload_hash</c> claim is the SHA-256 of the body.
/// </summary>
/// <remarks>
/// Only terminal statuses decide an outcome; progress statuses (<c>started</c>, <c>ringing</c>, <c>answered</c>,
/// <c>human</c>, <c>disconnected</c>, ...) come back with a null outcome. Bodies on the event URL that are not call
/// status events (recording, input, transfer, notify) carry no <c>status</c>: they yield no events at all.
/// </remarks>
public sealed class VonageCallEventProvider : ICallEventProvider
{
    public const string ProviderKey = "vonage";

    /// <summary>How far <c>iat</c> may be from now, either side.</summary>
    public static readonly TimeSpan IssuedAtTolerance = TimeSpan.FromSeconds(300);

    private const string BearerPrefix = "Bearer ";

    private static readonly FrozenSet<string> SupportedMediaTypes =
        new[] { "application/json" }.ToFrozenSet(StringComparer.Ordinal);

    public string Key => ProviderKey;

    public IReadOnlySet<string> MediaTypes => SupportedMediaTypes;

    public WebhookReply? TryHandshake(WebhookRequest request) => null;

    /// <summary>Answered with the generic 202 JSON summary.</summary>
    public WebhookReply? Acknowledgement => null;

    public IReadOnlyList<ProviderCallEvent> Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        if (request.Body.IsEmpty)
        {
            throw new WebhookFormatException("Vonage body is empty.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(request.Body);
        }
        catch (JsonException)
        {
            throw new WebhookFormatException("Vonage body is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new WebhookFormatException("Vonage body must be a JSON object.");
            }

            if (!WebhookJson.TryGetProperty(root, "status", out _))
            {
                // Recording, input, transfer and notify callbacks share the event URL but describe no call status.
                return [];
            }

            return [ReadStatusEvent(root)];
        }
    }

    public SignatureCheck Verify(WebhookRequest request, ClinicWebhookSecrets secrets, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secrets);

        if (string.IsNullOrEmpty(secrets.VonageSignatureSecret))
        {
            return SignatureCheck.NotConfigured("no Vonage signature secret configured for this clinic");
        }

        var authorization = request.Header("Authorization");
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return SignatureCheck.Missing("no Authorization header");
        }

        authorization = authorization.Trim();
        if (!authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return SignatureCheck.Missing("Authorization header is not a Bearer token");
        }

        var token = authorization[BearerPrefix.Length..].Trim();
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || parts[2].Length == 0)
        {
            return SignatureCheck.Invalid("bearer token is not a JWT");
        }

        var headerBytes = DecodeBase64Url(parts[0]);
        var claimsBytes = DecodeBase64Url(parts[1]);
        var signature = DecodeBase64Url(parts[2]);
        if (headerBytes is null || claimsBytes is null || signature is null)
        {
            return SignatureCheck.Invalid("JWT segment is not base64url");
        }

        if (!TryReadAlgorithm(headerBytes, out var algorithm))
        {
            return SignatureCheck.Invalid("JWT header is not a JSON object with 'alg'");
        }

        if (!string.Equals(algorithm, "HS256", StringComparison.Ordinal))
        {
            return SignatureCheck.Invalid("JWT algorithm is not HS256");
        }

        var key = Encoding.UTF8.GetBytes(secrets.VonageSignatureSecret);
        var signingInput = Encoding.ASCII.GetBytes(string.Concat(parts[0], ".", parts[1]));
        var expected = HMACSHA256.HashData(key, signingInput);
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            return SignatureCheck.Invalid("JWT signature does not match");
        }

        if (!TryReadClaims(claimsBytes, out var issuedAt, out var expiresAt, out var payloadHash))
        {
            return SignatureCheck.Invalid("JWT claims are not a JSON object with numeric 'iat' and string 'payload_hash'");
        }

        // The token is authentic from here on: a body that does not hash to payload_hash was altered in transit.
        var bodyHash = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(request.Body.Span)));
        var claimedHash = Encoding.ASCII.GetBytes(payloadHash.ToLowerInvariant());
        if (!CryptographicOperations.FixedTimeEquals(bodyHash, claimedHash))
        {
            return SignatureCheck.Invalid("payload_hash does not match the body");
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        if (Math.Abs((decimal)nowSeconds - issuedAt) > (decimal)IssuedAtTolerance.TotalSeconds)
        {
            return SignatureCheck.Expired($"JWT iat is outside the {IssuedAtTolerance.TotalSeconds:0}s tolerance");
        }

        if (expiresAt is { } exp && nowSeconds > exp)
        {
            return SignatureCheck.Expired("JWT has expired");
        }

        return SignatureCheck.Valid();
    }

    private static ProviderCallEvent ReadStatusEvent(JsonElement root)
    {
        var status = RequiredString(root, "status");
        var uuid = RequiredString(root, "uuid");
        var conversationUuid = OptionalString(root, "conversation_uuid");
        var direction = ReadDirection(root);
        var from = OptionalString(root, "from");
        var to = OptionalString(root, "to");
        var occurredAt = OptionalTimestamp(root, "timestamp");
        var startedAt = OptionalTimestamp(root, "start_time");
        var endedAt = OptionalTimestamp(root, "end_time");
        var duration = OptionalSeconds(root, "duration");

        var (clinic, caller) = direction == CallDirection.Outbound ? (from, to) : (to, from);
        var outcome = MapStatus(status);
        if (outcome is not null && string.IsNullOrEmpty(clinic))
        {
            var field = direction == CallDirection.Outbound ? "from" : "to";
            throw new WebhookFormatException($"Vonage field '{field}' is missing.");
        }

        int? ringSeconds = outcome is CallOutcome.Missed or CallOutcome.Busy or CallOutcome.Abandoned
            && startedAt is { } start && endedAt is { } end && end >= start
                ? (int)Math.Round((end - start).TotalSeconds, MidpointRounding.AwayFromZero)
                : null;

        return new ProviderCallEvent
        {
            ProviderEventId = $"{uuid}:{status}",
            ProviderCallId = conversationUuid ?? uuid,
            ClinicNumberRaw = clinic ?? string.Empty,
            CallerRaw = caller,
            Direction = direction,
            Outcome = outcome,
            TalkSeconds = outcome == CallOutcome.Answered ? duration : null,
            RingSeconds = ringSeconds,
            StartedAt = startedAt,
            EndedAt = endedAt,
            OccurredAt = occurredAt,
        };
    }

    /// <summary>How a Vonage leg status reads from the clinic's side; null for progress statuses.</summary>
    internal static CallOutcome? MapStatus(string status) => status.ToLowerInvariant() switch
    {
        "completed" => CallOutcome.Answered,
        "unanswered" or "timeout" => CallOutcome.Missed,
        "busy" => CallOutcome.Busy,
        "cancelled" => CallOutcome.Abandoned,
        "failed" or "rejected" => CallOutcome.Failed,
        "machine" => CallOutcome.Voicemail,
        // started, ringing, answered, human, disconnected and anything new: not decisive.
        _ => null,
    };

    private static CallDirection ReadDirection(JsonElement root)
    {
        var value = OptionalString(root, "direction");
        return value?.ToLowerInvariant() switch
        {
            null => CallDirection.Inbound,
            "inbound" => CallDirection.Inbound,
            "outbound" => CallDirection.Outbound,
            _ => throw new WebhookFormatException("Vonage field 'direction' is not 'inbound' or 'outbound'."),
        };
    }

    private static bool TryReadAlgorithm(byte[] headerJson, out string? algorithm)
    {
        algorithm = null;
        try
        {
            using var header = JsonDocument.Parse(headerJson);
            if (header.RootElement.ValueKind != JsonValueKind.Object
                || !WebhookJson.TryGetProperty(header.RootElement, "alg", out var alg)
                || alg.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            algorithm = WebhookJson.String(alg, "JWT 'alg'");
            return true;
        }
        catch (Exception ex) when (ex is JsonException or WebhookFormatException)
        {
            return false;
        }
    }

    private static bool TryReadClaims(byte[] claimsJson, out long issuedAt, out long? expiresAt, out string payloadHash)
    {
        issuedAt = 0;
        expiresAt = null;
        payloadHash = string.Empty;
        try
        {
            using var claims = JsonDocument.Parse(claimsJson);
            var root = claims.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !WebhookJson.TryGetProperty(root, "iat", out var iat)
                || !TryReadUnixSeconds(iat, out issuedAt)
                || !WebhookJson.TryGetProperty(root, "payload_hash", out var hash)
                || hash.ValueKind != JsonValueKind.String
                || WebhookJson.String(hash, "JWT 'payload_hash'") is not { Length: > 0 } claimed)
            {
                return false;
            }

            payloadHash = claimed;
            if (WebhookJson.TryGetProperty(root, "exp", out var exp) && exp.ValueKind != JsonValueKind.Null)
            {
                if (!TryReadUnixSeconds(exp, out var expSeconds))
                {
                    return false;
                }

                expiresAt = expSeconds;
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or WebhookFormatException)
        {
            return false;
        }
    }

    private static bool TryReadUnixSeconds(JsonElement element, out long seconds)
    {
        seconds = 0;
        if (element.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        if (element.TryGetInt64(out seconds))
        {
            return true;
        }

        // NumericDate may carry a fraction.
        if (element.TryGetDouble(out var value) && value is >= long.MinValue and <= long.MaxValue)
        {
            seconds = (long)Math.Floor(value);
            return true;
        }

        return false;
    }

    private static byte[]? DecodeBase64Url(string segment)
    {
        if (!Base64Url.IsValid(segment))
        {
            return null;
        }

        try
        {
            return Base64Url.DecodeFromChars(segment);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string RequiredString(JsonElement element, string property)
    {
        if (!WebhookJson.TryGetProperty(element, property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new WebhookFormatException($"Vonage field '{property}' is missing.");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WebhookFormatException($"Vonage field '{property}' must be a string.");
        }

        var text = WebhookJson.String(value, $"Vonage field '{property}'");
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new WebhookFormatException($"Vonage field '{property}' is empty.");
        }

        return text;
    }

    private static string? OptionalString(JsonElement element, string property)
    {
        if (!WebhookJson.TryGetProperty(element, property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WebhookFormatException($"Vonage field '{property}' must be a string.");
        }

        var text = WebhookJson.String(value, $"Vonage field '{property}'");
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    /// <summary>Vonage sends durations as strings ("27"); numbers are accepted too.</summary>
    private static int? OptionalSeconds(JsonElement element, string property)
    {
        if (!WebhookJson.TryGetProperty(element, property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 0)
        {
            return number;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = WebhookJson.String(value, $"Vonage field '{property}'");
            if (string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return parsed;
            }
        }

        throw new WebhookFormatException($"Vonage field '{property}' is not a whole number of seconds.");
    }

    private static DateTimeOffset? OptionalTimestamp(JsonElement element, string property)
    {
        var text = OptionalString(element, property);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            throw new WebhookFormatException($"Vonage field '{property}' is not an ISO 8601 timestamp.");
        }

        return value.ToUniversalTime();
    }
}
