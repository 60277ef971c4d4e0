using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using MissedCallFunctions.Http;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>Clinic configuration, behind the admin (master) key.</summary>
public sealed class AdminFunctions(ClinicAdminHttpHandler clinics)
{
    [Function(nameof(LoadClinics))]
    public async Task<IActionResult> LoadClinics(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/clinics")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var result = await clinics.LoadAsync(request, cancellationToken);
        await result.ExecuteAsync(request.HttpContext);
        return new EmptyResult();
    }

    [Function(nameof(ListClinics))]
    public async Task<IActionResult> ListClinics(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/clinics")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var result = await clinics.ListAsync(cancellationToken);
        await result.ExecuteAsync(request.HttpContext);
        return new EmptyResult();
    }

    [Function(nameof(RecentCalls))]
    public async Task<IActionResult> RecentCalls(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/clinics/{clinicId}/calls")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
    {
        var result = await clinics.RecentCallsAsync(request, clinicId, cancellationToken);
        await result.ExecuteAsync(request.HttpContext);
        return new EmptyResult();
    }

    [Function(nameof(ImportContacts))]
    public async Task<IActionResult> ImportContacts(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/clinics/{clinicId}/contacts")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
    {
        var result = await clinics.ImportContactsAsync(request, clinicId, cancellationToken);
        await result.ExecuteAsync(request.HttpContext);
        return new EmptyResult();
    }
}
