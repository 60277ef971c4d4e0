using System.Buffers;
using System.Globalization;
using System.Net.Http;
using System.Text.Encodings.Web;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using MissedCallFunctions.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MissedCallFunctions.Messaging;

/// <summary>
/// ACS SMS send (<c>POST {endpoint}/sms?api-version=...</c>) on an Azure.Core <see cref="HttpPipeline"/>, one recipient
/// per request, with the repeatability pair of the <see cref="OutgoingSms"/> in the recipient entry (not in headers), so
/// a resend after a timeout or a 5xx is deduplicated by ACS. Authenticates with the access key (HMAC) or Entra ID.
/// <list type="bullet">
/// <item>202 with the recipient successful: accepted (queued; delivery is reported later on Event Grid).</item>
/// <item>202 with the recipient failed, or a 4xx other than 401/403/404/408/429: refused, with the reason.</item>
/// <item>408, 429, 5xx (for the request or the recipient), timeouts, network failures: <see cref="SmsTransientException"/>.</item>
/// <item>401, 403, 404, anything else unexpected: <see cref="SmsChannelException"/>.</item>
/// </list>
/// </summary>
public sealed partial class AcsSmsClient : ISmsChannel
{
    /// <summary>The Entra ID scope of ACS data-plane calls (the double slash is how the official SDKs spell it).</summary>
    public const string EntraScope = "https://communication.azure.com//.default";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HttpPipeline _pipeline;
    private readonly string _apiVersion;
    private readonly ILogger _logger;

    /// <summary>Access-key (HMAC) authentication from <c>endpoint=...;accesskey=...</c>.</summary>
    /// <exception cref="InvalidOperationException">The connection string is malformed.</exception>
    public AcsSmsClient(string connectionString, AcsSmsClientOptions? options = null, ILogger<AcsSmsClient>? logger = null)
        : this(AcsConnectionString.Parse(connectionString), options ?? new AcsSmsClientOptions(), logger)
    {
    }

    /// <summary>Entra ID authentication (managed identity in Azure) with the scope <see cref="EntraScope"/>.</summary>
    public AcsSmsClient(Uri endpoint, TokenCredential credential, AcsSmsClientOptions? options = null, ILogger<AcsSmsClient>? logger = null)
        : this(endpoint, new BearerTokenAuthenticationPolicy(credential ?? throw new ArgumentNullException(nameof(credential)), EntraScope),
            options ?? new AcsSmsClientOptions(), logger)
    {
    }

    private AcsSmsClient(AcsConnectionString connectionString, AcsSmsClientOptions options, ILogger? logger)
        : this(connectionString.Endpoint, new AcsHmacAuthenticationPolicy(new AzureKeyCredential(connectionString.AccessKey), options.TimeProvider),
            options, logger)
    {
    }

