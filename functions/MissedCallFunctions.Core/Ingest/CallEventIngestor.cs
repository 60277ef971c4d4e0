using System.Globalization;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.Triage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Ingest;

/// <summary>What ingest made of one webhook request; hosts map it to HTTP.</summary>
public abstract record IngestResult
{
    /// <summary>A subscription handshake, answered without touching the pipeline.</summary>
    public sealed record Handshake(WebhookReply Reply) : IngestResult;

    /// <summary>
    /// Authenticated and handled: <see cref="Queued"/> went to the queue now, <see cref="Duplicates"/> had been
    /// queued before, <see cref="Ignored"/> were not terminal (ringing, in progress) and need no decision.
    /// </summary>
    public sealed record Accepted(IReadOnlyList<string> Queued, IReadOnlyList<string> Duplicates, int Ignored) : IngestResult
    {
        /// <summary>The provider's own acknowledgement, answered instead of the JSON summary (Twilio's TwiML).</summary>
        public WebhookReply? Reply { get; init; }
    }

    /// <summary>Refused; nothing was queued. <see cref="Title"/> and <see cref="Detail"/> never echo the body.</summary>
    public sealed record Rejected(int StatusCode, string Title, string Detail) : IngestResult;
}

/// <summary>
/// The ingest use case: authenticate a provider webhook, normalize its call events, queue each one exactly once.
/// </summary>
public sealed partial class CallEventIngestor(
    IEnumerable<ICallEventProvider> providers,
    IClinicDirectory clinics,
    IIngestLedger ledger,
    ICallEventPublisher publisher,
    IOptions<IngestOptions> ingestOptions,
    IOptions<CallEventQueueOptions> queueOptions,
    TimeProvider time,
    ILogger<CallEventIngestor> logger)
{
    private readonly Dictionary<string, ICallEventProvider> _providers =
        providers.ToDictionary(p => p.Key, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> ProviderKeys => _providers.Keys;

    public async Task<IngestResult> IngestAsync(string providerKey, WebhookRequest request, CancellationToken cancellationToken)
    {
        if (!_providers.TryGetValue(providerKey, out var provider))
        {
            return new IngestResult.Rejected(404, "Unknown provider",
                $"No provider is called '{Truncate(providerKey)}'. Use one of: {string.Join(", ", _providers.Keys.Order())}.");
        }

        if (request.Body.Length > ingestOptions.Value.MaxBodyBytes)
        {
            return TooLarge(ingestOptions.Value.MaxBodyBytes);
        }

        if (provider.TryHandshake(request) is { } reply)
        {
            LogHandshake(logger, provider.Key, reply.StatusCode);
            return new IngestResult.Handshake(reply);
        }

        if (request.Method != "POST")
        {
            return new IngestResult.Rejected(405, "Method not allowed", "Call events are posted.");
        }

        if (request.MediaType is null || !provider.MediaTypes.Contains(request.MediaType))
        {
            return new IngestResult.Rejected(415, "Unsupported content type",
                $"{provider.Key} webhooks are {string.Join(" or ", provider.MediaTypes)}.");
        }

        IReadOnlyList<ProviderCallEvent> parsed;
        try
        {
            parsed = provider.Parse(request);
        }
        catch (WebhookFormatException ex)
        {
            LogRejected(logger, provider.Key, 400, ex.Message);
            return new IngestResult.Rejected(400, "Malformed call event", ex.Message);
        }
        catch (InvalidOperationException)
        {
            // JsonElement throws this for text it cannot decode (a lone surrogate escape) that a provider read unguarded.
            LogRejected(logger, provider.Key, 400, UnreadableText);
            return new IngestResult.Rejected(400, "Malformed call event", UnreadableText);
        }

        // Progress events (ringing, in progress, recordings) need no decision; some carry no numbers at all.
        var terminal = parsed.Where(p => p.Outcome is not null).ToList();
        if (terminal.Count == 0)
        {
            return new IngestResult.Accepted([], [], parsed.Count) { Reply = provider.Acknowledgement };
        }

        // Every event must belong to a known clinic and be signed with that clinic's secret before anything is queued.
        var now = time.GetUtcNow();
        var resolved = new List<(ProviderCallEvent Event, ClinicConfig Clinic, string ClinicNumber)>(terminal.Count);
        var verified = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in terminal)
        {
            var clinicNumber = PhoneNumberTools.Normalize(item.ClinicNumberRaw, ingestOptions.Value.DefaultRegion);
            var clinic = clinicNumber.E164 is null ? null : await clinics.FindByNumberAsync(clinicNumber.E164, cancellationToken).ConfigureAwait(false);
            if (clinic is null)
            {
                LogRejected(logger, provider.Key, 404, "unknown clinic number " + PhoneNumberTools.Mask(clinicNumber.E164));
                return new IngestResult.Rejected(404, "Unknown clinic number",
                    "The dialled number does not belong to any clinic configured here.");
            }

            if (verified.Add(clinic.Id))
            {
                var check = provider.Verify(request, clinic.Webhooks, now);
                if (!check.IsValid)
                {
                    LogRejected(logger, provider.Key, 401, check.Status.ToString());
                    return new IngestResult.Rejected(401, "Webhook not authenticated", SignatureDetail(provider.Key, check));
                }
            }

            resolved.Add((item, clinic, clinicNumber.E164!));
        }

        // The processor dead-letters what fails this check: refuse it here, where the sender still hears about it.
        var events = new List<(CallEvent Event, ClinicConfig Clinic)>(resolved.Count);
        foreach (var (item, clinic, clinicNumber) in resolved)
        {
            var callEvent = Normalize(provider.Key, item, clinic, clinicNumber, now);
            if (CallEventValidation.Problem(callEvent, now) is { } problem)
            {
                LogRejected(logger, provider.Key, 400, problem);
                return new IngestResult.Rejected(400, "Invalid call event", string.Create(CultureInfo.InvariantCulture,
                    $"{(resolved.Count == 1 ? "The call event" : "A call event of this request")} cannot be processed: {problem} (now is {now:O}). Nothing was queued."));
            }

            events.Add((callEvent, clinic));
        }

        var queued = new List<string>();
        var duplicates = new List<string>();
        var ignored = parsed.Count - terminal.Count;
        foreach (var (callEvent, clinic) in events)
        {
            var messageId = callEvent.MessageId;
            var claim = await ClaimAsync(messageId, cancellationToken).ConfigureAwait(false);
            if (claim == LedgerClaim.InFlight)
            {
                // Another request holds the claim and has not published: it may have died. Never acknowledge an event
                // nobody queued: the provider retries, and a dead claim is taken over once it is stale.
                return new IngestResult.Rejected(503, "Busy", "This event is being processed by another request; retry shortly.");
            }

            if (claim != LedgerClaim.Claimed)
            {
                duplicates.Add(messageId);
                LogDuplicate(logger, messageId, claim);
                continue;
            }

            try
            {
                var delay = callEvent.Outcome == CallOutcome.Ringing ? queueOptions.Value.RingWindow : (TimeSpan?)null;
                await publisher.PublishAsync(callEvent, delay, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // The provider gets a 5xx and retries; without the claim its retry is published straight away.
                await ledger.ReleaseAsync(messageId, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            await ledger.MarkPublishedAsync(messageId, cancellationToken).ConfigureAwait(false);
            queued.Add(messageId);
            LogQueued(logger, messageId, clinic.Id, callEvent.Outcome, PhoneNumberTools.Mask(callEvent.CallerNumber));
        }

        return new IngestResult.Accepted(queued, duplicates, ignored) { Reply = provider.Acknowledgement };
    }

    /// <summary>Claims, waiting briefly while a concurrent delivery of the same event publishes it.</summary>
    private async Task<LedgerClaim> ClaimAsync(string messageId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var claim = await ledger.ClaimAsync(messageId, cancellationToken).ConfigureAwait(false);
            if (claim != LedgerClaim.InFlight || attempt >= 20)
            {
                return claim;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static CallEvent Normalize(string provider, ProviderCallEvent item, ClinicConfig clinic, string clinicNumber, DateTimeOffset now)
    {
        var caller = PhoneNumberTools.Normalize(item.CallerRaw, clinic.Country.ToUpperInvariant());
        return new CallEvent
        {
            Provider = provider.ToLowerInvariant(),
            ProviderEventId = item.ProviderEventId,
            ProviderCallId = item.ProviderCallId,
            ClinicId = clinic.Id,
            ClinicNumber = clinicNumber,
            CallerNumber = caller.E164,
            CallerNumberStatus = caller.Status,
            CallerRaw = caller.Status == CallerNumberStatus.Invalid ? Truncate(item.CallerRaw, 64) : null,
            CallerName = Truncate(item.CallerName, 100),
            Direction = item.Direction,
            Outcome = item.Outcome ?? throw new ArgumentException("Only terminal events are normalized.", nameof(item)),
            VoicemailLeft = item.VoicemailLeft,
            RingSeconds = item.RingSeconds,
            TalkSeconds = item.TalkSeconds,
            StartedAt = item.StartedAt,
            EndedAt = item.EndedAt,
            OccurredAt = item.OccurredAt ?? now,
            ReceivedAt = now,
        };
    }

    internal const string UnreadableText = "The body holds text that cannot be read (an unpaired UTF-16 surrogate or invalid UTF-8).";

    private static IngestResult.Rejected TooLarge(int max)
        => new(413, "Payload too large", $"Call event webhooks are limited to {max / 1024} KiB.");

    private static string SignatureDetail(string provider, SignatureCheck check) => check.Status switch
    {
        SignatureStatus.Missing => $"The {provider} signature is missing: {check.Detail}",
        SignatureStatus.Expired => $"The {provider} signature is outside the allowed time window (replayed or clock skew): {check.Detail}",
        SignatureStatus.NotConfigured => $"The clinic has no {provider} webhook secret configured, so nothing from {provider} is accepted for it.",
        _ => $"The {provider} signature does not match: {check.Detail}",
    };

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40];

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Queued call event {MessageId} for clinic {ClinicId}: {Outcome} from {Caller}")]
    private static partial void LogQueued(ILogger logger, string messageId, string clinicId, CallOutcome outcome, string caller);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Duplicate call event {MessageId} acknowledged ({Claim})")]
    private static partial void LogDuplicate(ILogger logger, string messageId, LedgerClaim claim);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Rejected {Provider} webhook with {StatusCode}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string provider, int statusCode, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Answered {Provider} handshake with {StatusCode}")]
    private static partial void LogHandshake(ILogger logger, string provider, int statusCode);
}
