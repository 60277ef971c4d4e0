using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;
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

    /// <summary>Reads a queued event; throws <see cref="JsonException"/> when the message is not one.</summary>
    public static CallEvent Deserialize(BinaryData body)
        => body.ToObjectFromJson<CallEvent>(Options) ?? throw new JsonException("The message body is null.");
}

public sealed class ServiceBusCallEventPublisher(ServiceBusSender sender) : ICallEventPublisher
{
    public Task PublishAsync(CallEvent callEvent, TimeSpan? visibleAfter, CancellationToken cancellationToken)
    {
        var message = new ServiceBusMessage(CallEventSerializer.Serialize(callEvent))
        {
            // Duplicate detection works on MessageId: a provider's retry within the window is dropped by Service Bus.
            MessageId = callEvent.MessageId,
            ContentType = "application/json",
            Subject = "call-event",
            ApplicationProperties = { ["clinicId"] = callEvent.ClinicId, ["provider"] = callEvent.Provider },
        };
        if (visibleAfter is { } delay && delay > TimeSpan.Zero)
        {
            message.ScheduledEnqueueTime = callEvent.ReceivedAt + delay;
        }

        return sender.SendMessageAsync(message, cancellationToken);
    }
}

public sealed class StorageQueueCallEventPublisher(StorageClients storage, IOptions<CallEventQueueOptions> options) : ICallEventPublisher
{
    private readonly QueueClient _queue = storage.Queues.GetQueueClient(options.Value.QueueName);

    public async Task PublishAsync(CallEvent callEvent, TimeSpan? visibleAfter, CancellationToken cancellationToken)
    {
        await _queue.SendMessageAsync(
            CallEventSerializer.Serialize(callEvent),
            visibilityTimeout: visibleAfter is { } delay && delay > TimeSpan.Zero ? delay : null,
            timeToLive: TimeSpan.FromDays(7),
            cancellationToken).ConfigureAwait(false);
    }
}
