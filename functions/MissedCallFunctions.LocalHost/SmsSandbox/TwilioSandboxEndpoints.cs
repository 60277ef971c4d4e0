using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

/// <summary>
/// The sandbox as a Twilio account: <c>POST {prefix}/2010-04-01/Accounts/{AccountSid}/Messages.json</c> (form
/// <c>To, From, Body, StatusCallback</c>, HTTP Basic <c>AccountSid:AuthToken</c>) stores the text in the same
/// <see cref="SmsSandbox"/> as the ACS endpoint and answers 201 with Twilio's message JSON (sid "SM...", status
/// "queued"). Errors use Twilio's JSON shape <c>{code, message, more_info, status}</c>:
/// <list type="bullet">
/// <item>401 / 20003: missing or wrong Basic credentials (<see cref="SmsSandboxOptions.TwilioAccountSid"/>,
/// <see cref="SmsSandboxOptions.TwilioAuthToken"/>); 404 / 20404: another account SID in the path.</item>
/// <item>400 / 21604, 21603, 21602, 21617, 21211, 21609: missing To, From or Body, Body over 1600 characters,
/// To not E.164, StatusCallback not an absolute http(s) URL.</item>
/// <item>Recipient rules: <see cref="SmsSandbox.SetTwilioRecipientError"/>, and <see cref="SmsSandbox.BlockRecipient"/>
/// answers 400 / 21610.</item>
/// <item>The same fault injection as the ACS endpoint (<see cref="SmsSandbox.InjectFaults"/>): 429 (with Retry-After),
/// 503, a hang, or store-then-hang.</item>
/// </list>
/// A tag in the StatusCallback URL (<c>?tag=</c>, as <c>TwilioSmsChannel</c> sends it) is kept as the message's
/// <see cref="SandboxMessage.Tag"/>. The static helpers build (and sign) the webhooks Twilio would post back.
/// </summary>
public static class TwilioSandboxEndpoints
{
    public const string ApiVersion = "2010-04-01";

    private const int MaxBodyLength = 1600;

    /// <summary>
    /// Maps the Twilio Messages endpoint under <paramref name="pathPrefix"/> (recorded in
    /// <see cref="SmsSandboxOptions.TwilioPathPrefix"/>); the <see cref="SmsSandbox"/> comes from DI. Give clients
    /// Twilio:ApiBaseUrl = <see cref="SmsSandboxOptions.TwilioApiBaseUrlFor"/>.
    /// </summary>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app, string pathPrefix = SmsSandboxOptions.DefaultTwilioPathPrefix)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(pathPrefix);
        var sandbox = app.ServiceProvider.GetService<SmsSandbox>()
                      ?? throw new InvalidOperationException("Register the SMS sandbox first: services.AddSmsSandbox() (or AddSingleton(new SmsSandbox(...))).");
        var trimmed = pathPrefix.Trim().Trim('/');
        var prefix = trimmed.Length == 0 ? string.Empty : "/" + trimmed;
        sandbox.Options.TwilioPathPrefix = prefix;

