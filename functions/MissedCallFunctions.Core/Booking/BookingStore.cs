using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Bookings;

/// <summary>The booking tables; the host creates them at start-up with <see cref="EnsureCreatedAsync"/>.</summary>
public static class BookingTableNames
{
    /// <summary>Bookings, their id index and the per-chair time cells that make double booking impossible.</summary>
    public const string Bookings = "Bookings";

    public static IReadOnlyList<string> All { get; } = [Bookings];

    /// <summary>Creates the booking tables (idempotent).</summary>
    public static async Task EnsureCreatedAsync(StorageClients storage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        foreach (var name in All)
        {
            await storage.Table(name).CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>What to book. <see cref="BookingId"/> is chosen by the caller so a retried activity books once.</summary>
/// <param name="HolderId">The hold this booking turns into (the conversation that was offered the slot), if any.</param>
public sealed record BookingRequest(
    string ClinicId,
    string BookingId,
    DateTimeOffset Start,
    TimeSpan Duration,
    string AppointmentTypeId,
    string PatientPhone,
    string? PatientName,
    string Source,
    decimal Value,
    string? HolderId = null);

/// <summary>The outcome of <see cref="IBookingStore.TryConfirmAsync"/>: a booking, or why not.</summary>
public sealed record BookingResult(bool Confirmed, Booking? Booking, string? Refusal)
{
    /// <summary>True when the same booking id had been confirmed already (a retry).</summary>
    public bool Repeated { get; init; }

    public static BookingResult Refused(string reason) => new(false, null, reason);
}

/// <summary>The clinic's own diary for <see cref="BookingMode.BuiltIn"/>: holds, bookings, cancellations.</summary>
public interface IBookingStore
{
    /// <summary>
    /// Holds a chair for [<paramref name="slotStart"/>, +<paramref name="duration"/>) for <paramref name="holdFor"/>; null when
    /// every chair is booked or held by someone else. Holding again as the same holder renews the hold.
    /// </summary>
    Task<SlotHold?> TryHoldAsync(string clinicId, DateTimeOffset slotStart, TimeSpan duration, string holderId, TimeSpan holdFor,
        int chairs = 1, CancellationToken cancellationToken = default);

    /// <summary>Gives a hold back early (e.g. the patient chose another slot). Does nothing when it is no longer theirs.</summary>
    Task ReleaseHoldAsync(SlotHold hold, CancellationToken cancellationToken = default);

    /// <summary>
    /// Books the slot on a free chair, or on the chair <see cref="BookingRequest.HolderId"/> holds, atomically: of any
    /// number of concurrent requests for the same time, at most <paramref name="chairs"/> succeed.
    /// </summary>
    Task<BookingResult> TryConfirmAsync(BookingRequest request, int chairs = 1, CancellationToken cancellationToken = default);

    /// <summary>Cancels a booking and frees its chair; null when there is no such booking. Cancelling twice is harmless.</summary>
    Task<Booking?> CancelAsync(string clinicId, string bookingId, CancellationToken cancellationToken = default);

    Task<Booking?> GetAsync(string clinicId, string bookingId, CancellationToken cancellationToken = default);

    /// <summary>Bookings (confirmed and cancelled) that overlap [<paramref name="from"/>, <paramref name="to"/>), by start.</summary>
    Task<IReadOnlyList<Booking>> ListAsync(string clinicId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>Holds still active now that overlap [<paramref name="from"/>, <paramref name="to"/>).</summary>
    Task<IReadOnlyList<SlotHold>> ListHoldsAsync(string clinicId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

/// <summary>
/// <see cref="IBookingStore"/> on Table Storage, one partition per clinic in <see cref="BookingTableNames.Bookings"/>.
/// </summary>
/// <remarks>
/// <para>
/// Double booking is made impossible by the storage itself, not by a read-then-write check: time is cut into
/// 5-minute cells (<see cref="BookingGrid.Cell"/>), and every hold or booking owns one row per cell it covers on its
/// chair (<c>c|20260311T0900|00</c>). A booking is written as one entity-group transaction: the cell rows (inserted,
/// which fails with 409 when someone else has the cell, or replaced under their ETag when they are an expired hold or
/// the requester's own hold, which fails with 412 when someone changed them), the booking row and its id index. Either
/// all of it lands or none does, so of N concurrent requests for a chair exactly one wins and the others move on to the
/// next chair or are refused. Cells also catch overlaps between appointments of different lengths and starts.
/// </para>
/// <para>
/// Holds are cells too, with an expiry: an expired hold is free to anyone (replaced under its ETag), an active one only
/// to its holder. Cancelling deletes the booking's cells in the same transaction that marks it cancelled.
/// </para>
/// <para>Rows: <c>b|&lt;start UTC&gt;|&lt;id&gt;</c> booking, <c>i|&lt;id&gt;</c> index to it, <c>c|&lt;cell UTC&gt;|&lt;chair&gt;</c> cell.</para>
/// </remarks>
public sealed partial class TableBookingStore(StorageClients storage, TimeProvider time, ILogger<TableBookingStore> logger) : IBookingStore
{
    private const string CellPrefix = "c|";
    private const string BookingPrefix = "b|";
    private const string IndexPrefix = "i|";
    private const string HoldKind = "hold";
    private const string BookingKind = "booking";
    private const string KeyTime = "yyyyMMdd'T'HHmmss";

    private TableClient Table => storage.Table(BookingTableNames.Bookings);

    public async Task<SlotHold?> TryHoldAsync(string clinicId, DateTimeOffset slotStart, TimeSpan duration, string holderId, TimeSpan holdFor,
        int chairs = 1, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(clinicId);
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        ValidateSpan(duration, chairs);
        if (holdFor <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(holdFor), "A hold must last a while.");
        }

        var end = slotStart + duration;
        for (var attempt = 0; attempt < MaxAttempts(chairs); attempt++)
        {
            var now = time.GetUtcNow();
            var cells = await ReadCellsAsync(clinicId, slotStart, end, cancellationToken).ConfigureAwait(false);
            var chair = PickChair(cells, slotStart, end, chairs, holderId, now);
            if (chair is null)
            {
                LogSlotRefused(logger, clinicId, slotStart, "held");
                return null;
            }

            var hold = new SlotHold(clinicId, slotStart, end, chair.Value, holderId, now + holdFor);
            var actions = CellActions(cells, clinicId, slotStart, end, chair.Value, c =>
            {
                c["Kind"] = HoldKind;
                c["HolderId"] = holderId;
                c["ExpiresAt"] = hold.ExpiresAt;
            });
            if (await TrySubmitAsync(actions, cancellationToken).ConfigureAwait(false))
            {
                LogHeld(logger, clinicId, slotStart, chair.Value);
                return hold;
            }
        }

        LogSlotRefused(logger, clinicId, slotStart, "contention");
        return null;
    }

    public async Task ReleaseHoldAsync(SlotHold hold, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hold);
        var cells = await ReadCellsAsync(hold.ClinicId, hold.Start, hold.End, cancellationToken).ConfigureAwait(false);
        var mine = cells.Where(c => c.Chair == hold.Chair && c.Kind == HoldKind && c.HolderId == hold.HolderId)
            .Select(c => new TableTransactionAction(TableTransactionActionType.Delete, c.Entity, c.Entity.ETag))
            .ToList();
        if (mine.Count > 0)
        {
            await TrySubmitAsync(mine, cancellationToken).ConfigureAwait(false); // lost a race: it was not ours any more
        }
    }

    public async Task<BookingResult> TryConfirmAsync(BookingRequest request, int chairs = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.ClinicId);
        ArgumentException.ThrowIfNullOrEmpty(request.BookingId);
        ValidateSpan(request.Duration, chairs);

        var start = request.Start;
        var end = start + request.Duration;
        for (var attempt = 0; attempt < MaxAttempts(chairs); attempt++)
        {
            if (await GetAsync(request.ClinicId, request.BookingId, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                return existing.Start == start && existing.Status == BookingStatus.Confirmed
                    ? new BookingResult(true, existing, null) { Repeated = true }
                    : BookingResult.Refused($"booking id '{request.BookingId}' is already used for another booking");
            }

            var now = time.GetUtcNow();
            var cells = await ReadCellsAsync(request.ClinicId, start, end, cancellationToken).ConfigureAwait(false);
            var chair = PickChair(cells, start, end, chairs, request.HolderId, now);
            if (chair is null)
            {
                LogSlotRefused(logger, request.ClinicId, start, "taken");
                return BookingResult.Refused("slot taken");
            }

            var booking = new Booking(request.ClinicId, request.BookingId, start, end, request.AppointmentTypeId, request.PatientPhone,
                request.PatientName, BookingStatus.Confirmed, now, request.Source, request.Value) { Chair = chair.Value };
            var actions = CellActions(cells, request.ClinicId, start, end, chair.Value, c =>
            {
                c["Kind"] = BookingKind;
                c["BookingId"] = request.BookingId;
            });
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, ToEntity(booking)));
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition(request.ClinicId), IndexKey(request.BookingId))
            {
                ["BookingRowKey"] = BookingKey(booking),
            }));
            if (await TrySubmitAsync(actions, cancellationToken).ConfigureAwait(false))
            {
                LogConfirmed(logger, request.ClinicId, request.BookingId, chair.Value, start);
                return new BookingResult(true, booking, null);
            }
        }

