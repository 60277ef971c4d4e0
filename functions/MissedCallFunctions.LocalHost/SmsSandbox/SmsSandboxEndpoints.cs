using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

/// <summary>
/// The sandbox over HTTP, shaped like ACS SMS:
/// <list type="bullet">
/// <item>POST {prefix}/sms?api-version=2021-03-07|2026-01-23: checks the api-version (400), the HMAC signature as ACS does
/// (401), the body (400), then answers 202 with one value[] item per recipient.</item>
/// <item>GET {prefix}/messages?phone=+44...: the thread with one phone, both directions (no authentication: a dev tool).</item>
/// </list>
/// The HMAC check recomputes "{METHOD}\n{request target}\n{signed header values joined by ';'}" with the sandbox's key, where
/// the request target is the raw path and query as sent (so with the endpoint http://127.0.0.1:port/sandbox/acs a client
/// signs "/sandbox/acs/sms?api-version=..."), host is the Host header, x-ms-content-sha256 must hash the body, and the
/// signed date must be within 15 minutes.
/// </summary>
public static class SmsSandboxEndpoints
{
    public static readonly IReadOnlySet<string> SupportedApiVersions = new HashSet<string>(StringComparer.Ordinal) { "2021-03-07", "2026-01-23" };

    private const int MaxBodyBytes = 1024 * 1024;
    private const int MaxMessageLength = 2048;
    private const int MaxRecipients = 100;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Registers a singleton <see cref="SmsSandbox"/> (uses the TimeProvider in DI when there is one).</summary>
    public static IServiceCollection AddSmsSandbox(this IServiceCollection services, Action<SmsSandboxOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(sp =>
        {
            var options = new SmsSandboxOptions();
            configure?.Invoke(options);
            return new SmsSandbox(options, sp.GetService<TimeProvider>());
        });
        return services;
    }

    /// <summary>
    /// Maps the sandbox's endpoints under <paramref name="pathPrefix"/>; the <see cref="SmsSandbox"/> comes from DI.
    /// Use "" (the root of a host of its own) for the official ACS SDKs: the JS client (@azure/communication-common)
    /// refuses an endpoint with a path ("Invalid endpoint url"). Our <c>AcsSmsClient</c> works with either.
    /// </summary>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app, string pathPrefix = SmsSandboxOptions.DefaultPathPrefix)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(pathPrefix);
        var sandbox = app.ServiceProvider.GetService<SmsSandbox>()
                      ?? throw new InvalidOperationException("Register the SMS sandbox first: services.AddSmsSandbox() (or AddSingleton(new SmsSandbox(...))).");
        var trimmed = pathPrefix.Trim().Trim('/');
        var prefix = trimmed.Length == 0 ? string.Empty : "/" + trimmed;
        sandbox.Options.PathPrefix = prefix;

