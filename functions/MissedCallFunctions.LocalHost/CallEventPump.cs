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
            await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = stoppingToken },
                (message, ct) => new ValueTask(HandleAsync(queue, poison, message, ct))).ConfigureAwait(false);
        }
    }

    internal async Task HandleAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            if (message.DequeueCount > options.Value.MaxDeliveryCount)
            {
                await MoveToPoisonAsync(queue, poison, message, "MaxDeliveryCountExceeded",
                    $"Failed {options.Value.MaxDeliveryCount} times.", cancellationToken).ConfigureAwait(false);
                return;
            }

            var settlement = await handler.HandleAsync(message.Body, orchestrations, cancellationToken).ConfigureAwait(false);
            switch (settlement)
            {
                case Settlement.Complete:
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                    break;
                case Settlement.DeadLetter dead:
                    await MoveToPoisonAsync(queue, poison, message, dead.Reason, dead.Description, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the message reappears after its visibility timeout.
        }
        catch (Exception ex)
        {
            LogRetry(logger, message.MessageId, message.DequeueCount, ex);
            try
            {
                // Back off 1, 2, 4, 8... seconds instead of waiting out the whole visibility timeout.
                var backoff = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, message.DequeueCount - 1), 30));
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: backoff, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception inner) when (inner is RequestFailedException or HttpRequestException or IOException)
            {
                // The visibility timeout brings it back anyway.
            }
        }
    }

    private async Task MoveToPoisonAsync(QueueClient queue, QueueClient poison, QueueMessage message, string reason, string description,
        CancellationToken cancellationToken)
    {
        var record = JsonSerializer.Serialize(new
        {
            reason,
            description,
            messageId = message.MessageId,
            dequeueCount = message.DequeueCount,
            failedAt = time.GetUtcNow(),
            body = message.Body.ToString(),
        });
        await poison.SendMessageAsync(record, cancellationToken).ConfigureAwait(false);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Call event message {QueueMessageId} moved to the poison queue: {Reason} ({Description})")]
    private static partial void LogPoisoned(ILogger logger, string queueMessageId, string reason, string description);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Call event message {QueueMessageId} failed on attempt {Attempt}; it will be retried")]
    private static partial void LogRetry(ILogger logger, string queueMessageId, long attempt, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Call-events queue unavailable, retrying: {Error}")]
    private static partial void LogStorageUnavailable(ILogger logger, string error);
}
