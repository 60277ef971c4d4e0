using System.Globalization;

namespace MissedCallFunctions.LocalHost.SmsSandbox;

/// <summary>
/// A local stand-in for an ACS resource's SMS: a thread-safe in-memory store of texts per phone (both directions),
/// repeatability bookkeeping, per-recipient failure rules, and fault injection for reliability tests. Served over HTTP by
/// <see cref="SmsSandboxEndpoints"/>; tests and benchmarks also use it directly (<see cref="WaitForSentAsync"/>,
/// <see cref="Reply"/>, <see cref="InjectFaults"/>).
/// </summary>
public sealed class SmsSandbox
{
    public const string SenderBlockedMessage = "Sender blocked for given recipient.";

    private readonly Lock _gate = new();
    private readonly List<SandboxMessage> _messages = [];
    private readonly Dictionary<string, List<SandboxMessage>> _threads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxRecipientResult> _repeatability = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (int Status, string Error)> _recipientFailures = new(StringComparer.Ordinal);
    private readonly List<SandboxRequest> _requests = [];
    private readonly Dictionary<string, (int Status, int Code, string Message)> _twilioFailures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _statusCallbacks = new(StringComparer.Ordinal);
    private FaultState? _fault;
    private long _sequence;

    public SmsSandbox(SmsSandboxOptions? options = null, TimeProvider? timeProvider = null)
    {
        Options = options ?? new SmsSandboxOptions();
        Time = timeProvider ?? TimeProvider.System;
    }

    public SmsSandboxOptions Options { get; }

    public TimeProvider Time { get; }

    /// <summary>Raised once per stored outbound text (not for a repeat of a repeatability id), after it is stored.</summary>
    public event EventHandler<SandboxMessage>? MessageSent;

    /// <summary>Raised once per reply recorded with <see cref="Reply"/>.</summary>
    public event EventHandler<SandboxMessage>? MessageReceived;

    /// <summary>Every text, in the order stored.</summary>
    public IReadOnlyList<SandboxMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Every POST /sms, in arrival order (authentication outcome, signed path, status).</summary>
    public IReadOnlyList<SandboxRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The conversation with one phone: texts to it and replies from it, oldest first.</summary>
    public IReadOnlyList<SandboxMessage> Thread(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        lock (_gate)
        {
            return _threads.TryGetValue(phone, out var thread) ? [.. thread] : [];
        }
    }

    /// <summary>Records a reply from a phone (to the clinic's number). Build its Event Grid event with <see cref="SandboxEvents.SmsReceived(SandboxMessage, SandboxEventShape)"/>.</summary>
    public SandboxMessage Reply(string from, string to, string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(from);
        ArgumentException.ThrowIfNullOrWhiteSpace(to);
        ArgumentNullException.ThrowIfNull(text);
        var now = Time.GetUtcNow();
        var message = new SandboxMessage(NewMessageId("Incoming_", now, prefixed: true), SandboxDirection.Inbound, from, to, text, now);
        lock (_gate)
        {
            Store(message);
        }

        MessageReceived?.Invoke(this, message);
        return message;
    }

    /// <summary>
    /// Until <paramref name="until"/> (sandbox clock), POST /sms answers with the fault instead of working: 429 (with
    /// Retry-After: <paramref name="retryAfter"/>, default the rest of the window), 503, or a hang past the client's
    /// timeout. Any other HTTP status can be cast in, e.g. <c>(SmsSandboxFault)500</c>.
    /// </summary>
    /// <param name="times">At most this many requests get the fault (then the window closes); null: every request in the window.</param>
    public void InjectFaults(SmsSandboxFault status, DateTimeOffset until, TimeSpan? retryAfter = null, int? times = null)
    {
        if ((int)status is not (1 or 2) && (int)status is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "Use 429, 503 (or another 4xx/5xx status), Timeout or AcceptThenTimeout.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times ?? 1, nameof(times));
        lock (_gate)
        {
            _fault = new FaultState(status, until, retryAfter, times);
        }
    }

    public void ClearFaults()
    {
        lock (_gate)
        {
            _fault = null;
        }
    }

    /// <summary>The fault in force now, if any.</summary>
    public SmsSandboxFault? ActiveFault
    {
        get
        {
            lock (_gate)
            {
                return _fault is { } f && f.Until > Time.GetUtcNow() && f.Remaining is null or > 0 ? f.Status : null;
            }
        }
    }

    /// <summary>Sends to this phone fail in the 202 answer with this per-recipient status and message.</summary>
    public void SetRecipientFailure(string phone, int httpStatusCode, string errorMessage)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(phone);
        lock (_gate)
        {
            _recipientFailures[phone] = (httpStatusCode, errorMessage);
        }
    }