        app.MapPost(prefix + "/sms", (HttpContext context) => SendAsync(context, sandbox)).ExcludeFromDescription();
        app.MapGet(prefix + "/messages", (HttpContext context) => GetMessages(context, sandbox)).ExcludeFromDescription();
        return app;
    }

    private static IResult GetMessages(HttpContext context, SmsSandbox sandbox)
    {
        var phone = context.Request.Query["phone"].ToString();
        if (string.IsNullOrWhiteSpace(phone))
        {
            return Results.Json(sandbox.Messages, Json);
        }

        return Results.Json(sandbox.Thread(RestorePlus(phone)), Json);
    }

    /// <summary>An unencoded '+' in a query string reads as a space: "?phone=+4477..." arrives as " 4477...".</summary>
    internal static string RestorePlus(string phone)
    {
        var trimmed = phone.Trim();
        return trimmed.Length > 0 && !trimmed.StartsWith('+') && trimmed.All(char.IsAsciiDigit) ? "+" + trimmed : trimmed;
    }

    private static async Task SendAsync(HttpContext context, SmsSandbox sandbox)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw
            : request.PathBase + request.Path + request.QueryString;
        var host = request.Headers.Host.ToString();
        var apiVersion = request.Query["api-version"].ToString();
        var log = new SandboxRequest(sandbox.Time.GetUtcNow(), request.Method, target, host, apiVersion.Length == 0 ? null : apiVersion,
            0, null, null, null, null, null, 0);
        var aborted = context.RequestAborted;

        var fault = sandbox.TakeFault();
        if (fault is { Status: not (SmsSandboxFault.Timeout or SmsSandboxFault.AcceptThenTimeout) })
        {
            var status = (int)fault.Status;
            if (status == 429)
            {
                var wait = fault.RetryAfter ?? fault.Until - sandbox.Time.GetUtcNow();
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            sandbox.Record(log with { StatusCode = status, Fault = fault.Status });
            await WriteErrorAsync(context, status, status switch
            {
                429 => "TooManyRequests",
                503 => "ServiceUnavailable",
                _ => ((System.Net.HttpStatusCode)status).ToString(),
            }, "Injected fault (SMS sandbox).").ConfigureAwait(false);
            return;
        }

        if (fault is { Status: SmsSandboxFault.Timeout })
        {
            if (!await HangAsync(sandbox, fault.Until, aborted).ConfigureAwait(false))
            {
                sandbox.Record(log with { StatusCode = 499, Fault = fault.Status });
                return; // the client gave up, as intended
            }
        }

        if (apiVersion.Length == 0)
        {
            sandbox.Record(log with { StatusCode = 400 });
            await WriteErrorAsync(context, 400, "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.").ConfigureAwait(false);
            return;
        }

        if (!SupportedApiVersions.Contains(apiVersion))
        {
            sandbox.Record(log with { StatusCode = 400 });
            await WriteErrorAsync(context, 400, "UnsupportedApiVersion",
                $"The HTTP resource that matches the request URI does not support the API version '{apiVersion}'. Supported: {string.Join(", ", SupportedApiVersions)}.")
                .ConfigureAwait(false);
            return;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(request, aborted).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            sandbox.Record(log with { StatusCode = 413 });
            await WriteErrorAsync(context, 413, "RequestEntityTooLarge", "The request body is too large.").ConfigureAwait(false);
            return;
        }

        var auth = Authenticate(request.Method, target, request.Headers, body, sandbox.Options, sandbox.Time.GetUtcNow());
        log = log with { AuthScheme = auth.Scheme, SignedHeaders = auth.SignedHeaders, AuthFailure = auth.Failure, BearerToken = auth.BearerToken };
        if (auth.Failure is not null)
        {
            sandbox.Record(log with { StatusCode = 401 });
            await WriteErrorAsync(context, 401, "Unauthorized", auth.Failure).ConfigureAwait(false);
            return;
        }

        if (ParseSendRequest(body) is not { } send)
        {
            sandbox.Record(log with { StatusCode = 400 });
            await WriteErrorAsync(context, 400, "BadRequest", ParseProblem(body)).ConfigureAwait(false);
            return;
        }

        var results = new List<SandboxRecipientResult>(send.Recipients.Count);
        foreach (var recipient in send.Recipients)
        {
            results.Add(RecipientProblem(recipient) is { } problem
                ? new SandboxRecipientResult(recipient.To, null, 400, false, problem.Message, problem.RepeatabilityResult)
                : sandbox.Accept(recipient, send.From, send.Message, send.Tag, send.EnableDeliveryReport, auth.Scheme!, apiVersion));
        }

        if (fault is { Status: SmsSandboxFault.AcceptThenTimeout }
            && !await HangAsync(sandbox, fault.Until, aborted).ConfigureAwait(false))
        {
            sandbox.Record(log with { StatusCode = 499, Fault = fault.Status, Recipients = results.Count });
            return; // stored, but the client never heard: its resend must be deduplicated
        }

        sandbox.Record(log with { StatusCode = 202, Fault = fault?.Status, Recipients = results.Count });
        context.Response.StatusCode = 202;
        await context.Response.WriteAsJsonAsync(new { value = results }, Json, aborted).ConfigureAwait(false);
    }

    /// <summary>Waits until the fault window ends (true) or the client goes away (false).</summary>
    private static async Task<bool> HangAsync(SmsSandbox sandbox, DateTimeOffset until, CancellationToken aborted)
    {
        var wait = until - sandbox.Time.GetUtcNow();
        try
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, sandbox.Time, aborted).ConfigureAwait(false);
            }

            return !aborted.IsCancellationRequested;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new InvalidDataException("Body too large.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    internal readonly record struct AuthResult(string? Scheme, string? SignedHeaders, string? Failure, string? BearerToken);

    /// <summary>Checks an HMAC-SHA256 (or, when allowed, Bearer) Authorization the way ACS does.</summary>
    internal static AuthResult Authenticate(string method, string target, IHeaderDictionary headers, byte[] body, SmsSandboxOptions options, DateTimeOffset now)
    {
        var authorization = headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return new(null, null, "The request has no Authorization header.", null);
        }

        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization["Bearer ".Length..].Trim();
            if (!options.AcceptBearerToken)
            {
                return new("Bearer", null, "Bearer tokens are not accepted by this sandbox (set SmsSandboxOptions.AcceptBearerToken).", token);
            }

            return token.Length == 0 ? new("Bearer", null, "The Bearer token is empty.", token) : new("Bearer", null, null, token);
        }

        const string hmacScheme = "HMAC-SHA256 ";
        if (!authorization.StartsWith(hmacScheme, StringComparison.OrdinalIgnoreCase))
        {
            return new(authorization.Split(' ')[0], null, "The Authorization scheme must be HMAC-SHA256.", null);
        }

        string? signedHeaders = null;
        string? signature = null;
        foreach (var part in authorization[hmacScheme.Length..].Trim().Split('&'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var name = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            if (name.Equals("SignedHeaders", StringComparison.OrdinalIgnoreCase))
            {
                signedHeaders = value;
            }
            else if (name.Equals("Signature", StringComparison.OrdinalIgnoreCase))
            {
                signature = value;
            }
        }

        const string scheme = "HMAC-SHA256";
        if (string.IsNullOrEmpty(signedHeaders) || string.IsNullOrEmpty(signature))
        {
            return new(scheme, signedHeaders, "The HMAC-SHA256 Authorization needs SignedHeaders=...&Signature=....", null);
        }

        var names = signedHeaders.Split(';', StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).ToArray();
        var dateName = names.Contains("x-ms-date") ? "x-ms-date" : names.Contains("date") ? "date" : null;
        if (!names.Contains("host") || !names.Contains("x-ms-content-sha256") || dateName is null)
        {
            return new(scheme, signedHeaders, "SignedHeaders must include x-ms-date (or date), host and x-ms-content-sha256.", null);
        }

        var values = new List<string>(names.Length);
        foreach (var name in names)
        {
            var value = headers[name].ToString();
            if (value.Length == 0)
            {
                return new(scheme, signedHeaders, $"The signed header '{name}' is missing from the request.", null);
            }

            values.Add(value);
        }

        var contentHash = Convert.ToBase64String(SHA256.HashData(body));
        if (!string.Equals(headers["x-ms-content-sha256"].ToString(), contentHash, StringComparison.Ordinal))
        {
            return new(scheme, signedHeaders, "x-ms-content-sha256 does not match the SHA-256 of the request body.", null);
        }

        var dateText = headers[dateName].ToString();
        if (!DateTimeOffset.TryParseExact(dateText, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            return new(scheme, signedHeaders, $"{dateName} is not an RFC 1123 date.", null);
        }

        if ((now - date).Duration() > options.MaxClockSkew)
        {
            return new(scheme, signedHeaders, $"{dateName} is more than {options.MaxClockSkew.TotalMinutes:0} minutes away from the server's time.", null);
        }

        var stringToSign = $"{method.ToUpperInvariant()}\n{target}\n{string.Join(';', values)}";
        var key = Convert.FromBase64String(options.AccessKey);
        var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(stringToSign));
        var given = new byte[64];
        if (!Convert.TryFromBase64String(signature, given, out var written)
            || !CryptographicOperations.FixedTimeEquals(expected, given.AsSpan(0, written)))
        {
            return new(scheme, signedHeaders, "The HMAC signature does not match (wrong access key, or a different method, path, host, date or body was signed).", null);
        }

        return new(scheme, signedHeaders, null, null);
    }

    private sealed record SendRequest(string From, IReadOnlyList<SandboxSendRecipient> Recipients, string Message, bool EnableDeliveryReport, string? Tag);

    private static SendRequest? ParseSendRequest(byte[] body) => ParseSendRequest(body, out _);

    private static string ParseProblem(byte[] body)
    {
        ParseSendRequest(body, out var problem);
        return problem ?? "The request is invalid.";
    }

    private static SendRequest? ParseSendRequest(byte[] body, out string? problem)
    {
        problem = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "The request body must be a JSON object.";
                return null;
            }

            var from = Text(root, "from");
            var message = Text(root, "message");
            if (string.IsNullOrWhiteSpace(from))
            {
                problem = "The 'from' field is required.";
                return null;
            }

            if (message is null)
            {
                problem = "The 'message' field is required.";
                return null;
            }

            if (message.Length > MaxMessageLength)
            {
                problem = $"The 'message' field must be at most {MaxMessageLength} characters.";
                return null;
            }

            if (!root.TryGetProperty("smsRecipients", out var recipientsElement) || recipientsElement.ValueKind != JsonValueKind.Array
                || recipientsElement.GetArrayLength() is 0 or > MaxRecipients)
            {
                problem = $"The 'smsRecipients' field must hold 1 to {MaxRecipients} recipients.";
                return null;
            }

            var recipients = new List<SandboxSendRecipient>();
            foreach (var item in recipientsElement.EnumerateArray())
            {
                var to = item.ValueKind == JsonValueKind.Object ? Text(item, "to") : null;
                if (string.IsNullOrEmpty(to))
                {
                    problem = "Every smsRecipients entry needs a 'to'.";
                    return null;
                }

                var id = Text(item, "repeatabilityRequestId");
                var firstSent = Text(item, "repeatabilityFirstSent");
                recipients.Add(new SandboxSendRecipient(to, id, firstSent, id is null && firstSent is null ? null : "accepted"));
            }

            var enableDeliveryReport = false;
            string? tag = null;
            if (root.TryGetProperty("smsSendOptions", out var sendOptions) && sendOptions.ValueKind == JsonValueKind.Object)
            {
                if (!sendOptions.TryGetProperty("enableDeliveryReport", out var enable) || enable.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    problem = "smsSendOptions.enableDeliveryReport is required.";
                    return null;
                }

                enableDeliveryReport = enable.GetBoolean();
                tag = Text(sendOptions, "tag");
            }

            return new SendRequest(from, recipients, message, enableDeliveryReport, tag);
        }
        catch (JsonException)
        {
            problem = "The request body is not valid JSON.";
            return null;
        }
        catch (InvalidOperationException)
        {
            // JsonElement decodes strings lazily: an escaped lone surrogate surfaces here, not as a JsonException.
            problem = "The request body holds text that is not valid Unicode.";
            return null;
        }
    }

    private static (string Message, string? RepeatabilityResult)? RecipientProblem(SandboxSendRecipient recipient)
    {
        if (recipient.RepeatabilityRequestId is not null || recipient.RepeatabilityFirstSent is not null)
        {
            if (recipient.RepeatabilityFirstSent is null
                || !DateTimeOffset.TryParseExact(recipient.RepeatabilityFirstSent, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            {
                return ("Request sent with Invalid DateTime value for repeatability-first-sent. Expected is DateTime ,RFC1123 pattern.", "rejected");
            }

            if (recipient.RepeatabilityRequestId is null || !Guid.TryParse(recipient.RepeatabilityRequestId, out _))
            {
                return ("Request sent with Invalid value for repeatability-request-id. Expected is a GUID.", "rejected");
            }
        }

        return IsE164(recipient.To) ? null : ("Invalid To phone number format.", recipient.RepeatabilityResult);
    }

    private static bool IsE164(string value) =>
        value.Length is >= 8 and <= 16 && value[0] == '+' && value[1] is >= '1' and <= '9' && value.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = new { code, message } }, Json, context.RequestAborted);
    }
}
