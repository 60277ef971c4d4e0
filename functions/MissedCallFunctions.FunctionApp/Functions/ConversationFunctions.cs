using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using MissedCallFunctions.Http;
using MissedCallFunctions.Recovery;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>Inbound SMS and delivery reports (Event Grid, Twilio) and the staff API: thin adapters over Core handlers.</summary>
public sealed class ConversationFunctions(InboundSmsHttpHandler inbound, StaffHttpHandler staff)
{
    [Function(nameof(InboundSms))]
    public Task<IActionResult> InboundSms(
        [HttpTrigger(AuthorizationLevel.Function, "post", "options", Route = "sms/{provider}")] HttpRequest request,
        string provider,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, inbound.HandleAsync(request, provider, new DurableRecoveryOrchestrations(durable), cancellationToken));

    [Function(nameof(ListStaffTasks))]
    public Task<IActionResult> ListStaffTasks(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "clinics/{clinicId}/tasks")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, staff.ListTasksAsync(request, clinicId, cancellationToken));

    [Function(nameof(MarkStaffTaskHandled))]
    public Task<IActionResult> MarkStaffTaskHandled(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clinics/{clinicId}/tasks/{taskId}/handled")] HttpRequest request,
        string clinicId,
        string taskId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, staff.MarkHandledAsync(request, clinicId, taskId, new DurableRecoveryOrchestrations(durable), cancellationToken));

    [Function(nameof(ConversationThread))]
    public Task<IActionResult> ConversationThread(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "clinics/{clinicId}/conversations/{caller}")] HttpRequest request,
        string clinicId,
        string caller,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, staff.ThreadAsync(request, clinicId, caller, cancellationToken));

    [Function(nameof(TakeOverConversation))]
    public Task<IActionResult> TakeOverConversation(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clinics/{clinicId}/conversations/{caller}/takeover")] HttpRequest request,
        string clinicId,
        string caller,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, staff.TakeOverAsync(request, clinicId, caller, new DurableRecoveryOrchestrations(durable), cancellationToken));

    [Function(nameof(HandBackConversation))]
    public Task<IActionResult> HandBackConversation(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clinics/{clinicId}/conversations/{caller}/handback")] HttpRequest request,
        string clinicId,
        string caller,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, staff.HandBackAsync(request, clinicId, caller, new DurableRecoveryOrchestrations(durable), cancellationToken));

    [Function(nameof(StaffReply))]
    public Task<IActionResult> StaffReply(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clinics/{clinicId}/conversations/{caller}/reply")] HttpRequest request,
        string clinicId,
        string caller,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, staff.ReplyAsync(request, clinicId, caller, new DurableRecoveryOrchestrations(durable), cancellationToken));
}
