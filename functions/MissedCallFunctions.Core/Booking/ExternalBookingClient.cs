using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using MissedCallFunctions.Ingest.Providers;

namespace MissedCallFunctions.Bookings;

/// <summary>A booking request sent to a clinic's practice-management system.</summary>
/// <param name="RequestId">Idempotency key: the same request retried carries the same id (also sent as X-MissedCall-Request-Id).</param>
public sealed record ExternalBookingRequest(
    string RequestId,
    string ClinicId,
    DateTimeOffset Start,
    DateTimeOffset End,
    AppointmentType AppointmentType,
    string PatientPhone,
    string? PatientName,
    string Source);

public enum ExternalBookingStatus
{
    Confirmed,
    Rejected,
}

/// <summary>The practice-management system's answer: confirmed with its own reference, or rejected (slot gone).</summary>
public sealed record ExternalBookingResult(ExternalBookingStatus Status, string? Reference, string? Reason);

/// <summary>The webhook failed. <see cref="IsTransient"/>: worth retrying (5xx, 408, 429, network, timeout).</summary>
public sealed class ExternalBookingException : Exception
{
    public ExternalBookingException(string message, bool isTransient, HttpStatusCode? statusCode = null, Exception? inner = null)
        : base(message, inner)
    {
        IsTransient = isTransient;
        StatusCode = statusCode;
    }

    public ExternalBookingException()
    {
    }

    public ExternalBookingException(string message)
        : base(message)
    {
    }

    public ExternalBookingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool IsTransient { get; }

    public HttpStatusCode? StatusCode { get; }
}

/// <summary>
/// <see cref="BookingMode.External"/>: asks the clinic's practice-management system to book a slot through its webhook.
/// </summary>
/// <remarks>
/// <para>
/// <c>POST</c> <see cref="BookingSettings.ExternalWebhookUrl"/> with a JSON body:
/// <code>
/// { "type": "booking.request", "requestId": "...", "clinicId": "riverside-dental",
///   "start": "2026-03-11T09:00:00+00:00", "end": "2026-03-11T09:30:00+00:00",
///   "appointmentType": { "id": "checkup", "name": "Check-up", "durationMinutes": 30 },
///   "patient": { "phone": "+447400123456", "name": "Sarah" }, "source": "sms" }
/// </code>
/// signed like our generic ingest: header <c>X-MissedCall-Signature: t=&lt;unix seconds&gt;,v1=&lt;lowercase hex
/// HMAC-SHA256(UTF8(secret), "&lt;t&gt;." + raw body)&gt;</c> (<see cref="GenericCallEventProvider.Sign"/>), plus
/// <c>X-MissedCall-Request-Id</c>. The receiver answers 2xx with <c>{"status":"confirmed"|"rejected","reference":"...",
/// "reason":"..."}</c>.
/// </para>
/// <para>
/// Transient failures (network, timeout, 408, 429, 5xx) throw <see cref="ExternalBookingException"/> with
/// <see cref="ExternalBookingException.IsTransient"/> set, for the caller's retry policy (a Durable activity retry);
/// other 4xx and malformed answers throw it unset. The patient's number goes to the clinic's own system, which needs it;
/// it is never logged.
/// </para>
/// </remarks>
public sealed partial class ExternalBookingClient(HttpClient http, TimeProvider time, ILogger<ExternalBookingClient> logger)
{
    public const string RequestIdHeader = "X-MissedCall-Request-Id";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public async Task<ExternalBookingResult> RequestAsync(BookingSettings settings, ExternalBookingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(request);
        if (settings.ExternalWebhookUrl is not { IsAbsoluteUri: true } url || string.IsNullOrEmpty(settings.ExternalWebhookSecret))
        {
            throw new ExternalBookingException("External booking needs booking.externalWebhookUrl and booking.externalWebhookSecret.", isTransient: false);
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new WireRequest(
            "booking.request", request.RequestId, request.ClinicId, request.Start, request.End,
            new WireType(request.AppointmentType.Id, request.AppointmentType.Name, (int)request.AppointmentType.Duration.TotalMinutes),
            new WirePatient(request.PatientPhone, request.PatientName), request.Source), Json);
        var signature = GenericCallEventProvider.Sign(settings.ExternalWebhookSecret, time.GetUtcNow().ToUnixTimeSeconds(), body);

        using var message = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        message.Headers.TryAddWithoutValidation(GenericCallEventProvider.SignatureHeader, signature);
        message.Headers.TryAddWithoutValidation(RequestIdHeader, request.RequestId);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            LogFailed(logger, request.ClinicId, request.RequestId, "network error");
            throw new ExternalBookingException($"Booking webhook unreachable: {ex.Message}", isTransient: true, inner: ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, request.ClinicId, request.RequestId, "timeout");
            throw new ExternalBookingException("Booking webhook timed out.", isTransient: true, inner: ex);
        }

        using (response)
        {
            var status = response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var transient = (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
                LogFailed(logger, request.ClinicId, request.RequestId, string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)status}"));
                throw new ExternalBookingException(string.Create(CultureInfo.InvariantCulture, $"Booking webhook answered {(int)status} {response.ReasonPhrase}."),
                    transient, status);
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            WireResponse? answer;
            try
            {
                answer = JsonSerializer.Deserialize<WireResponse>(text, Json);
            }
            catch (JsonException ex)
            {
                throw new ExternalBookingException("Booking webhook answered with invalid JSON.", isTransient: false, status, ex);
            }

            var result = answer?.Status?.Trim().ToLowerInvariant() switch
            {
                "confirmed" => new ExternalBookingResult(ExternalBookingStatus.Confirmed, answer.Reference, answer.Reason),
                "rejected" => new ExternalBookingResult(ExternalBookingStatus.Rejected, answer.Reference, answer.Reason),
                _ => throw new ExternalBookingException("Booking webhook answered without status \"confirmed\" or \"rejected\".", isTransient: false, status),
            };
            LogAnswered(logger, request.ClinicId, request.RequestId, result.Status);
            return result;
        }
    }

    private sealed record WireRequest(string Type, string RequestId, string ClinicId, DateTimeOffset Start, DateTimeOffset End,
        WireType AppointmentType, WirePatient Patient, string Source);

    private sealed record WireType(string Id, string Name, int DurationMinutes);

    private sealed record WirePatient(string Phone, string? Name);

    private sealed record WireResponse(string? Status, string? Reference, string? Reason);

    [LoggerMessage(EventId = 9410, Level = LogLevel.Information, Message = "External booking {RequestId} for clinic {ClinicId}: {Status}")]
    private static partial void LogAnswered(ILogger logger, string clinicId, string requestId, ExternalBookingStatus status);

    [LoggerMessage(EventId = 9411, Level = LogLevel.Warning, Message = "External booking {RequestId} for clinic {ClinicId} failed: {Failure}")]
    private static partial void LogFailed(ILogger logger, string clinicId, string requestId, string failure);
}
