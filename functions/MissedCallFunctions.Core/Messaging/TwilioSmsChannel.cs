using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net.Http;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MissedCallFunctions.Common;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace MissedCallFunctions.Messaging;

/// <summary>
/// Configuration section "Twilio": the account that sends texts for clinics whose <c>smsChannel</c> is "twilio".
/// Authenticate with <see cref="AuthToken"/>, or with an API key (<see cref="ApiKeySid"/> + <see cref="ApiKeySecret"/>,
/// preferred in production because it can be revoked on its own). Keep secrets in Key Vault or local settings.
/// </summary>
public sealed partial class TwilioSmsOptions
{
    public const string Section = "Twilio";

    public const string DefaultApiBaseUrl = "https://api.twilio.com";

    public static readonly TimeSpan DefaultNetworkTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The account (AC + 32 hex digits); texts are created under it.</summary>
    public string? AccountSid { get; set; }

    /// <summary>The account's auth token (HTTP Basic password with <see cref="AccountSid"/>).</summary>
    public string? AuthToken { get; set; }

    /// <summary>An API key (SK + 32 hex digits), used with <see cref="ApiKeySecret"/> instead of the auth token.</summary>
    public string? ApiKeySid { get; set; }

    public string? ApiKeySecret { get; set; }

    /// <summary>
    /// Where Twilio posts message status callbacks (the SMS webhook of the Twilio provider, with its function key). The
    /// send's tag is appended as <c>?tag=</c>. Null: no status callbacks, so no delivery reports.
    /// </summary>
    public Uri? StatusCallbackUrl { get; set; }

    /// <summary>
    /// Send requests here instead of https://api.twilio.com (scheme, host, port and an optional path prefix), e.g. the
    /// local SMS sandbox's http://127.0.0.1:7071/sandbox/twilio. Null in production.
    /// </summary>
    public Uri? ApiBaseUrl { get; set; }

    /// <summary>Per-attempt timeout; a timeout surfaces as <see cref="SmsTransientException"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00")]
    public TimeSpan NetworkTimeout { get; set; } = DefaultNetworkTimeout;

    /// <summary>Whether the section names an account at all (the channel is only registered when it does).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(AccountSid);

    /// <summary>What is wrong with these options, or null when they can be used.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(AccountSid) || !SidPattern().IsMatch(AccountSid) || !AccountSid.StartsWith("AC", StringComparison.Ordinal))
        {
            return "Twilio:AccountSid must be the account SID (AC followed by 32 hex digits).";
        }

        var hasKey = !string.IsNullOrWhiteSpace(ApiKeySid) || !string.IsNullOrWhiteSpace(ApiKeySecret);
        if (hasKey)
        {
            if (string.IsNullOrWhiteSpace(ApiKeySid) || !SidPattern().IsMatch(ApiKeySid) || !ApiKeySid.StartsWith("SK", StringComparison.Ordinal))
            {
                return "Twilio:ApiKeySid must be an API key SID (SK followed by 32 hex digits) when Twilio:ApiKeySecret is set.";
            }

            if (string.IsNullOrWhiteSpace(ApiKeySecret))
            {
                return "Twilio:ApiKeySecret is required with Twilio:ApiKeySid.";
            }
        }
        else if (string.IsNullOrWhiteSpace(AuthToken))
        {
            return "Set Twilio:AuthToken, or Twilio:ApiKeySid and Twilio:ApiKeySecret.";
        }

        if (StatusCallbackUrl is not null && !IsHttpUrl(StatusCallbackUrl))
        {
            return "Twilio:StatusCallbackUrl must be an absolute http(s) URL.";
        }

        if (ApiBaseUrl is not null && !IsHttpUrl(ApiBaseUrl))
        {
            return "Twilio:ApiBaseUrl must be an absolute http(s) URL.";
        }

