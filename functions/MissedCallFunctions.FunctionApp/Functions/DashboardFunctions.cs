using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using MissedCallFunctions.Http;
using MissedCallFunctions.Recovery;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>
/// The reporting API (function key + clinic token) and the manager's dashboard. The dashboard routes are anonymous
/// at the host because a browser cannot hold the function key; every one of them checks the clinic's dashboard token.
/// </summary>
public sealed class DashboardFunctions(ReportHttpHandler reports, DashboardHttpHandler dashboard)
{
    [Function(nameof(ClinicReport))]
    public Task<IActionResult> ClinicReport(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "clinics/{clinicId}/report")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, reports.ReportAsync(request, clinicId, cancellationToken));

    [Function(nameof(DashboardAsset))]
    public Task<IActionResult> DashboardAsset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/assets/{name}")] HttpRequest request,
        string name)
        => HttpAdapter.RunAsync(request, Task.FromResult(DashboardHttpHandler.Asset(name)));

    [Function(nameof(DashboardPage))]
    public Task<IActionResult> DashboardPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{clinicId}")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, dashboard.PageAsync(request, clinicId, cancellationToken));

    [Function(nameof(DashboardReport))]
    public Task<IActionResult> DashboardReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{clinicId}/report")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, dashboard.ReportAsync(request, clinicId, cancellationToken));

    [Function(nameof(DashboardTasks))]
    public Task<IActionResult> DashboardTasks(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{clinicId}/tasks")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, dashboard.TasksAsync(request, clinicId, cancellationToken));

    [Function(nameof(DashboardTaskHandled))]
    public Task<IActionResult> DashboardTaskHandled(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dashboard/{clinicId}/tasks/{taskId}/handled")] HttpRequest request,
        string clinicId,
        string taskId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, dashboard.MarkHandledAsync(request, clinicId, taskId, new DurableRecoveryOrchestrations(durable), cancellationToken));

    [Function(nameof(StaffTaskPage))]
    public Task<IActionResult> StaffTaskPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{clinicId}/task/{taskId}")] HttpRequest request,
        string clinicId,
        string taskId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, dashboard.TaskPageAsync(request, clinicId, taskId, cancellationToken));

    [Function(nameof(StaffTaskHandled))]
    public Task<IActionResult> StaffTaskHandled(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dashboard/{clinicId}/task/{taskId}/handled")] HttpRequest request,
        string clinicId,
        string taskId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, dashboard.TaskHandledAsync(request, clinicId, taskId, new DurableRecoveryOrchestrations(durable), cancellationToken));

    [Function(nameof(DashboardCalls))]
    public Task<IActionResult> DashboardCalls(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{clinicId}/calls")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, dashboard.CallsAsync(request, clinicId, cancellationToken));

    [Function(nameof(DashboardCall))]
    public Task<IActionResult> DashboardCall(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{clinicId}/calls/{callId}")] HttpRequest request,
        string clinicId,
        string callId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, dashboard.CallAsync(request, clinicId, callId, cancellationToken));
}
