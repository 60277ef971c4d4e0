using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Ingest;

/// <summary>Ingest's group commit on Azurite: claims, publish marks and queue messages shared by concurrent requests.</summary>
public sealed class IngestBatchingTests
{
    [Fact]
    public void SplitAndCombine_RoundTripEventsAndLeaveOtherBodiesWhole()
    {
        var events = Enumerable.Range(0, 3).Select(i => CallEventSerializer.Serialize(Event("split-" + i))).ToList();

        var split = CallEventSerializer.Split(CallEventSerializer.Combine(events));

        Assert.Equal(events.Select(e => e.ToString()), split.Select(e => e.ToString()));
        Assert.Single(CallEventSerializer.Split(events[0]));
        Assert.Equal("not json [", Assert.Single(CallEventSerializer.Split(BinaryData.FromString("not json ["))).ToString());
        Assert.Equal("[1,", Assert.Single(CallEventSerializer.Split(BinaryData.FromString("[1,"))).ToString());
        Assert.Equal("[]", Assert.Single(CallEventSerializer.Split(BinaryData.FromString("[]"))).ToString());
    }

    [Fact]
    public async Task Ledger_SameEventsClaimedConcurrently_EachClaimedExactlyOnceThenAlreadyPublished()
    {
        await using var stack = await TestStack.CreateAsync();
        var ledger = stack.Get<IIngestLedger>();
        var ids = Enumerable.Range(0, 40).Select(i => $"generic:batch-{Guid.NewGuid():N}-{i}").ToList();

        var claims = await Task.WhenAll(ids.Concat(ids).Concat(ids).Select(id => ledger.ClaimAsync(id, CancellationToken.None)));

        var byId = ids.Concat(ids).Concat(ids).Zip(claims).GroupBy(p => p.First).ToList();
        Assert.All(byId, g => Assert.Equal(1, g.Count(p => p.Second == LedgerClaim.Claimed)));
        Assert.All(byId, g => Assert.Equal(2, g.Count(p => p.Second == LedgerClaim.InFlight)));

        await Task.WhenAll(ids.Select(id => ledger.MarkPublishedAsync(id, CancellationToken.None)));
        var again = await Task.WhenAll(ids.Select(id => ledger.ClaimAsync(id, CancellationToken.None)));
        Assert.All(again, c => Assert.Equal(LedgerClaim.AlreadyPublished, c));
        var rows = await stack.Get<StorageClients>().Table(TableNames.IngestLedger)
            .QueryAsync<TableEntity>(e => e.PartitionKey == "generic").CollectAsync();
        Assert.Equal(40, rows.Count(r => ids.Contains(r.RowKey, StringComparer.Ordinal) && r.GetString("State") == "published"));
    }

    [Fact]
    public async Task Ledger_IdsThatOnlyLookEscapedAlike_AreClaimedSeparately()
    {
        await using var stack = await TestStack.CreateAsync();
        var ledger = stack.Get<IIngestLedger>();
        var stem = Guid.NewGuid().ToString("N");

        // A provider id with a '/' and another that spells its escape literally are different calls.
        var slash = await ledger.ClaimAsync($"generic:{stem}/1", CancellationToken.None);
        var lookalike = await ledger.ClaimAsync($"generic:{stem}~2f1", CancellationToken.None);

        Assert.Equal(LedgerClaim.Claimed, slash);
        Assert.Equal(LedgerClaim.Claimed, lookalike);
    }

    [Fact]
    public async Task StorageQueuePublisher_ConcurrentEvents_SharedMessagesCarryEveryEventOnce()
    {
        await using var stack = await TestStack.CreateAsync();
        var publisher = stack.Get<ICallEventPublisher>();
        await stack.Queue.CreateIfNotExistsAsync();
        var events = Enumerable.Range(0, 150).Select(i => Event($"pub-{i}")).ToList();

        await Task.WhenAll(events.Select(e => publisher.PublishAsync(e, visibleAfter: null, CancellationToken.None)));

        var messages = await DrainAsync(stack.Queue);
        var carried = messages.SelectMany(m => CallEventSerializer.Split(m)).Select(b => CallEventSerializer.Deserialize(b).ProviderEventId).ToList();
        Assert.Equal(events.Select(e => e.ProviderEventId).Order(), carried.Order());
        Assert.True(messages.Count < events.Count, $"{events.Count} events took {messages.Count} messages: nothing was grouped.");
        Assert.All(messages, m => Assert.True(m.ToMemory().Length <= 48 * 1024));
    }

