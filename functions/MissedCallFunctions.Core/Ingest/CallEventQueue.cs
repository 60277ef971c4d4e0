using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;
using MissedCallFunctions.Common;
using MissedCallFunctions.Storage;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions.Ingest;

public enum CallEventTransport
{
    /// <summary>Azure Service Bus (in Azure): duplicate detection, dead-lettering.</summary>
    ServiceBus,
    /// <summary>An Azure Storage queue (locally on Azurite): polled with visibility timeouts and a poison queue.</summary>
    StorageQueue,
}

public sealed class CallEventQueueOptions
{
    public const string Section = "CallEvents";

    public CallEventTransport Transport { get; set; } = CallEventTransport.StorageQueue;

    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9-]{2,62}$")]
    public string QueueName { get; set; } = "call-events";

    /// <summary>Fully qualified Service Bus namespace (<c>name.servicebus.windows.net</c>), for managed identity.</summary>
    public string? ServiceBusNamespace { get; set; }

    /// <summary>Service Bus connection string: only for emulators and tests, never in Azure.</summary>
    public string? ServiceBusConnectionString { get; set; }

    /// <summary>How long an ACS IncomingCall waits before it is decided (ACS rings for 30 s).</summary>
    public TimeSpan RingWindow { get; set; } = TimeSpan.FromSeconds(35);

    /// <summary>Delivery attempts before a message goes to the poison queue (local transport).</summary>
    [Range(1, 100)]
    public int MaxDeliveryCount { get; set; } = 5;

    public string PoisonQueueName => QueueName + "-poison";
}

/// <summary>Publishes accepted call events to the call-events queue.</summary>
public interface ICallEventPublisher
{
    /// <summary>Sends one event; <paramref name="visibleAfter"/> delays delivery (ACS ring window).</summary>
    Task PublishAsync(CallEvent callEvent, TimeSpan? visibleAfter, CancellationToken cancellationToken);
}

public static class CallEventSerializer
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static BinaryData Serialize(CallEvent callEvent) => BinaryData.FromObjectAsJson(callEvent, Options);

    /// <summary>Several serialized events in one queue message (a JSON array): the local queue's group commit.</summary>
    public static BinaryData Combine(IReadOnlyList<BinaryData> bodies)
    {
        if (bodies.Count == 1)
        {
            return bodies[0];
        }

        var buffer = new ArrayBufferWriter<byte>(bodies.Sum(b => b.ToMemory().Length + 1) + 1);
        buffer.Write("["u8);
        for (var i = 0; i < bodies.Count; i++)
        {
            if (i > 0)
            {
                buffer.Write(","u8);
            }

            buffer.Write(bodies[i].ToMemory().Span);
        }

        buffer.Write("]"u8);
        return new BinaryData(buffer.WrittenMemory);
    }

    /// <summary>Reads a queued event; throws <see cref="JsonException"/> when the message is not one.</summary>
    public static CallEvent Deserialize(BinaryData body)
        => body.ToObjectFromJson<CallEvent>(Options) ?? throw new JsonException("The message body is null.");

    /// <summary>
    /// The events a queue message carries, each as its own body: the elements of a JSON array, or the message itself
    /// (one event, or something that is not JSON at all, which the handler then dead-letters).
    /// </summary>
    public static IReadOnlyList<BinaryData> Split(BinaryData body)
    {
        var span = body.ToMemory().Span.TrimStart(" \t\r\n"u8);
        if (span.IsEmpty || span[0] != (byte)'[')
        {
            return [body];
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToMemory());
            if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.GetArrayLength() == 0)
            {
                return [body];
            }

            return document.RootElement.EnumerateArray().Select(e => BinaryData.FromString(e.GetRawText())).ToList();
        }
        catch (JsonException)
        {
            return [body];
        }
    }
}

public sealed class ServiceBusCallEventPublisher : ICallEventPublisher
{
    private readonly ServiceBusSender _sender;
    private readonly GroupCommit<CallEvent, bool> _batches;