        LogSlotRefused(logger, request.ClinicId, start, "contention");
        return BookingResult.Refused("slot taken (contention)");
    }

    public async Task<Booking?> CancelAsync(string clinicId, string bookingId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await GetRowAsync(clinicId, bookingId, cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                return null;
            }

            var booking = FromEntity(row);
            if (booking.Status == BookingStatus.Cancelled)
            {
                return booking;
            }

            var cancelled = booking with { Status = BookingStatus.Cancelled, Sequence = booking.Sequence + 1, CancelledAt = time.GetUtcNow() };
            var cells = await ReadCellsAsync(clinicId, booking.Start, booking.End, cancellationToken).ConfigureAwait(false);
            var actions = cells.Where(c => c.Kind == BookingKind && c.BookingId == bookingId)
                .Select(c => new TableTransactionAction(TableTransactionActionType.Delete, c.Entity, c.Entity.ETag))
                .Prepend(new TableTransactionAction(TableTransactionActionType.UpdateReplace, ToEntity(cancelled), row.ETag))
                .ToList();
            if (await TrySubmitAsync(actions, cancellationToken).ConfigureAwait(false))
            {
                LogCancelled(logger, clinicId, bookingId);
                return cancelled;
            }
        }

        throw new InvalidOperationException($"Booking '{bookingId}' of clinic '{clinicId}' kept changing while being cancelled.");
    }

    public async Task<Booking?> GetAsync(string clinicId, string bookingId, CancellationToken cancellationToken = default)
        => await GetRowAsync(clinicId, bookingId, cancellationToken).ConfigureAwait(false) is { } row ? FromEntity(row) : null;

    public async Task<IReadOnlyList<Booking>> ListAsync(string clinicId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        // Keys sort by start; a booking that started up to the longest duration earlier may still overlap.
        var low = BookingPrefix + (from - BookingGrid.MaxDuration).UtcDateTime.ToString(KeyTime, CultureInfo.InvariantCulture);
        var high = BookingPrefix + to.UtcDateTime.ToString(KeyTime, CultureInfo.InvariantCulture);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(clinicId)} and RowKey ge {low} and RowKey lt {high}");
        var bookings = new List<Booking>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var booking = FromEntity(row);
            if (booking.End > from && booking.Start < to)
            {
                bookings.Add(booking);
            }
        }

        return bookings.OrderBy(b => b.Start).ThenBy(b => b.Chair).ToList();
    }

    public async Task<IReadOnlyList<SlotHold>> ListHoldsAsync(string clinicId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var cells = await ReadCellsAsync(clinicId, from, to, cancellationToken, holdsOnly: true).ConfigureAwait(false);
        return cells.Where(c => c.Kind == HoldKind && c.ExpiresAt > now)
            .Select(c => new SlotHold(clinicId, c.Start, c.End, c.Chair, c.HolderId!, c.ExpiresAt!.Value))
            .Distinct()
            .OrderBy(h => h.Start)
            .ToList();
    }

    private sealed record Cell(TableEntity Entity, DateTimeOffset CellStart, int Chair, string Kind, string? HolderId, DateTimeOffset? ExpiresAt,
        string? BookingId, DateTimeOffset Start, DateTimeOffset End);

    /// <summary>The first chair whose cells are all free for this requester: the holder's own chair first.</summary>
    private static int? PickChair(List<Cell> cells, DateTimeOffset start, DateTimeOffset end, int chairs, string? holderId, DateTimeOffset now)
    {
        var order = Enumerable.Range(0, chairs).ToList();
        if (holderId is not null)
        {
            var held = cells.Where(c => c.Kind == HoldKind && c.HolderId == holderId && c.Start == start && c.End == end).Select(c => c.Chair).Distinct().ToList();
            order = held.Where(c => c < chairs).Concat(order.Except(held)).ToList();
        }

        foreach (var chair in order)
        {
            if (cells.Where(c => c.Chair == chair).All(c => c.Kind == HoldKind && (c.ExpiresAt <= now || (holderId is not null && c.HolderId == holderId))))
            {
                return chair;
            }
        }

        return null;
    }

    /// <summary>One action per cell of [start, end) on the chair: insert when free, replace under its ETag when taken over.</summary>
    private static List<TableTransactionAction> CellActions(List<Cell> existing, string clinicId, DateTimeOffset start, DateTimeOffset end, int chair,
        Action<TableEntity> fill)
    {
        var actions = new List<TableTransactionAction>();
        foreach (var cellStart in CellStarts(start, end))
        {
            var entity = new TableEntity(Partition(clinicId), CellKey(cellStart, chair))
            {
                ["Chair"] = chair,
                ["Start"] = start,
                ["End"] = end,
            };
            fill(entity);
            var current = existing.FirstOrDefault(c => c.Chair == chair && c.CellStart == cellStart);
            actions.Add(current is null
                ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, current.Entity.ETag));
        }

        return actions;
    }

    private async Task<List<Cell>> ReadCellsAsync(string clinicId, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken,
        bool holdsOnly = false)
    {
        var starts = CellStarts(start, end).ToList();
        var low = CellPrefix + starts[0].UtcDateTime.ToString(KeyTime, CultureInfo.InvariantCulture);
        var high = CellPrefix + starts[^1].UtcDateTime.ToString(KeyTime, CultureInfo.InvariantCulture) + "|~";
        var filter = holdsOnly
            ? TableClient.CreateQueryFilter($"PartitionKey eq {Partition(clinicId)} and RowKey ge {low} and RowKey le {high} and Kind eq {HoldKind}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {Partition(clinicId)} and RowKey ge {low} and RowKey le {high}");
        var cells = new List<Cell>();
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var key = row.RowKey.Split('|');
            cells.Add(new Cell(row,
                new DateTimeOffset(DateTime.SpecifyKind(DateTime.ParseExact(key[1], KeyTime, CultureInfo.InvariantCulture), DateTimeKind.Utc)),
                row.GetInt32("Chair") ?? int.Parse(key[2], CultureInfo.InvariantCulture), row.GetString("Kind") ?? HoldKind, row.GetString("HolderId"),
                row.GetDateTimeOffset("ExpiresAt"), row.GetString("BookingId"), row.GetDateTimeOffset("Start") ?? default, row.GetDateTimeOffset("End") ?? default));
        }

        return cells;
    }

    private async Task<TableEntity?> GetRowAsync(string clinicId, string bookingId, CancellationToken cancellationToken)
    {
        var index = await Table.GetEntityIfExistsAsync<TableEntity>(Partition(clinicId), IndexKey(bookingId), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (!index.HasValue)
        {
            return null;
        }

        var row = await Table.GetEntityIfExistsAsync<TableEntity>(Partition(clinicId), index.Value!.GetString("BookingRowKey"), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>False when the transaction lost a race (409 someone inserted first, 412 someone changed a row, 404 a row went).</summary>
    private async Task<bool> TrySubmitAsync(IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        try
        {
            await Table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
            return false;
        }
    }

    /// <summary>The grid cells [start, end) touches: a booking off the grid still blocks the whole cells it overlaps.</summary>
    private static IEnumerable<DateTimeOffset> CellStarts(DateTimeOffset start, DateTimeOffset end)
    {
        var cell = BookingGrid.Cell.Ticks;
        var first = start.UtcTicks - (start.UtcTicks % cell);
        for (var ticks = first; ticks < end.UtcTicks; ticks += cell)
        {
            yield return new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    private static int MaxAttempts(int chairs) => (2 * chairs) + 3;

    private static void ValidateSpan(TimeSpan duration, int chairs)
    {
        if (duration <= TimeSpan.Zero || duration > BookingGrid.MaxDuration)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), $"An appointment lasts between 5 minutes and {BookingGrid.MaxDuration}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(chairs, 1);
    }

    private static string Partition(string clinicId) => TableKeys.Escape(clinicId);

    private static string CellKey(DateTimeOffset cellStart, int chair)
        => string.Create(CultureInfo.InvariantCulture, $"{CellPrefix}{cellStart.UtcDateTime.ToString(KeyTime, CultureInfo.InvariantCulture)}|{chair:D2}");

    private static string BookingKey(Booking booking)
        => BookingPrefix + booking.Start.UtcDateTime.ToString(KeyTime, CultureInfo.InvariantCulture) + "|" + TableKeys.Escape(booking.BookingId);

    private static string IndexKey(string bookingId) => IndexPrefix + TableKeys.Escape(bookingId);

    private static TableEntity ToEntity(Booking b) => new(Partition(b.ClinicId), BookingKey(b))
    {
        ["ClinicId"] = b.ClinicId,
        ["BookingId"] = b.BookingId,
        ["Start"] = b.Start,
        ["End"] = b.End,
        ["AppointmentTypeId"] = b.AppointmentTypeId,
        ["PatientPhone"] = b.PatientPhone,
        ["PatientName"] = b.PatientName,
        ["Status"] = b.Status.ToString(),
        ["CreatedAt"] = b.CreatedAt,
        ["Source"] = b.Source,
        ["Value"] = b.Value.ToString(CultureInfo.InvariantCulture), // Table Storage has no decimal
        ["Chair"] = b.Chair,
        ["Sequence"] = b.Sequence,
        ["CancelledAt"] = b.CancelledAt,
    };

    private static Booking FromEntity(TableEntity e) => new(
        e.GetString("ClinicId"), e.GetString("BookingId"), e.GetDateTimeOffset("Start") ?? default, e.GetDateTimeOffset("End") ?? default,
        e.GetString("AppointmentTypeId"), e.GetString("PatientPhone"), e.GetString("PatientName"),
        Enum.TryParse<BookingStatus>(e.GetString("Status"), out var status) ? status : BookingStatus.Confirmed,
        e.GetDateTimeOffset("CreatedAt") ?? default, e.GetString("Source"),
        decimal.TryParse(e.GetString("Value"), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : 0m)
    {
        Chair = e.GetInt32("Chair") ?? 0,
        Sequence = e.GetInt32("Sequence") ?? 0,
        CancelledAt = e.GetDateTimeOffset("CancelledAt"),
    };

    [LoggerMessage(EventId = 9400, Level = LogLevel.Information, Message = "Booking {BookingId} confirmed for clinic {ClinicId} on chair {Chair} at {Start}")]
    private static partial void LogConfirmed(ILogger logger, string clinicId, string bookingId, int chair, DateTimeOffset start);

    [LoggerMessage(EventId = 9401, Level = LogLevel.Information, Message = "Slot {Start} of clinic {ClinicId} refused: {Reason}")]
    private static partial void LogSlotRefused(ILogger logger, string clinicId, DateTimeOffset start, string reason);

    [LoggerMessage(EventId = 9402, Level = LogLevel.Information, Message = "Booking {BookingId} of clinic {ClinicId} cancelled")]
    private static partial void LogCancelled(ILogger logger, string clinicId, string bookingId);

    [LoggerMessage(EventId = 9403, Level = LogLevel.Debug, Message = "Slot {Start} of clinic {ClinicId} held on chair {Chair}")]
    private static partial void LogHeld(ILogger logger, string clinicId, DateTimeOffset start, int chair);
}