        app.MapPost(prefix + "/" + ApiVersion + "/Accounts/{accountSid}/Messages.json",
            (HttpContext context, string accountSid) => CreateMessageAsync(context, sandbox, accountSid)).ExcludeFromDescription();
        return app;
    }

    private static async Task CreateMessageAsync(HttpContext context, SmsSandbox sandbox, string accountSid)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw
            : request.PathBase + request.Path + request.QueryString;
        var log = new SandboxRequest(sandbox.Time.GetUtcNow(), request.Method, target, request.Headers.Host.ToString(), ApiVersion,
            0, "Basic", null, null, null, null, 0);
        var aborted = context.RequestAborted;
        var options = sandbox.Options;

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
                429 => 20429,
                503 => 20503,
                >= 500 => 20500,
                _ => 20000 + status,
            }, status switch
            {
                429 => "Too Many Requests",
                503 => "Service Unavailable",
                _ => "Injected fault (SMS sandbox).",
            }).ConfigureAwait(false);
            return;
        }

        if (fault is { Status: SmsSandboxFault.Timeout } && !await HangAsync(sandbox, fault.Until, aborted).ConfigureAwait(false))
        {
            sandbox.Record(log with { StatusCode = 499, Fault = fault.Status });
            return; // the client gave up, as intended
        }

        if (Authenticate(request.Headers.Authorization.ToString(), options) is { } authFailure)
        {
            sandbox.Record(log with { StatusCode = 401, AuthFailure = authFailure });
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Twilio API\"";
            await WriteErrorAsync(context, 401, 20003, "Authenticate").ConfigureAwait(false);
            return;
        }

        if (!string.Equals(accountSid, options.TwilioAccountSid, StringComparison.Ordinal))
        {
            sandbox.Record(log with { StatusCode = 404 });
            await WriteErrorAsync(context, 404, 20404,
                $"The requested resource /{ApiVersion}/Accounts/{accountSid}/Messages.json was not found").ConfigureAwait(false);
            return;
        }

        if (!request.HasFormContentType)
        {
            sandbox.Record(log with { StatusCode = 400 });
            await WriteErrorAsync(context, 400, 21604, "A 'To' phone number is required.").ConfigureAwait(false);
            return;
        }

        var form = await request.ReadFormAsync(aborted).ConfigureAwait(false);
        var to = form["To"].ToString().Trim();
        var from = form["From"].ToString().Trim();
        var body = form["Body"].ToString();
        var statusCallback = form["StatusCallback"].ToString().Trim();
        if (Problem(to, from, body, statusCallback) is { } problem)
        {
            sandbox.Record(log with { StatusCode = 400 });
            await WriteErrorAsync(context, 400, problem.Code, problem.Message).ConfigureAwait(false);
            return;
        }

        var callback = statusCallback.Length == 0 ? null : statusCallback;
        var outcome = sandbox.AcceptTwilio(from, to, body, callback, TagOf(callback));
        if (outcome.Message is not { } stored)
        {
            sandbox.Record(log with { StatusCode = outcome.HttpStatusCode, Recipients = 1 });
            await WriteErrorAsync(context, outcome.HttpStatusCode, outcome.ErrorCode, outcome.ErrorMessage ?? "Error").ConfigureAwait(false);
            return;
        }

        if (fault is { Status: SmsSandboxFault.AcceptThenTimeout } && !await HangAsync(sandbox, fault.Until, aborted).ConfigureAwait(false))
        {
            sandbox.Record(log with { StatusCode = 499, Fault = fault.Status, Recipients = 1 });
            return; // stored, but the client never heard
        }

        sandbox.Record(log with { StatusCode = 201, Fault = fault?.Status, Recipients = 1 });
        context.Response.StatusCode = 201;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(MessageJson(stored, accountSid, form["MessagingServiceSid"].ToString()).ToJsonString(), aborted)
            .ConfigureAwait(false);
    }

    /// <summary>Twilio's message resource as the create call answers it.</summary>
    internal static JsonObject MessageJson(SandboxMessage message, string accountSid, string? messagingServiceSid = null)
    {
        var created = message.Timestamp.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
        var uri = $"/{ApiVersion}/Accounts/{accountSid}/Messages/{message.MessageId}";
        return new JsonObject
        {
            ["account_sid"] = accountSid,
            ["api_version"] = ApiVersion,
            ["body"] = message.Body,
            ["date_created"] = created,
            ["date_sent"] = null,
            ["date_updated"] = created,
            ["direction"] = "outbound-api",
            ["error_code"] = null,
            ["error_message"] = null,
            ["from"] = message.From,
            ["messaging_service_sid"] = string.IsNullOrEmpty(messagingServiceSid) ? null : messagingServiceSid,
            ["num_media"] = "0",
            ["num_segments"] = SandboxEvents.SegmentCount(message.Body).ToString(CultureInfo.InvariantCulture),
            ["price"] = null,
            ["price_unit"] = "USD",
            ["sid"] = message.MessageId,
            ["status"] = "queued",
            ["subresource_uris"] = new JsonObject { ["media"] = uri + "/Media.json" },
            ["to"] = message.To,
            ["uri"] = uri + ".json",
        };
    }

    // ---- the webhooks Twilio would post back, for tests and local runs ----

    /// <summary>
    /// The status callback Twilio posts for a text sent through the Twilio endpoint: MessageSid, MessageStatus
    /// (queued, sent, delivered, undelivered, failed), ErrorCode when given, From, To, AccountSid, ApiVersion.
    /// Post it form-encoded (<see cref="Encode"/>) to <see cref="SmsSandbox.StatusCallbackOf"/>, signed with <see cref="Sign"/>.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> StatusCallbackForm(SandboxMessage sent, string messageStatus, int? errorCode = null,
        string accountSid = SmsSandboxOptions.DevelopmentTwilioAccountSid)
    {
        ArgumentNullException.ThrowIfNull(sent);
        ArgumentException.ThrowIfNullOrWhiteSpace(messageStatus);
        var form = new List<KeyValuePair<string, string>>
        {
            new("SmsSid", sent.MessageId),
            new("SmsStatus", messageStatus),
            new("MessageStatus", messageStatus),
            new("To", sent.To),
            new("MessageSid", sent.MessageId),
            new("AccountSid", accountSid),
            new("From", sent.From),
            new("ApiVersion", ApiVersion),
        };
        if (errorCode is { } code)
        {
            form.Add(new("ErrorCode", code.ToString(CultureInfo.InvariantCulture)));
        }

        return form;
    }

    /// <summary>The incoming-message webhook Twilio posts for a reply recorded with <see cref="SmsSandbox.Reply"/>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> IncomingMessageForm(SandboxMessage reply,
        string accountSid = SmsSandboxOptions.DevelopmentTwilioAccountSid, string? optOutType = null)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Direction != SandboxDirection.Inbound)
        {
            throw new ArgumentException("The incoming-message webhook is for a reply from a phone (an inbound message).", nameof(reply));
        }

        var sid = reply.MessageId.StartsWith("SM", StringComparison.Ordinal) ? reply.MessageId : "SM" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reply.MessageId)))[..32];
        var form = new List<KeyValuePair<string, string>>
        {
            new("ToCountry", "US"),
            new("SmsMessageSid", sid),
            new("NumMedia", "0"),
            new("SmsSid", sid),
            new("SmsStatus", "received"),
            new("Body", reply.Body),
            new("To", reply.To),
            new("NumSegments", SandboxEvents.SegmentCount(reply.Body).ToString(CultureInfo.InvariantCulture)),
            new("MessageSid", sid),
            new("AccountSid", accountSid),
            new("From", reply.From),
            new("ApiVersion", ApiVersion),
        };
        if (optOutType is not null)
        {
            form.Add(new("OptOutType", optOutType));
        }

        return form;
    }

    /// <summary>application/x-www-form-urlencoded, in the given order.</summary>
    public static string Encode(IEnumerable<KeyValuePair<string, string>> form)
    {
        ArgumentNullException.ThrowIfNull(form);
        return string.Join("&", form.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
    }

    /// <summary>
    /// X-Twilio-Signature for a form POST to <paramref name="url"/>: Base64(HMAC-SHA1(auth token, URL + each parameter's
    /// name and value, names sorted ordinally)).
    /// </summary>
    public static string Sign(string url, IEnumerable<KeyValuePair<string, string>> form, string authToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(authToken);
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    // ---- helpers ----

    /// <summary>Why the Basic credentials are refused, or null when they are the sandbox account's.</summary>
    internal static string? Authenticate(string authorization, SmsSandboxOptions options)
    {
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrEmpty(header.Parameter))
        {
            return "The request has no Basic Authorization header.";
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return "The Basic credentials are not base64.";
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return "The Basic credentials are not user:password.";
        }

        var userOk = MissedCallFunctions.Common.SecretTokens.Matches(decoded[..colon], options.TwilioAccountSid);
        var passwordOk = MissedCallFunctions.Common.SecretTokens.Matches(decoded[(colon + 1)..], options.TwilioAuthToken);
        return userOk && passwordOk ? null : "The account SID or auth token is wrong.";
    }

    private static (int Code, string Message)? Problem(string to, string from, string body, string statusCallback)
    {
        if (to.Length == 0)
        {
            return (21604, "A 'To' phone number is required.");
        }

        if (from.Length == 0)
        {
            return (21603, "A 'From' phone number is required.");
        }

        if (body.Length == 0)
        {
            return (21602, "Message body is required.");
        }

        if (body.Length > MaxBodyLength)
        {
            return (21617, "The concatenated message body exceeds the 1600 character limit.");
        }

        if (!IsE164(to))
        {
            // Twilio quotes the number here, which is why clients must not log its messages.
            return (21211, $"Invalid 'To' Phone Number: {to}");
        }

        if (statusCallback.Length > 0
            && !(Uri.TryCreate(statusCallback, UriKind.Absolute, out var callback) && (callback.Scheme == Uri.UriSchemeHttp || callback.Scheme == Uri.UriSchemeHttps)))
        {
            return (21609, "Invalid StatusCallback url");
        }

        return null;
    }

    private static string? TagOf(string? statusCallback)
    {
        if (statusCallback is null || !Uri.TryCreate(statusCallback, UriKind.Absolute, out var uri))
        {
            return null;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && pair[..equals] == "tag")
            {
                return Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            }
        }

        return null;
    }

    private static bool IsE164(string value) =>
        value.Length is >= 8 and <= 16 && value[0] == '+' && value[1] is >= '1' and <= '9' && value.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

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

    private static Task WriteErrorAsync(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var error = new JsonObject
        {
            ["code"] = code,
            ["message"] = message,
            ["more_info"] = $"https://www.twilio.com/docs/errors/{code.ToString(CultureInfo.InvariantCulture)}",
            ["status"] = status,
        };
        return context.Response.WriteAsync(error.ToJsonString(), context.RequestAborted);
    }
}