    public ServiceBusCallEventPublisher(ServiceBusSender sender)
    {
        _sender = sender;
        // Concurrent requests share one AMQP send: each event stays its own message (own MessageId for duplicate detection).
        _batches = new GroupCommit<CallEvent, bool>(SendBatchAsync, maxItems: 100, maxConcurrentBatches: 4, writeTimeout: TimeSpan.FromSeconds(20));
    }

    public Task PublishAsync(CallEvent callEvent, TimeSpan? visibleAfter, CancellationToken cancellationToken)
    {
        if (visibleAfter is { } delay && delay > TimeSpan.Zero)
        {
            var scheduled = ToMessage(callEvent);
            scheduled.ScheduledEnqueueTime = callEvent.ReceivedAt + delay;
            return _sender.SendMessageAsync(scheduled, cancellationToken);
        }

        return _batches.SubmitAsync(callEvent).WaitAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<bool>> SendBatchAsync(IReadOnlyList<CallEvent> callEvents, CancellationToken cancellationToken)
    {
        var remaining = new Queue<ServiceBusMessage>(callEvents.Select(ToMessage));
        while (remaining.Count > 0)
        {
            using var batch = await _sender.CreateMessageBatchAsync(cancellationToken).ConfigureAwait(false);
            while (remaining.Count > 0 && batch.TryAddMessage(remaining.Peek()))
            {
                remaining.Dequeue();
            }

            if (batch.Count == 0)
            {
                // Larger than a batch on its own (cannot happen within the ingest body limit): send it alone to get the real error.
                await _sender.SendMessageAsync(remaining.Dequeue(), cancellationToken).ConfigureAwait(false);
                continue;
            }

            await _sender.SendMessagesAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        return callEvents.Select(_ => true).ToList();
    }

    private static ServiceBusMessage ToMessage(CallEvent callEvent) => new(CallEventSerializer.Serialize(callEvent))
    {
        // Duplicate detection works on MessageId: a provider's retry within the window is dropped by Service Bus.
        MessageId = callEvent.MessageId,
        ContentType = "application/json",
        Subject = "call-event",
        ApplicationProperties = { ["clinicId"] = callEvent.ClinicId, ["provider"] = callEvent.Provider },
    };
}

/// <remarks>
/// Concurrent requests' events are written together as one queue message (a JSON array, at most 64 events and
/// 48 KiB): a Storage queue has no batch send, and on Azurite a burst is bound by the number of requests, not bytes.
/// The local pump splits the message and settles each event on its own.
/// </remarks>
public sealed class StorageQueueCallEventPublisher : ICallEventPublisher
{
    private const int MaxEventsPerMessage = 64;
    private const int MaxMessageBytes = 48 * 1024;

    private readonly QueueClient _queue;
    private readonly GroupCommit<BinaryData, bool> _batches;

    public StorageQueueCallEventPublisher(StorageClients storage, IOptions<CallEventQueueOptions> options)
    {
        _queue = storage.Queues.GetQueueClient(options.Value.QueueName);
        _batches = new GroupCommit<BinaryData, bool>(SendBatchAsync, MaxEventsPerMessage, maxConcurrentBatches: 1,
            weight: body => body.ToMemory().Length + 1, maxWeight: MaxMessageBytes, writeTimeout: TimeSpan.FromSeconds(20));
    }

    public async Task PublishAsync(CallEvent callEvent, TimeSpan? visibleAfter, CancellationToken cancellationToken)
    {
        var body = CallEventSerializer.Serialize(callEvent);
        if (visibleAfter is { } delay && delay > TimeSpan.Zero)
        {
            await _queue.SendMessageAsync(body, visibilityTimeout: delay, timeToLive: TimeSpan.FromDays(7), cancellationToken).ConfigureAwait(false);
            return;
        }

        await _batches.SubmitAsync(body).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<bool>> SendBatchAsync(IReadOnlyList<BinaryData> bodies, CancellationToken cancellationToken)
    {
        await _queue.SendMessageAsync(CallEventSerializer.Combine(bodies), visibilityTimeout: null, timeToLive: TimeSpan.FromDays(7),
            cancellationToken).ConfigureAwait(false);
        return bodies.Select(_ => true).ToList();
    }
}
