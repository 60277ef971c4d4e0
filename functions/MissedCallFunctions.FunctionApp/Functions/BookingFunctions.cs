using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using MissedCallFunctions.Http;

namespace MissedCallFunctions.FunctionApp.Functions;

/// <summary>The clinic's calendar feed and the bookings API: thin adapters over <see cref="BookingHttpHandler"/>.</summary>
public sealed class BookingFunctions(BookingHttpHandler bookings)
{
    [Function(nameof(CalendarFeed))]
    public Task<IActionResult> CalendarFeed(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "clinics/{clinicId}/calendar.ics")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, bookings.CalendarAsync(request, clinicId, cancellationToken));

    [Function(nameof(ListBookings))]
    public Task<IActionResult> ListBookings(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "clinics/{clinicId}/bookings")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, bookings.ListAsync(request, clinicId, cancellationToken));

    [Function(nameof(ReportBooking))]
    public Task<IActionResult> ReportBooking(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clinics/{clinicId}/bookings")] HttpRequest request,
        string clinicId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, bookings.ReportAsync(request, clinicId, cancellationToken));

    [Function(nameof(CancelBooking))]
    public Task<IActionResult> CancelBooking(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "clinics/{clinicId}/bookings/{bookingId}/cancel")] HttpRequest request,
        string clinicId,
        string bookingId,
        CancellationToken cancellationToken)
        => HttpAdapter.RunAsync(request, bookings.CancelAsync(request, clinicId, bookingId, cancellationToken));
}
