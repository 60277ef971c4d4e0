using Azure.Messaging.ServiceBus;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Tests.Infrastructure;
using NSubstitute;

namespace MissedCallFunctions.Tests.Ingest;

/// <summary>The Service Bus publisher's group commit, against a substituted sender (no Service Bus emulator here).</summary>
public sealed class ServiceBusPublisherTests
{
    [Fact]
    public async Task PublishAsync_ConcurrentEvents_SentInBatchesEachItsOwnMessageWithItsMessageId()
    {
        var sender = Substitute.For<ServiceBusSender>();
        var stores = new List<List<ServiceBusMessage>>();
        sender.CreateMessageBatchAsync(Arg.Any<CancellationToken>()).Returns(_ =>
        {
            var store = new List<ServiceBusMessage>();
            lock (stores)
            {
                stores.Add(store);
            }

            // A batch that holds 40 messages, as its size limit would.
            return ValueTask.FromResult(ServiceBusModelFactory.ServiceBusMessageBatch(256 * 1024, store, tryAddCallback: _ => store.Count < 40));
        });
        sender.SendMessagesAsync(Arg.Any<ServiceBusMessageBatch>(), Arg.Any<CancellationToken>()).Returns(_ => Task.Delay(10));
        var publisher = new ServiceBusCallEventPublisher(sender);
        var events = Enumerable.Range(0, 150).Select(i => TestData.MissedCall(eventId: $"sb-{i}")).ToList();

        await Task.WhenAll(events.Select(e => publisher.PublishAsync(e, visibleAfter: null, CancellationToken.None)));

        var messages = stores.SelectMany(s => s).ToList();
        Assert.Equal(events.Select(e => e.MessageId).Order(), messages.Select(m => m.MessageId).Order());
        Assert.All(messages, m => Assert.Equal("call-event", m.Subject));
        var sends = sender.ReceivedCalls().Count(c => c.GetMethodInfo().Name == nameof(ServiceBusSender.SendMessagesAsync));
        Assert.InRange(sends, 4, 149);
        await sender.DidNotReceive().SendMessageAsync(Arg.Any<ServiceBusMessage>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task PublishAsync_RingWindowDelay_ScheduledAloneWithItsMessageId()
    {
        var sender = Substitute.For<ServiceBusSender>();
        var publisher = new ServiceBusCallEventPublisher(sender);
        var ringing = TestData.MissedCall(eventId: "ring-1", outcome: CallOutcome.Ringing);

        await publisher.PublishAsync(ringing, TimeSpan.FromSeconds(35), CancellationToken.None);

        await sender.Received(1).SendMessageAsync(
            Arg.Is<ServiceBusMessage>(m => m.MessageId == ringing.MessageId && m.ScheduledEnqueueTime == ringing.ReceivedAt + TimeSpan.FromSeconds(35)),
            Arg.Any<CancellationToken>());
        await sender.DidNotReceive().CreateMessageBatchAsync(Arg.Any<CancellationToken>());
    }
}
