using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Reliability.Infrastructure;

/// <summary>One webhook as a provider would send it: built afresh for every delivery (a provider retry sends the same content).</summary>
public sealed record Webhook(string Id, string Provider, Func<HttpRequestMessage> Build);

/// <summary>Provider webhooks signed the way each provider signs them, computed here independently of the product code (except the generic scheme's helper).</summary>
public static class Webhooks
{
    public static string GenericJson(string eventId, string callId, string? caller, string outcome, DateTimeOffset occurredAt, int? ringSeconds = 25,
        string clinicNumber = Sample.UkClinicNumber)
    {
        var callerJson = caller is null ? "null" : $"\"{caller}\"";
        var ring = ringSeconds is null ? "null" : ringSeconds.Value.ToString(CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $$"""{"eventId":"{{eventId}}","callId":"{{callId}}","clinicNumber":"{{clinicNumber}}","caller":{{callerJson}},"outcome":"{{outcome}}","ringSeconds":{{ring}},"occurredAt":"{{occurredAt:O}}"}""");
    }

    /// <summary>POST /api/calls/generic, signed with X-MissedCall-Signature at <paramref name="signedAt"/> (now by default).</summary>
    public static HttpRequestMessage Generic(string json, string secret = Sample.UkGenericSecret, DateTimeOffset? signedAt = null, bool sign = true,
        string contentType = "application/json", KeyMode key = KeyMode.Header)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/calls/generic") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (sign)
        {
            request.Headers.TryAddWithoutValidation(GenericCallEventProvider.SignatureHeader,
                GenericCallEventProvider.Sign(secret, (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(), body));
        }

        return Keys.Apply(request, key);
    }

    /// <summary>Twilio's &lt;Dial action&gt; after a no-answer, or its status callback saying no-answer.</summary>
    public static List<KeyValuePair<string, string>> TwilioNoAnswer(string callSid, string from, bool statusCallback = false, string to = Sample.UkClinicNumber) =>
        statusCallback
            ?
            [
                new("AccountSid", "AC00000000000000000000000000000001"),
                new("ApiVersion", "2010-04-01"),
                new("CallSid", callSid),
                new("CallStatus", "no-answer"),
                new("CallDuration", "0"),
                new("Direction", "inbound"),
                new("From", from),
                new("To", to),
                new("Caller", from),
                new("Called", to),
            ]
            :
            [
                new("AccountSid", "AC00000000000000000000000000000001"),
                new("ApiVersion", "2010-04-01"),
                new("CallSid", callSid),
                new("CallStatus", "in-progress"),
                new("DialCallSid", "CA" + new string('d', 32)),
                new("DialCallStatus", "no-answer"),
                new("DialBridged", "false"),
                new("Direction", "inbound"),
                new("From", from),
                new("To", to),
            ];

    /// <summary>POST {path} as Twilio sends it: form-encoded, X-Twilio-Signature over the public URL plus the sorted fields.</summary>
    public static HttpRequestMessage Twilio(IReadOnlyList<KeyValuePair<string, string>> form, string token = Sample.UkTwilioToken, bool sign = true,
        string path = "/api/calls/twilio", KeyMode key = KeyMode.Query)
    {
        var pathAndQuery = key == KeyMode.Query ? $"{path}?code={Sample.FunctionKey}" : path;
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        if (sign)
        {
            request.Headers.TryAddWithoutValidation("X-Twilio-Signature", TwilioSignature(Sample.PublicBaseUrl + pathAndQuery, form, token));
        }

        return key == KeyMode.Query ? request : Keys.Apply(request, key);
    }

    public static string TwilioSignature(string url, IEnumerable<KeyValuePair<string, string>> form, string token)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>A RingCentral telephony-session notification: the caller's inbound party disconnected unanswered.</summary>
    public static string RingCentralMissedJson(string sessionId, string caller, DateTimeOffset eventTime, int sequence = 9) => string.Create(CultureInfo.InvariantCulture,
        $$$"""{"uuid":"{{{sessionId}}}-u","event":"/restapi/v1.0/account/37439510/telephony/sessions","timestamp":"{{{eventTime:O}}}","subscriptionId":"0a7fb1f2-9e7c-4d9e-8b8a-1c2d3e4f5a6b","body":{"sequence":{{{sequence}}},"sessionId":"{{{sessionId}}}-s","telephonySessionId":"{{{sessionId}}}","eventTime":"{{{eventTime:O}}}","parties":[{"id":"{{{sessionId}}}-p","direction":"Inbound","to":{"phoneNumber":"{{{Sample.UkClinicNumber}}}"},"from":{"phoneNumber":"{{{caller}}}"},"status":{"code":"Disconnected","reason":"NoAnswer"},"missedCall":true}]}}""");

    public static HttpRequestMessage RingCentral(string json, string? token = Sample.UkRingCentralToken, KeyMode key = KeyMode.Header)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/calls/ringcentral") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Verification-Token", token);
        }

        return Keys.Apply(request, key);
    }
}

public enum KeyMode
{
    /// <summary>x-functions-key header.</summary>
    Header,
    /// <summary>?code= query parameter.</summary>
    Query,
    /// <summary>No key at all.</summary>
    None,
    /// <summary>A key that is not the host's.</summary>
    Wrong,
    /// <summary>The admin key (accepted on every /api route, like the Functions master key).</summary>
    Admin,
}

public static class Keys
{
    public static HttpRequestMessage Apply(HttpRequestMessage request, KeyMode mode)
    {
        switch (mode)
        {
            case KeyMode.Header:
                request.Headers.TryAddWithoutValidation("x-functions-key", Sample.FunctionKey);
                break;
            case KeyMode.Admin:
                request.Headers.TryAddWithoutValidation("x-functions-key", Sample.AdminKey);
                break;
            case KeyMode.Query:
                request.RequestUri = AddQuery(request.RequestUri!, "code", Sample.FunctionKey);
                break;
            case KeyMode.Wrong:
                request.RequestUri = AddQuery(request.RequestUri!, "code", "not-the-function-key");
                break;
        }

        return request;
    }

    public static Uri AddQuery(Uri uri, string name, string value)
    {
        var text = uri.OriginalString;
        var separator = text.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return new Uri(text + separator + name + "=" + Uri.EscapeDataString(value), UriKind.RelativeOrAbsolute);
    }
}