    private AcsSmsClient(Uri endpoint, HttpPipelinePolicy authentication, AcsSmsClientOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ApiVersion);
        Endpoint = AcsConnectionString.NormalizeEndpoint(endpoint);
        _apiVersion = options.ApiVersion;
        _logger = logger ?? NullLogger.Instance;
        // Authentication runs per retry, so each attempt is signed with a fresh x-ms-date.
        _pipeline = HttpPipelineBuilder.Build(options, [], [authentication], new ResponseClassifier());
    }

    /// <summary>The resource endpoint, without a trailing slash.</summary>
    public Uri Endpoint { get; }

    /// <summary>ACS deduplicates on the repeatability id: a resend of the same request never texts twice.</summary>
    public bool Idempotent => true;

    public async Task<SmsSendResult> SendAsync(OutgoingSms sms, CancellationToken ct)
    {
        Validate(sms);
        using var message = CreateSendMessage(sms);
        try
        {
            await _pipeline.SendAsync(message, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            LogTransient(_logger, sms.Tag, PhoneNumberTools.Mask(sms.To), "no answer", Describe(ex));
            throw new SmsTransientException($"ACS SMS send got no answer ({Describe(ex)}); resend with the same repeatability id.", null, null, ex);
        }

        return Interpret(sms, message.Response);
    }

    private HttpMessage CreateSendMessage(OutgoingSms sms)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(Endpoint);
        request.Uri.Path = Endpoint.AbsolutePath.TrimEnd('/') + "/sms";
        request.Uri.AppendQuery("api-version", _apiVersion, true);
        request.Headers.SetValue(HttpHeader.Names.Accept, "application/json");
        request.Headers.SetValue(HttpHeader.Names.ContentType, "application/json");
        request.Content = RequestContent.Create(SerializeRequest(sms));
        return message;
    }

    internal static ReadOnlyMemory<byte> SerializeRequest(OutgoingSms sms)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("from", sms.From);
            writer.WriteStartArray("smsRecipients");
            writer.WriteStartObject();
            writer.WriteString("to", sms.To);
            writer.WriteString("repeatabilityRequestId", sms.RepeatabilityRequestId);
            writer.WriteString("repeatabilityFirstSent", sms.RepeatabilityFirstSent.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteString("message", sms.Body);
            writer.WriteStartObject("smsSendOptions");
            writer.WriteBoolean("enableDeliveryReport", true);
            if (!string.IsNullOrEmpty(sms.Tag))
            {
                writer.WriteString("tag", sms.Tag);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private SmsSendResult Interpret(OutgoingSms sms, Response response)
    {
        var status = response.Status;
        var recipient = PhoneNumberTools.Mask(sms.To);
        if (status == 202)
        {
            return InterpretRecipient(sms, response);
        }

        if (IsTransientStatus(status))
        {
            var retryAfter = RetryAfter(response);
            var error = ErrorMessage(response);
            LogTransient(_logger, sms.Tag, recipient, status.ToString(CultureInfo.InvariantCulture), error);
            throw new SmsTransientException($"ACS SMS send answered {status} ({error}); resend with the same repeatability id.", status, retryAfter);
        }

        if (status is 401 or 403 or 404)
        {
            var error = ErrorMessage(response);
            LogChannelFailure(_logger, sms.Tag, status, error);
            throw new SmsChannelException(status == 404
                ? $"ACS SMS send answered 404 ({error}): check the Acs endpoint and api-version."
                : $"ACS SMS send answered {status} ({error}): check the access key, or the identity's role on the ACS resource.", status);
        }

        if (status is >= 400 and < 500)
        {
            var error = ErrorMessage(response);
            LogRefused(_logger, sms.Tag, recipient, status, error);
            return SmsSendResult.Refused(status, error);
        }

        LogChannelFailure(_logger, sms.Tag, status, response.ReasonPhrase);
        throw new SmsChannelException($"ACS SMS send answered an unexpected {status} {response.ReasonPhrase}.", status);
    }

    private SmsSendResult InterpretRecipient(OutgoingSms sms, Response response)
    {
        var recipient = PhoneNumberTools.Mask(sms.To);
        JsonElement item;
        try
        {
            using var document = JsonDocument.Parse(response.Content.ToMemory());
            item = FindRecipient(document.RootElement, sms.To).Clone();
        }
        catch (JsonException ex)
        {
            LogChannelFailure(_logger, sms.Tag, 202, "malformed response body");
            throw new SmsChannelException("ACS SMS send answered 202 with a body that is not JSON.", 202, ex);
        }

        var itemStatus = Int(item, "httpStatusCode") ?? 0;
        var successful = Bool(item, "successful") ?? false;
        var messageId = Text(item, "messageId");
        var errorMessage = Text(item, "errorMessage");
        var repeatability = Text(item, "repeatabilityResult");

        if (successful && !string.IsNullOrEmpty(messageId))
        {
            LogAccepted(_logger, sms.Tag, recipient, messageId, repeatability ?? "none");
            return SmsSendResult.AcceptedAs(messageId, itemStatus == 0 ? 202 : itemStatus);
        }

        if (successful)
        {
            LogChannelFailure(_logger, sms.Tag, itemStatus, "successful recipient without a messageId");
            throw new SmsChannelException("ACS SMS send reported the recipient successful but returned no messageId.", itemStatus);
        }

        if (IsTransientStatus(itemStatus))
        {
            LogTransient(_logger, sms.Tag, recipient, itemStatus.ToString(CultureInfo.InvariantCulture), errorMessage);
            throw new SmsTransientException($"ACS SMS send failed for the recipient with {itemStatus} ({errorMessage}); resend with the same repeatability id.",
                itemStatus, RetryAfter(response));
        }

        LogRefused(_logger, sms.Tag, recipient, itemStatus, errorMessage);
        return SmsSendResult.Refused(itemStatus == 0 ? 400 : itemStatus, errorMessage ?? "The recipient was not accepted.");
    }

    private static JsonElement FindRecipient(JsonElement root, string to)
    {
        if (root.ValueKind != JsonValueKind.Object || !TryGet(root, "value", out var value) || value.ValueKind != JsonValueKind.Array)
        {
            throw new SmsChannelException("ACS SMS send answered 202 without a 'value' array.", 202);
        }

        JsonElement? only = null;
        var count = 0;
        foreach (var item in value.EnumerateArray())
        {
            count++;
            only = item;
            if (item.ValueKind == JsonValueKind.Object && string.Equals(Text(item, "to"), to, StringComparison.Ordinal))
            {
                return item;
            }
        }

        return count == 1 && only!.Value.ValueKind == JsonValueKind.Object
            ? only.Value
            : throw new SmsChannelException($"ACS SMS send answered 202 with {count} results and none for the recipient.", 202);
    }

    private static void Validate(OutgoingSms sms)
    {
        ArgumentNullException.ThrowIfNull(sms);
        ArgumentException.ThrowIfNullOrWhiteSpace(sms.From, nameof(sms));
        ArgumentException.ThrowIfNullOrWhiteSpace(sms.To, nameof(sms));
        ArgumentNullException.ThrowIfNull(sms.Body, nameof(sms));
        if (!Guid.TryParseExact(sms.RepeatabilityRequestId, "D", out _))
        {
            throw new ArgumentException("RepeatabilityRequestId must be a 36-character GUID, generated once and reused on every retry.", nameof(sms));
        }

        if (sms.RepeatabilityFirstSent == default)
        {
            throw new ArgumentException("RepeatabilityFirstSent must be the time of the first attempt.", nameof(sms));
        }
    }

    private static bool IsTransientStatus(int status) => status is 408 or 429 or >= 500;

    private static bool IsTransportFailure(Exception ex) => ex switch
    {
        OperationCanceledException => true, // the pipeline's network timeout
        RequestFailedException { Status: 0 } => true, // connection refused, reset, DNS
        HttpRequestException or IOException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransportFailure),
        _ => false,
    };

    private static string Describe(Exception ex) => ex switch
    {
        OperationCanceledException => "timed out",
        AggregateException { InnerExceptions.Count: > 0 } aggregate => Describe(aggregate.InnerExceptions[^1]),
        _ => ex.GetType().Name,
    };

    private static TimeSpan? RetryAfter(Response response)
    {
        if (!response.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
               && response.Headers.Date is { } now
            ? at - now > TimeSpan.Zero ? at - now : TimeSpan.Zero
            : null;
    }

    /// <summary>The error of an ACS error body: {error:{code,message}} or ProblemDetails {title, errors{...}}.</summary>
    private static string ErrorMessage(Response response)
    {
        try
        {
            using var document = JsonDocument.Parse(response.Content.ToMemory());
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (TryGet(root, "error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    var code = Text(error, "code");
                    var text = Text(error, "message");
                    return code is null ? text ?? response.ReasonPhrase : $"{code}: {text}";
                }

                if (Text(root, "title") is { } title)
                {
                    var details = TryGet(root, "errors", out var errors) && errors.ValueKind == JsonValueKind.Object
                        ? string.Join("; ", errors.EnumerateObject().Select(e => $"{e.Name}: {(e.Value.ValueKind == JsonValueKind.Array ? string.Join(" ", e.Value.EnumerateArray().Select(v => v.ToString())) : e.Value.ToString())}"))
                        : null;
                    return string.IsNullOrEmpty(details) ? title : $"{title} {details}";
                }
            }
        }
        catch (JsonException)
        {
            // not JSON: fall back to the reason phrase
        }

        return string.IsNullOrEmpty(response.ReasonPhrase) ? $"HTTP {response.Status}" : response.ReasonPhrase;
    }

    private static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        if (element.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    private static string? Text(JsonElement element, string name) =>
        TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;

    private static bool? Bool(JsonElement element, string name) =>
        TryGet(element, name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "SMS {Tag} to {Recipient} accepted by ACS as {MessageId} (repeatability {RepeatabilityResult})")]
    private static partial void LogAccepted(ILogger logger, string tag, string recipient, string messageId, string repeatabilityResult);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "SMS {Tag} to {Recipient} refused by ACS with {StatusCode}: {Error}")]
    private static partial void LogRefused(ILogger logger, string tag, string recipient, int statusCode, string? error);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "SMS {Tag} to {Recipient} failed transiently ({Status}: {Error}); the retry policy resends the same repeatability id")]
    private static partial void LogTransient(ILogger logger, string tag, string recipient, string status, string? error);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "SMS {Tag}: the ACS channel failed with {StatusCode} ({Error})")]
    private static partial void LogChannelFailure(ILogger logger, string tag, int statusCode, string? error);
}
