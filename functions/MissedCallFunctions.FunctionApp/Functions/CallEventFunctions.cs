using Azure.Messaging.ServiceBus;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using MissedCallFunctions.Http;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Triage;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>Thin adapters: the HTTP ingest and the Service Bus processor, over the shared handlers.</summary>
public sealed class CallEventFunctions(IngestHttpHandler ingest, CallEventMessageHandler processor)
{
    /// <summary>
    /// The trigger's queue, from the app setting <c>CallEventsQueueName</c> (a flat name, as host binding expressions
    /// resolve most reliably); the Bicep sets it and <c>CallEvents__QueueName</c>, which ingest sends to, from one value.
    /// </summary>
    public const string QueueNameSetting = "%CallEventsQueueName%";

    [Function(nameof(IngestCallEvent))]
    public async Task<IActionResult> IngestCallEvent(
        [HttpTrigger(AuthorizationLevel.Function, "post", "options", Route = "calls/{provider}")] HttpRequest request,
        string provider,
        CancellationToken cancellationToken)
    {
        var result = await ingest.HandleAsync(request, provider, cancellationToken);
        await result.ExecuteAsync(request.HttpContext);
        return new EmptyResult();
    }

    [Function(nameof(ProcessCallEvent))]
    public async Task ProcessCallEvent(
        [ServiceBusTrigger(QueueNameSetting, Connection = "ServiceBusConnection", AutoCompleteMessages = false)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions actions,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        // Exceptions propagate: the message is abandoned and redelivered until MaxDeliveryCount dead-letters it.
        var settlement = await processor.HandleAsync(message.Body, new DurableRecoveryOrchestrations(durable), cancellationToken);
        switch (settlement)
        {
            case Settlement.Complete:
                await actions.CompleteMessageAsync(message, cancellationToken);
                break;
            case Settlement.DeadLetter dead:
                await actions.DeadLetterMessageAsync(message, deadLetterReason: dead.Reason, deadLetterErrorDescription: dead.Description,
                    cancellationToken: cancellationToken);
                break;
        }
    }
}