    [Fact]
    public async Task Pump_MessageWithSeveralEvents_ImpossibleOneAlonePoisonedOthersProcessed()
    {
        await using var host = await LocalHostRunner.StartAsync(runProcessor: true);
        var now = DateTimeOffset.UtcNow;
        var good1 = Event("mixed-a-" + Guid.NewGuid().ToString("N"), Caller(31)) with { OccurredAt = now, ReceivedAt = now };
        var good2 = Event("mixed-b-" + Guid.NewGuid().ToString("N"), Caller(32)) with { OccurredAt = now, ReceivedAt = now };
        var impossible = Event("mixed-x-" + Guid.NewGuid().ToString("N"), Caller(33)) with { OccurredAt = now.AddDays(30), ReceivedAt = now };
        var queue = host.Get<StorageClients>().Queues.GetQueueClient(host.QueueName);
        await queue.SendMessageAsync(CallEventSerializer.Combine(
            [CallEventSerializer.Serialize(good1), BinaryData.FromString("{\"not\":\"an event\"}"), CallEventSerializer.Serialize(impossible), CallEventSerializer.Serialize(good2)]));

        var audit = host.Get<StorageClients>().Table(TableNames.CallAudit);
        foreach (var good in new[] { good1, good2 })
        {
            Assert.True(await WaitAsync(async () => (await audit.GetEntityIfExistsAsync<TableEntity>(good.ClinicId, TableKeys.Escape(good.MessageId))).HasValue),
                $"{good.ProviderEventId} was not processed.");
        }

        var poison = host.Get<StorageClients>().Queues.GetQueueClient(host.QueueName + "-poison");
        List<JsonElement> records = [];
        Assert.True(await WaitAsync(async () =>
        {
            records = (await poison.PeekMessagesAsync(32)).Value.Select(m => JsonDocument.Parse(m.Body.ToString()).RootElement.Clone()).ToList();
            return records.Count >= 2;
        }), "The two bad events did not reach the poison queue.");
        Assert.Equal(2, records.Count);
        Assert.Contains(records, r => r.GetProperty("reason").GetString() == "ImpossibleCallEvent" && r.GetProperty("body").GetString()!.Contains(impossible.ProviderEventId, StringComparison.Ordinal));
        Assert.Contains(records, r => r.GetProperty("reason").GetString() == "InvalidBody");
        Assert.DoesNotContain(records, r => r.GetProperty("body").GetString()!.Contains(good1.ProviderEventId, StringComparison.Ordinal));
        Assert.True(await WaitAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0), "The message was not settled.");
    }

    [Fact]
    public async Task Pump_SharedMessageOverItsDeliveryLimit_EachEventPoisonedAlone()
    {
        await using var stack = await TestStack.CreateAsync();
        var storage = stack.Get<StorageClients>();
        var queue = stack.Queue;
        var poison = storage.Queues.GetQueueClient(stack.QueueName + "-poison");
        await queue.CreateIfNotExistsAsync();
        await poison.CreateIfNotExistsAsync();
        var ids = Enumerable.Range(0, 3).Select(i => $"over-{i}-{Guid.NewGuid():N}").ToList();
        await queue.SendMessageAsync(CallEventSerializer.Combine(ids.Select(id => CallEventSerializer.Serialize(Event(id))).ToList()));
        var max = stack.Get<Microsoft.Extensions.Options.IOptions<CallEventQueueOptions>>().Value.MaxDeliveryCount;
        Azure.Storage.Queues.Models.QueueMessage message = null!;
        for (var attempt = 0; attempt <= max; attempt++)
        {
            message = (await queue.ReceiveMessageAsync(TimeSpan.FromMinutes(1))).Value;
            if (attempt < max)
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }
        }

        Assert.Equal(max + 1, message.DequeueCount);
        var pump = Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<MissedCallFunctions.LocalHost.CallEventPump>(
            stack.Services, NSubstitute.Substitute.For<MissedCallFunctions.Recovery.IRecoveryOrchestrations>());

        await pump.HandleAsync(queue, poison, message, CancellationToken.None);

        var records = (await poison.PeekMessagesAsync(32)).Value.Select(m => JsonDocument.Parse(m.Body.ToString()).RootElement.Clone()).ToList();
        Assert.Equal(3, records.Count);
        Assert.All(records, r => Assert.Equal("MaxDeliveryCountExceeded", r.GetProperty("reason").GetString()));
        Assert.Equal(ids.Order(), records.Select(r => CallEventSerializer.Deserialize(BinaryData.FromString(r.GetProperty("body").GetString()!)).ProviderEventId).Order());
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Ingest_FiftyConcurrentWebhooks_AllAcceptedAndEachRecordedOnce()
    {
        await using var host = await LocalHostRunner.StartAsync(runProcessor: true);
        var ids = Enumerable.Range(0, 50).Select(i => $"conc-{i}-{Guid.NewGuid():N}").ToList();

        var responses = await Task.WhenAll(ids.Select((id, i) => host.Http.SendAsync(host.GenericEvent(
            $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{TestData.UkClinicNumber}}","caller":"{{Caller(100 + i)}}","outcome":"missed","occurredAt":"{{DateTimeOffset.UtcNow:O}}"}"""))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var callers = Enumerable.Range(0, 50).Select(i => Caller(100 + i)).ToHashSet(StringComparer.Ordinal);
        var audit = host.Get<StorageClients>().Table(TableNames.CallAudit);
        Assert.True(await WaitAsync(async () =>
        {
            var rows = await audit.QueryAsync<TableEntity>(e => e.PartitionKey == TestData.UkClinicId).CollectAsync();
            return ids.All(id => rows.Any(r => r.RowKey == TableKeys.Escape("generic:" + id)));
        }, TimeSpan.FromSeconds(60)), "Not every accepted event was processed.");
        IReadOnlyList<IGrouping<string, MissedCallFunctions.LocalHost.SmsSandbox.SandboxMessage>> texts = [];
        Assert.True(await WaitAsync(() =>
        {
            texts = host.Sandbox.Messages.Where(m => m.Direction == MissedCallFunctions.LocalHost.SmsSandbox.SandboxDirection.Outbound && callers.Contains(m.To))
                .GroupBy(m => m.To).ToList();
            return Task.FromResult(texts.Count == 50);
        }, TimeSpan.FromSeconds(60)), $"{texts.Count} of 50 callers got their text-back.");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.All(host.Sandbox.Messages.Where(m => m.Direction == MissedCallFunctions.LocalHost.SmsSandbox.SandboxDirection.Outbound && callers.Contains(m.To)).GroupBy(m => m.To),
            g => Assert.Single(g));
    }

    private static string Caller(int n) => $"+447400{900000 + n:D6}";

    private static CallEvent Event(string id, string? caller = null) => new()
    {
        Provider = "generic",
        ProviderEventId = id,
        ProviderCallId = "call-" + id,
        ClinicId = TestData.UkClinicId,
        ClinicNumber = TestData.UkClinicNumber,
        CallerNumber = caller ?? TestData.UkMobile,
        CallerNumberStatus = CallerNumberStatus.Valid,
        Direction = CallDirection.Inbound,
        Outcome = CallOutcome.Missed,
        OccurredAt = DateTimeOffset.UtcNow,
        ReceivedAt = DateTimeOffset.UtcNow,
    };

    private static async Task<List<BinaryData>> DrainAsync(QueueClient queue)
    {
        var bodies = new List<BinaryData>();
        while (true)
        {
            var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value;
            if (batch.Length == 0)
            {
                return bodies;
            }

            bodies.AddRange(batch.Select(m => m.Body));
        }
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
