using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.Bookings;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Bookings;

/// <summary>The booking store on a real Azurite: atomic holds and confirmations under concurrency.</summary>
public sealed class BookingStoreTests
{
    private const string ClinicId = "riverside-dental";

    private static readonly DateTimeOffset Slot = new(2026, 3, 11, 9, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan HalfHour = TimeSpan.FromMinutes(30);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 10, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task TryConfirmAsync_TwentyConcurrentRequestsForOneChair_ExactlyOneSucceeds()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => store.TryConfirmAsync(Request($"b{i}", $"+4474001234{i:00}"), chairs: 1))));

        Assert.Single(results, r => r.Confirmed);
        Assert.Equal(19, results.Count(r => !r.Confirmed && r.Refusal is not null));
        var listed = await store.ListAsync(ClinicId, Slot.AddHours(-1), Slot.AddHours(1));
        Assert.Single(listed);
        Assert.Equal(results.Single(r => r.Confirmed).Booking!.BookingId, listed[0].BookingId);
    }

    [Fact]
    public async Task TryConfirmAsync_TwentyConcurrentRequestsForTwoChairs_ExactlyTwoSucceedOnDifferentChairs()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => store.TryConfirmAsync(Request($"b{i}", $"+4474001234{i:00}"), chairs: 2))));

        var confirmed = results.Where(r => r.Confirmed).Select(r => r.Booking!).ToList();
        Assert.Equal(2, confirmed.Count);
        Assert.Equal([0, 1], confirmed.Select(b => b.Chair).Order().ToList());
        Assert.Equal(2, (await store.ListAsync(ClinicId, Slot, Slot.AddHours(1))).Count);
    }

    [Fact]
    public async Task TryConfirmAsync_OverlappingAppointmentOfAnotherLength_IsRefused_BackToBackIsNot()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        var hour = await store.TryConfirmAsync(Request("long", duration: TimeSpan.FromHours(1)));
        var overlapping = await store.TryConfirmAsync(Request("inside", start: Slot.AddMinutes(40)));
        var offGrid = await store.TryConfirmAsync(Request("off-grid", start: Slot.AddMinutes(-17)));
        var after = await store.TryConfirmAsync(Request("after", start: Slot.AddHours(1)));
        var before = await store.TryConfirmAsync(Request("before", start: Slot.AddMinutes(-30)));

        Assert.True(hour.Confirmed);
        Assert.False(overlapping.Confirmed);
        Assert.False(offGrid.Confirmed);
        Assert.True(after.Confirmed);
        Assert.True(before.Confirmed);
    }

    [Fact]
    public async Task TryConfirmAsync_SameBookingIdRetried_BooksOnceAndReturnsTheBooking()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        var first = await store.TryConfirmAsync(Request("retry-me"));
        var again = await store.TryConfirmAsync(Request("retry-me"));
        var elsewhere = await store.TryConfirmAsync(Request("retry-me", start: Slot.AddHours(2)));

        Assert.True(first.Confirmed);
        Assert.True(again.Confirmed);
        Assert.True(again.Repeated);
        Assert.Equal(first.Booking!.BookingId, again.Booking!.BookingId);
        Assert.False(elsewhere.Confirmed);
        Assert.Single(await store.ListAsync(ClinicId, Slot.AddDays(-1), Slot.AddDays(1)));
    }

    [Fact]
    public async Task TryConfirmAsync_StoresEveryField()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        await store.TryConfirmAsync(Request("full", phone: "+447400123456", name: "Sarah Jones") with { Value = 85.50m, AppointmentTypeId = "hygiene" });
        var booking = await store.GetAsync(ClinicId, "full");

        Assert.NotNull(booking);
        Assert.Equal(
            new Booking(ClinicId, "full", Slot, Slot + HalfHour, "hygiene", "+447400123456", "Sarah Jones", BookingStatus.Confirmed, _time.GetUtcNow(), "sms", 85.50m),
            booking);
    }

    [Fact]
    public async Task TryHoldAsync_TwentyConcurrentHolds_ExactlyOneGetsIt_AndOnlyTheHolderCanBook()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        var holds = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => store.TryHoldAsync(ClinicId, Slot, HalfHour, $"conv-{i}", TimeSpan.FromMinutes(10)))));
        var winner = Assert.Single(holds, h => h is not null)!;

        var intruder = await store.TryConfirmAsync(Request("intruder", holder: winner.HolderId == "conv-0" ? "conv-1" : "conv-0"));
        var holder = await store.TryConfirmAsync(Request("holder", holder: winner.HolderId));

        Assert.False(intruder.Confirmed);
        Assert.True(holder.Confirmed);
        Assert.Equal(winner.Chair, holder.Booking!.Chair);
        Assert.Empty(await store.ListHoldsAsync(ClinicId, Slot, Slot + HalfHour));
    }

    [Fact]
    public async Task TryHoldAsync_ExpiredHold_IsFreeForOthers_ActiveHoldIsListed()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        var hold = await store.TryHoldAsync(ClinicId, Slot, HalfHour, "conv-a", TimeSpan.FromMinutes(10));
        var listed = await store.ListHoldsAsync(ClinicId, Slot.AddHours(-2), Slot.AddHours(2));
        var blocked = await store.TryHoldAsync(ClinicId, Slot.AddMinutes(15), HalfHour, "conv-b", TimeSpan.FromMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(11));
        var afterExpiry = await store.TryConfirmAsync(Request("late-comer", start: Slot.AddMinutes(15), holder: "conv-b"));

        Assert.NotNull(hold);
        Assert.Equal(new[] { hold! }, listed);
        Assert.Null(blocked);
        Assert.True(afterExpiry.Confirmed);
        Assert.Empty(await store.ListHoldsAsync(ClinicId, Slot.AddHours(-2), Slot.AddHours(2)));
    }

    [Fact]
    public async Task ReleaseHoldAsync_FreesTheSlotAtOnce()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        var hold = await store.TryHoldAsync(ClinicId, Slot, HalfHour, "conv-a", TimeSpan.FromMinutes(10));
        await store.ReleaseHoldAsync(hold!);
        var other = await store.TryConfirmAsync(Request("other", holder: "conv-b"));

        Assert.True(other.Confirmed);
    }

    [Fact]
    public async Task CancelAsync_FreesTheSlot_BumpsSequence_AndIsIdempotent()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);
        await store.TryConfirmAsync(Request("to-cancel"));
        _time.Advance(TimeSpan.FromMinutes(5));

        var cancelled = await store.CancelAsync(ClinicId, "to-cancel");
        var again = await store.CancelAsync(ClinicId, "to-cancel");
        var unknown = await store.CancelAsync(ClinicId, "nope");
        var rebooked = await store.TryConfirmAsync(Request("rebooked"));
        var listed = await store.ListAsync(ClinicId, Slot, Slot + HalfHour);

        Assert.Equal(BookingStatus.Cancelled, cancelled!.Status);
        Assert.Equal(1, cancelled.Sequence);
        Assert.Equal(_time.GetUtcNow(), cancelled.CancelledAt);
        Assert.Equal(cancelled, again);
        Assert.Null(unknown);
        Assert.True(rebooked.Confirmed);
        Assert.Equal([("rebooked", BookingStatus.Confirmed), ("to-cancel", BookingStatus.Cancelled)],
            listed.Select(b => (b.BookingId, b.Status)).OrderBy(x => x.BookingId, StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task ListAsync_ReturnsBookingsOverlappingTheRange_InStartOrder()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);
        await store.TryConfirmAsync(Request("early", start: Slot.AddHours(-3)));
        await store.TryConfirmAsync(Request("spanning", start: Slot.AddMinutes(-60), duration: TimeSpan.FromMinutes(90)));
        await store.TryConfirmAsync(Request("late", start: Slot.AddHours(2)));
        await store.TryConfirmAsync(Request("other-day", start: Slot.AddDays(1)));

        var listed = await store.ListAsync(ClinicId, Slot, Slot.AddHours(3));

        Assert.Equal(["spanning", "late"], listed.Select(b => b.BookingId).ToList());
    }

    [Fact]
    public async Task Logs_NeverContainThePatientsNumberOrName()
    {
        await using var stack = await TestStack.CreateAsync(clinicsFile: null);
        var store = await StoreAsync(stack);

        await store.TryConfirmAsync(Request("logged", phone: "+447400999888", name: "Zebedee"));
        await store.TryConfirmAsync(Request("refused", phone: "+447400999777", name: "Zebedee"));
        await store.CancelAsync(ClinicId, "logged");

        var logs = stack.Logs.GetSnapshot();
        Assert.Contains(logs, l => l.Message.Contains("logged", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Message.Contains("999888", StringComparison.Ordinal) || l.Message.Contains("999777", StringComparison.Ordinal)
            || l.Message.Contains("Zebedee", StringComparison.Ordinal));
    }

    private async Task<TableBookingStore> StoreAsync(TestStack stack)
    {
        var storage = stack.Get<StorageClients>();
        await BookingTableNames.EnsureCreatedAsync(storage);
        return new TableBookingStore(storage, _time, stack.Get<ILogger<TableBookingStore>>());
    }

    private static BookingRequest Request(string id, string phone = "+447400123456", string? name = null, DateTimeOffset? start = null,
        TimeSpan? duration = null, string? holder = null)
        => new(ClinicId, id, start ?? Slot, duration ?? HalfHour, "checkup", phone, name, "sms", 85m, holder);
}