    /// <summary>The phone has texted STOP to the carrier: sends fail with "Sender blocked for given recipient." (status 400, a sandbox choice).</summary>
    public void BlockRecipient(string phone) => SetRecipientFailure(phone, 400, SenderBlockedMessage);

    public void ClearRecipientFailure(string phone)
    {
        lock (_gate)
        {
            _recipientFailures.Remove(phone);
        }
    }

    /// <summary>Forgets texts, requests, repeatability ids, failure rules and faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _messages.Clear();
            _threads.Clear();
            _repeatability.Clear();
            _recipientFailures.Clear();
            _requests.Clear();
            _twilioFailures.Clear();
            _statusCallbacks.Clear();
            _fault = null;
        }
    }

    /// <summary>
    /// Sends to this phone through the Twilio Messages endpoint fail with this Twilio error (e.g. 21610 unsubscribed,
    /// 21614 not a mobile). Without such a rule, the ACS rules apply there too: <see cref="BlockRecipient"/> answers
    /// 21610, any other <see cref="SetRecipientFailure"/> answers 21211 (400) or 20500 (5xx).
    /// </summary>
    public void SetTwilioRecipientError(string phone, int errorCode, string message, int httpStatusCode = 400)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(phone);
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            _twilioFailures[phone] = (httpStatusCode, errorCode, message);
        }
    }

    public void ClearTwilioRecipientError(string phone)
    {
        lock (_gate)
        {
            _twilioFailures.Remove(phone);
        }
    }

    /// <summary>The StatusCallback a text was sent with through the Twilio endpoint, or null.</summary>
    public string? StatusCallbackOf(string messageId)
    {
        lock (_gate)
        {
            return _statusCallbacks.TryGetValue(messageId, out var url) ? url : null;
        }
    }

    /// <summary>Completes with the first outbound text (already stored or still to come) that matches.</summary>
    public async Task<SandboxMessage> WaitForSentAsync(Func<SandboxMessage, bool> predicate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var found = new TaskCompletionSource<SandboxMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSent(object? sender, SandboxMessage message)
        {
            if (predicate(message))
            {
                found.TrySetResult(message);
            }
        }

        MessageSent += OnSent; // subscribe before looking, so nothing slips between the two
        try
        {
            if (Messages.FirstOrDefault(m => m.Direction == SandboxDirection.Outbound && predicate(m)) is { } existing)
            {
                return existing;
            }

            using var registration = cancellationToken.Register(() => found.TrySetCanceled(cancellationToken));
            return await found.Task.ConfigureAwait(false);
        }
        finally
        {
            MessageSent -= OnSent;
        }
    }

    /// <summary>Waits for a text to <paramref name="phone"/>; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<SandboxMessage> WaitForSentAsync(string phone, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await WaitForSentAsync(m => m.To == phone, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"No text to {phone} reached the SMS sandbox within {timeout}.");
        }
    }

    /// <summary>Takes the fault for one request, if one is in force (counting it against <c>times</c>).</summary>
    internal FaultState? TakeFault()
    {
        lock (_gate)
        {
            if (_fault is not { } fault)
            {
                return null;
            }

            if (fault.Until <= Time.GetUtcNow() || fault.Remaining is <= 0)
            {
                _fault = null;
                return null;
            }

            if (fault.Remaining is { } remaining)
            {
                _fault = fault with { Remaining = remaining - 1 };
            }

            return fault;
        }
    }

    internal void Record(SandboxRequest request)
    {
        lock (_gate)
        {
            _requests.Add(request);
        }
    }

    /// <summary>Decides one recipient of a send: a repeat of a known repeatability id answers as the first time and stores nothing.</summary>
    internal SandboxRecipientResult Accept(SandboxSendRecipient recipient, string from, string body, string? tag, bool enableDeliveryReport,
        string authScheme, string apiVersion)
    {
        SandboxMessage? stored = null;
        SandboxRecipientResult result;
        var now = Time.GetUtcNow();
        lock (_gate)
        {
            if (recipient.RepeatabilityRequestId is { } id && _repeatability.TryGetValue(id, out var earlier))
            {
                return earlier;
            }

            if (_recipientFailures.TryGetValue(recipient.To, out var failure))
            {
                return new SandboxRecipientResult(recipient.To, null, failure.Status, false, failure.Error, recipient.RepeatabilityResult);
            }

            var messageId = NewMessageId("Outgoing_", now, prefixed: apiVersion == "2021-03-07");
            stored = new SandboxMessage(messageId, SandboxDirection.Outbound, from, recipient.To, body, now, tag, enableDeliveryReport,
                recipient.RepeatabilityRequestId, recipient.RepeatabilityFirstSent, authScheme, apiVersion);
            Store(stored);
            result = new SandboxRecipientResult(recipient.To, messageId, 202, true, null, recipient.RepeatabilityResult);
            if (recipient.RepeatabilityRequestId is { } newId)
            {
                _repeatability[newId] = result;
            }
        }

        MessageSent?.Invoke(this, stored);
        return result;
    }

    /// <summary>
    /// Decides one Twilio Messages API send: a Twilio error for a recipient with a failure rule, else the stored text
    /// (message SID "SM" + 32 hex digits). Twilio has no repeatability key, so every accepted call stores a new text.
    /// </summary>
    internal TwilioSendOutcome AcceptTwilio(string from, string to, string body, string? statusCallback, string? tag)
    {
        SandboxMessage stored;
        var now = Time.GetUtcNow();
        lock (_gate)
        {
            if (_twilioFailures.TryGetValue(to, out var twilio))
            {
                return new TwilioSendOutcome(null, twilio.Status, twilio.Code, twilio.Message);
            }

            if (_recipientFailures.TryGetValue(to, out var failure))
            {
                return string.Equals(failure.Error, SenderBlockedMessage, StringComparison.Ordinal)
                    ? new TwilioSendOutcome(null, 400, 21610, "Attempt to send to unsubscribed recipient")
                    : new TwilioSendOutcome(null, failure.Status, failure.Status >= 500 ? 20500 : 21211, failure.Error);
            }

            var sid = "SM" + Guid.NewGuid().ToString("N");
            stored = new SandboxMessage(sid, SandboxDirection.Outbound, from, to, body, now, tag, statusCallback is not null,
                AuthScheme: "Basic", ApiVersion: "2010-04-01");
            Store(stored);
            if (statusCallback is not null)
            {
                _statusCallbacks[sid] = statusCallback;
            }
        }

        MessageSent?.Invoke(this, stored);
        return new TwilioSendOutcome(stored, 201, 0, null);
    }

    private void Store(SandboxMessage message)
    {
        _messages.Add(message);
        if (!_threads.TryGetValue(message.Phone, out var thread))
        {
            _threads[message.Phone] = thread = [];
        }

        thread.Add(message);
    }

    private string NewMessageId(string prefix, DateTimeOffset now, bool prefixed)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var id = string.Create(CultureInfo.InvariantCulture, $"{now.UtcDateTime:yyyyMMddHHmmss}{Guid.NewGuid():N}{sequence:x}");
        return prefixed ? prefix + id : id;
    }

    internal sealed record FaultState(SmsSandboxFault Status, DateTimeOffset Until, TimeSpan? RetryAfter, int? Remaining);
}

/// <summary>One entry of a send request's smsRecipients, as parsed.</summary>
internal sealed record SandboxSendRecipient(string To, string? RepeatabilityRequestId, string? RepeatabilityFirstSent, string? RepeatabilityResult);

/// <summary>One item of the 202 answer's value[].</summary>
internal sealed record SandboxRecipientResult(string To, string? MessageId, int HttpStatusCode, bool Successful, string? ErrorMessage, string? RepeatabilityResult);

/// <summary>The answer to one Twilio Messages API send: the stored text (201), or a Twilio error.</summary>
internal sealed record TwilioSendOutcome(SandboxMessage? Message, int HttpStatusCode, int ErrorCode, string? ErrorMessage);