        return NetworkTimeout < TimeSpan.FromSeconds(1) || NetworkTimeout > TimeSpan.FromMinutes(2)
            ? "Twilio:NetworkTimeout must be between 00:00:01 and 00:02:00."
            : null;
    }

    private static bool IsHttpUrl(Uri uri) => uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    [GeneratedRegex("^[A-Z]{2}[0-9a-fA-F]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex SidPattern();
}

/// <summary>
/// Twilio Programmable Messaging send (<c>POST /2010-04-01/Accounts/{AccountSid}/Messages.json</c>) through the Twilio
/// SDK (<see cref="TwilioRestClient"/> on a <see cref="Twilio.Http.SystemNetHttpClient"/>), one recipient per request.
/// <list type="bullet">
/// <item>201 with a message SID: accepted (queued; delivery is reported later on the status callback).</item>
/// <item>Error 21610 (the recipient texted STOP): refused with <see cref="SmsSendResult.OptOutSignal"/>.</item>
/// <item>Errors 21211 / 21614 and other per-recipient 4xx errors: refused, with the code.</item>
/// <item>408, 429, 5xx, timeouts, network failures: <see cref="SmsTransientException"/>.</item>
/// <item>401, 403, 404, sender/account errors (From not ours, ...), anything unexpected: <see cref="SmsChannelException"/>.</item>
/// </list>
/// </summary>
/// <remarks>
/// <para>
/// <b>Idempotency.</b> Twilio's Messages API has no repeatability or idempotency key, so
/// <see cref="OutgoingSms.RepeatabilityRequestId"/> is not sent: a resend after a timeout may text the patient twice.
/// The caller's outbox guards resends: it records the message SID as soon as a send is accepted and never resends a
/// recorded one, and because <see cref="Idempotent"/> is false a send that got no answer (or was interrupted) is never
/// resent: at most once. A definite 429/5xx answer created nothing and is retried.
/// </para>
/// <para>
/// Twilio's error messages can quote the phone number, so they are neither logged nor returned: results and exceptions
/// carry the numeric code and a fixed description. The SDK's calls take no cancellation token; the caller's token and
/// <see cref="TwilioSmsOptions.NetworkTimeout"/> are applied by a handler in the HTTP pipeline.
/// </para>
/// </remarks>
public sealed partial class TwilioSmsChannel : ISmsChannel, IDisposable
{
    /// <summary>The Twilio error code of "Attempt to send to unsubscribed recipient".</summary>
    public const int UnsubscribedRecipientCode = 21610;

    /// <summary>The query parameter of the status callback URL that carries <see cref="OutgoingSms.Tag"/>.</summary>
    public const string TagQueryParameter = "tag";

    /// <summary>Per-recipient refusals: the number cannot take this text; another number or a later text might.</summary>
    private static readonly Dictionary<int, string> KnownCodes = new()
    {
        [21610] = "attempt to send to unsubscribed recipient (the recipient texted STOP)",
        [21211] = "invalid 'To' phone number",
        [21614] = "'To' number is not a valid mobile number",
        [21612] = "the 'To' number cannot be reached from the 'From' number",
        [21408] = "permission to send to this region is not enabled",
        [21617] = "the message body is too long",
        [21602] = "the message body is required",
        [30007] = "message filtered by the carrier",
        [20003] = "authentication failed (check Twilio:AccountSid and the auth token or API key)",
        [20404] = "resource not found (check Twilio:AccountSid and Twilio:ApiBaseUrl)",
        [20429] = "too many requests",
        [21212] = "invalid 'From' number",
        [21603] = "a 'From' number is required",
        [21606] = "the 'From' number is not an SMS-capable number of this account",
        [21659] = "the 'From' number is not a Twilio number of this account",
        [21660] = "the 'From' number does not belong to this account",
    };

    /// <summary>Errors about the sender or account: no recipient can be texted until the configuration is fixed.</summary>
    private static readonly HashSet<int> ChannelCodes = [20003, 20404, 21212, 21603, 21606, 21659, 21660];

    private readonly System.Net.Http.HttpClient _http;
    private readonly TwilioRestClient _client;
    private readonly CallScopeHandler _scope;
    private readonly Uri? _statusCallbackUrl;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;

    /// <summary>Creates the channel. The options must be valid (<see cref="TwilioSmsOptions.Problem"/> null).</summary>
    /// <param name="options">Account, credentials, status callback and optional API base URL.</param>
    /// <param name="transport">The innermost HTTP handler (tests, proxies); the channel owns and disposes it. Default: a pooled <see cref="SocketsHttpHandler"/>.</param>
    /// <param name="logger">Logs outcomes with masked numbers, never bodies.</param>
    public TwilioSmsChannel(TwilioSmsOptions options, HttpMessageHandler? transport = null, ILogger<TwilioSmsChannel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _logger = logger ?? NullLogger<TwilioSmsChannel>.Instance;
        _timeout = options.NetworkTimeout;
        _statusCallbackUrl = options.StatusCallbackUrl;
        ApiBaseUrl = options.ApiBaseUrl ?? new Uri(TwilioSmsOptions.DefaultApiBaseUrl);

        HttpMessageHandler handler = transport ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (options.ApiBaseUrl is not null)
        {
            handler = new BaseUrlHandler(options.ApiBaseUrl) { InnerHandler = handler };
        }

        _scope = new CallScopeHandler { InnerHandler = handler };
        _http = new System.Net.Http.HttpClient(_scope, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

        var useKey = !string.IsNullOrWhiteSpace(options.ApiKeySid);
        _client = new TwilioRestClient(
            useKey ? options.ApiKeySid! : options.AccountSid!,
            useKey ? options.ApiKeySecret! : options.AuthToken!,
            accountSid: options.AccountSid,
            httpClient: new Twilio.Http.SystemNetHttpClient(_http));
        AccountSid = options.AccountSid!;
    }

    public string AccountSid { get; }

    /// <summary>Twilio has no repeatability key: a resend after a send that got no answer may text twice.</summary>
    public bool Idempotent => false;

    /// <summary>Where requests go: https://api.twilio.com, or <see cref="TwilioSmsOptions.ApiBaseUrl"/>.</summary>
    public Uri ApiBaseUrl { get; }

    public async Task<SmsSendResult> SendAsync(OutgoingSms sms, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sms);
        ArgumentException.ThrowIfNullOrWhiteSpace(sms.From, nameof(sms));
        ArgumentException.ThrowIfNullOrWhiteSpace(sms.To, nameof(sms));
        ArgumentNullException.ThrowIfNull(sms.Body, nameof(sms));
        ct.ThrowIfCancellationRequested();

        var recipient = PhoneNumberTools.Mask(sms.To);
        var request = new CreateMessageOptions(new PhoneNumber(sms.To))
        {
            From = new PhoneNumber(sms.From),
            Body = sms.Body,
            StatusCallback = StatusCallbackFor(sms.Tag),
        };

        // Twilio has no repeatability key: RepeatabilityRequestId is deliberately not sent (see the remarks).
        var call = new CallScope(ct, _timeout);
        MessageResource message;
        _scope.Current.Value = call;
        try
        {
            message = await MessageResource.CreateAsync(request, _client).ConfigureAwait(false);
        }
        catch (ApiException ex)
        {
            return Interpret(sms, recipient, ex, call);
        }
        catch (Exception ex) when (ex is ApiConnectionException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
        {
            if (ct.IsCancellationRequested)
            {
                throw new OperationCanceledException("The SMS send was canceled.", ex, ct);
            }

            var what = call.TimedOut || Innermost(ex) is OperationCanceledException or TimeoutException ? "timed out" : Innermost(ex).GetType().Name;
            LogTransient(_logger, sms.Tag, recipient, "no answer", what);
            throw new SmsTransientException($"Twilio SMS send got no answer ({what}). Twilio has no repeatability key: resending may text twice.",
                null, null, ex)
            {
                RequestNotSent = NeverReachedTwilio(ex),
            };
        }
        finally
        {
            _scope.Current.Value = null;
        }

        var status = call.StatusCode ?? 201;
        if (string.IsNullOrEmpty(message.Sid))
        {
            LogChannelFailure(_logger, sms.Tag, status, 0, "accepted without a message SID");
            throw new SmsChannelException("Twilio SMS send answered without a message SID.", status);
        }

        if (message.Status == MessageResource.StatusEnum.Failed || message.Status == MessageResource.StatusEnum.Undelivered)
        {
            var code = message.ErrorCode ?? 0;
            LogRefused(_logger, sms.Tag, recipient, status, code, Describe(code));
            return SmsSendResult.Refused(status, ErrorText(code, status), code == 0 ? null : code.ToString(CultureInfo.InvariantCulture));
        }

        LogAccepted(_logger, sms.Tag, recipient, message.Sid);
        return SmsSendResult.AcceptedAs(message.Sid, status);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The status callback URL with the send's tag appended as <c>?tag=</c> (read back by the inbound provider).</summary>
    internal Uri? StatusCallbackFor(string? tag)
    {
        if (_statusCallbackUrl is null || string.IsNullOrEmpty(tag))
        {
            return _statusCallbackUrl;
        }

        // Built as text, not with UriBuilder: its Uri spells out the default port (":443"), and Twilio signs the URL as
        // given, so the webhook's public URL would no longer match.
        var left = _statusCallbackUrl.GetLeftPart(UriPartial.Query);
        var separator = _statusCallbackUrl.Query.Length > 1 ? "&" : left.EndsWith('?') ? string.Empty : "?";
        return new Uri(left + separator + TagQueryParameter + "=" + Uri.EscapeDataString(tag));
    }

    private SmsSendResult Interpret(OutgoingSms sms, string recipient, ApiException ex, CallScope call)
    {
        // The SDK leaves Status at 0 when the error body was not Twilio JSON; the pipeline saw the real status.
        var status = ex.Status != 0 ? ex.Status : call.StatusCode ?? 0;
        var code = ex.Code;

        if (status is 408 or 429 or >= 500)
        {
            LogTransient(_logger, sms.Tag, recipient, status.ToString(CultureInfo.InvariantCulture), Describe(code));
            throw new SmsTransientException($"Twilio SMS send answered {status} ({ErrorText(code, status)}).", status, call.RetryAfter, ex);
        }

        if (status is 401 or 403 or 404 || ChannelCodes.Contains(code))
        {
            LogChannelFailure(_logger, sms.Tag, status, code, Describe(code));
            throw new SmsChannelException($"Twilio SMS send answered {status} ({ErrorText(code, status)}).", status, ex);
        }

        if (status is >= 400 and < 500)
        {
            LogRefused(_logger, sms.Tag, recipient, status, code, Describe(code));
            return SmsSendResult.Refused(status, ErrorText(code, status), code == 0 ? null : code.ToString(CultureInfo.InvariantCulture));
        }

        // 2xx with a body the SDK could not read, or no status at all.
        LogChannelFailure(_logger, sms.Tag, status, code, "unreadable answer");
        throw new SmsChannelException($"Twilio SMS send got an answer it could not read (HTTP {status}).", status, ex);
    }

    private static string Describe(int code) => KnownCodes.TryGetValue(code, out var text) ? text : "no description";

    /// <summary>The code and our own description: Twilio's message text may quote the phone number.</summary>
    private static string ErrorText(int code, int status) => code == 0
        ? $"HTTP {status.ToString(CultureInfo.InvariantCulture)}"
        : $"Twilio error {code.ToString(CultureInfo.InvariantCulture)}: {Describe(code)}";

    /// <summary>Failures before the request left this machine: a resend cannot text twice.</summary>
    private static bool NeverReachedTwilio(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError })
            {
                return true;
            }
        }

        return false;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null && ex is ApiConnectionException or AggregateException)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "SMS {Tag} to {Recipient} accepted by Twilio as {MessageSid}")]
    private static partial void LogAccepted(ILogger logger, string tag, string recipient, string messageSid);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "SMS {Tag} to {Recipient} refused by Twilio with {StatusCode}, error {ErrorCode} ({Description})")]
    private static partial void LogRefused(ILogger logger, string tag, string recipient, int statusCode, int errorCode, string description);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "SMS {Tag} to {Recipient} failed transiently on Twilio ({Status}: {Description})")]
    private static partial void LogTransient(ILogger logger, string tag, string recipient, string status, string description);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Error, Message = "SMS {Tag}: the Twilio channel failed with {StatusCode}, error {ErrorCode} ({Description})")]
    private static partial void LogChannelFailure(ILogger logger, string tag, int statusCode, int errorCode, string description);

    /// <summary>What the pipeline learned about one send: the caller's token, and the HTTP status the SDK may hide.</summary>
    private sealed class CallScope(CancellationToken cancellationToken, TimeSpan timeout)
    {
        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TimeSpan Timeout { get; } = timeout;

        public int? StatusCode { get; set; }

        public TimeSpan? RetryAfter { get; set; }

        public bool TimedOut { get; set; }
    }

    /// <summary>
    /// Applies the caller's token and the per-attempt timeout to the SDK's request (its API takes no token), buffers the
    /// answer within that time, and records the status and Retry-After. The scope flows in through an AsyncLocal.
    /// </summary>
    private sealed class CallScopeHandler : DelegatingHandler
    {
        public AsyncLocal<CallScope?> Current { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var scope = Current.Value;
            if (scope is null)
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, scope.CancellationToken);
            linked.CancelAfter(scope.Timeout);
            HttpResponseMessage? response = null;
            try
            {
                response = await base.SendAsync(request, linked.Token).ConfigureAwait(false);
                await response.Content.LoadIntoBufferAsync(linked.Token).ConfigureAwait(false);
                scope.StatusCode = (int)response.StatusCode;
                scope.RetryAfter = RetryAfterOf(response);
                return response;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !scope.CancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                scope.TimedOut = true;
                throw new TimeoutException($"No answer from Twilio within {scope.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.");
            }
            catch
            {
                response?.Dispose();
                throw;
            }
        }

        private static TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow > TimeSpan.Zero ? date - DateTimeOffset.UtcNow : TimeSpan.Zero,
            _ => null,
        };
    }

    /// <summary>Sends the SDK's https://api.twilio.com/... requests to another base URL (scheme, host, port, path prefix).</summary>
    private sealed class BaseUrlHandler(Uri baseUrl) : DelegatingHandler
    {
        private readonly Uri _base = new(baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { IsAbsoluteUri: true } original)
            {
                request.RequestUri = new Uri(_base, original.PathAndQuery.TrimStart('/'));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
