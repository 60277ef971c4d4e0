using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Triage;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.LocalHost;

/// <summary>
/// Stands in for the Service Bus trigger locally: polls the call-events Storage queue with a visibility timeout,
/// runs the same message handler, deletes on success, retries with backoff on failure, and moves a message to the
/// poison queue (with the reason) when it is impossible or failed too often.
/// </summary>
public sealed partial class CallEventPump(
    StorageClients storage,
    CallEventMessageHandler handler,
    Recovery.IRecoveryOrchestrations orchestrations,
    IOptions<CallEventQueueOptions> options,
    TimeProvider time,
    ILogger<CallEventPump> logger) : BackgroundService
{
    private static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(60);
    private const int Concurrency = 16;

    // Events processed at once across all received messages (one message can carry up to 64).
    private readonly SemaphoreSlim _inFlight = new(Concurrency, Concurrency);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = storage.Queues.GetQueueClient(options.Value.QueueName);
        var poison = storage.Queues.GetQueueClient(options.Value.PoisonQueueName);
        var idle = TimeSpan.FromMilliseconds(50);
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await queue.ReceiveMessagesAsync(32, VisibilityTimeout, stoppingToken).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or IOException)
            {
                // Storage away (Azurite restarting): keep trying, the messages are safe in the queue.
                LogStorageUnavailable(logger, ex.Message);
                await Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                continue;
            }

            if (messages.Length == 0)
            {
                await Delay(idle, stoppingToken).ConfigureAwait(false);
                idle = TimeSpan.FromMilliseconds(Math.Min(idle.TotalMilliseconds * 2, 500));
                continue;
            }

            idle = TimeSpan.FromMilliseconds(50);
            await Task.WhenAll(messages.Select(message => HandleAsync(queue, poison, message, stoppingToken))).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Settles one queue message. A message may carry several events (ingest's group commit): each is processed and
    /// settled on its own. Impossible events go to the poison queue alone; when some fail transiently, the message is
    /// rewritten to hold only those and retried with back-off, so the events already handled are not redone.
    /// </summary>
    internal async Task HandleAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            var events = CallEventSerializer.Split(message.Body);
            if (message.DequeueCount > options.Value.MaxDeliveryCount)
            {
                // One poison record per event: each stays small, and each can be replayed on its own.
                foreach (var body in events)
                {
                    await MoveToPoisonAsync(poison, message, body, "MaxDeliveryCountExceeded",
                        $"Failed {options.Value.MaxDeliveryCount} times.", cancellationToken).ConfigureAwait(false);
                }

                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                return;
            }

            // A message of many events can take longer than its visibility timeout: keep it invisible while working on it.
            await using var lease = new MessageLease(queue, message, VisibilityTimeout);
            var outcomes = await Task.WhenAll(events.Select(body => HandleEventAsync(poison, message, body, cancellationToken))).ConfigureAwait(false);
            var popReceipt = await lease.StopAsync().ConfigureAwait(false);
            var failed = events.Where((_, i) => !outcomes[i]).ToList();
            if (failed.Count == 0)
            {
                await queue.DeleteMessageAsync(message.MessageId, popReceipt, cancellationToken).ConfigureAwait(false);
                return;
            }

            LogRetry(logger, message.MessageId, message.DequeueCount, failed.Count, events.Count);
            try
            {
                // Back off 1, 2, 4, 8... seconds instead of waiting out the whole visibility timeout.
                var backoff = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, message.DequeueCount - 1), 30));
                await queue.UpdateMessageAsync(message.MessageId, popReceipt,
                    failed.Count == events.Count ? message.Body : CallEventSerializer.Combine(failed),
                    visibilityTimeout: backoff, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception inner) when (inner is RequestFailedException or HttpRequestException or IOException)
            {
                // The visibility timeout brings the whole message back anyway; its handled events are recognised as repeats.
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the message reappears after its visibility timeout.
        }
        catch (Exception ex)
        {
            // Settling failed (storage away): the message reappears after its visibility timeout.
            LogSettleFailed(logger, message.MessageId, ex.Message);
        }
    }

    /// <summary>Processes one event; false when it failed transiently and must be retried.</summary>
    private async Task<bool> HandleEventAsync(QueueClient poison, QueueMessage message, BinaryData body, CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var settlement = await handler.HandleAsync(body, orchestrations, cancellationToken).ConfigureAwait(false);
            if (settlement is Settlement.DeadLetter dead)
            {
                await MoveToPoisonAsync(poison, message, body, dead.Reason, dead.Description, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            LogEventFailed(logger, message.MessageId, message.DequeueCount, ex);
            return false;
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private async Task MoveToPoisonAsync(QueueClient poison, QueueMessage message, BinaryData body, string reason, string description,
        CancellationToken cancellationToken)
    {
        var record = JsonSerializer.Serialize(new
        {
            reason,
            description,
            messageId = message.MessageId,
            dequeueCount = message.DequeueCount,
            failedAt = time.GetUtcNow(),
            body = body.ToString(),
        });
        await poison.SendMessageAsync(record, cancellationToken).ConfigureAwait(false);
        LogPoisoned(logger, message.MessageId, reason, description);
    }

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Renews a received message's invisibility every third of its timeout until stopped; hands back the current pop receipt.</summary>
    private sealed class MessageLease : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewing;
        private string _popReceipt;

        public MessageLease(QueueClient queue, QueueMessage message, TimeSpan visibility)
        {
            _popReceipt = message.PopReceipt;
            _renewing = RenewAsync(queue, message.MessageId, visibility);
        }

        private async Task RenewAsync(QueueClient queue, string messageId, TimeSpan visibility)
        {
            while (true)
            {
                try
                {
                    await Task.Delay(visibility / 3, _stop.Token).ConfigureAwait(false);
                    // Not cancelled once sent: a renewal that landed must hand back its new pop receipt.
                    var renewed = await queue.UpdateMessageAsync(messageId, _popReceipt, visibilityTimeout: visibility).ConfigureAwait(false);
                    _popReceipt = renewed.Value.PopReceipt;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or IOException)
                {
                    // Storage away: try again next round; at worst the message reappears and its handled events are repeats.
                }
            }
        }

        public async Task<string> StopAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewing.ConfigureAwait(false);
            return _popReceipt;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync().ConfigureAwait(false);
            _stop.Dispose();
        }
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Call event message {QueueMessageId} moved to the poison queue: {Reason} ({Description})")]
    private static partial void LogPoisoned(ILogger logger, string queueMessageId, string reason, string description);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Call event message {QueueMessageId}: {Failed} of {Events} events failed on attempt {Attempt}; they will be retried")]
    private static partial void LogRetry(ILogger logger, string queueMessageId, long attempt, int failed, int events);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "A call event in message {QueueMessageId} failed on attempt {Attempt}")]
    private static partial void LogEventFailed(ILogger logger, string queueMessageId, long attempt, Exception exception);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Call event message {QueueMessageId} could not be settled, it will reappear: {Error}")]
    private static partial void LogSettleFailed(ILogger logger, string queueMessageId, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Call-events queue unavailable, retrying: {Error}")]
    private static partial void LogStorageUnavailable(ILogger logger, string error);
}
