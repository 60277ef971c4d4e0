using System.Globalization;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Staff;
using Microsoft.Extensions.Logging;

namespace MissedCallFunctions.Reporting;

/// <summary>A range of clinic-local days, inclusive, validated.</summary>
public readonly record struct ReportRange(DateOnly From, DateOnly To)
{
    /// <summary>A year and a leap day, with room for "the last 12 months" either way.</summary>
    public const int MaxDays = 400;

    /// <summary>The earliest day a report may name: no call data is older, and days near DateOnly.MinValue overflow the range arithmetic.</summary>
    public static readonly DateOnly Earliest = new(2000, 1, 1);

    public static DateOnly ParseDay(string day) => DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Format(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses from/to (yyyy-MM-dd, from <see cref="Earliest"/> to a year after today) or a number of days ending at 'to';
    /// missing values default to the 30 days ending today in the clinic's zone.
    /// </summary>
    public static (ReportRange? Range, string? Problem) Parse(string? from, string? to, DateOnly today, string? days = null)
    {
        if (!string.IsNullOrEmpty(from) && !string.IsNullOrEmpty(days))
        {
            return (null, "Give either 'from' or 'days', not both.");
        }

        var span = 30;
        if (!string.IsNullOrEmpty(days) && (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out span) || span is < 1 or > MaxDays))
        {
            return (null, $"'days' must be a whole number from 1 to {MaxDays}.");
        }

        DateOnly end = today, start;
        var latest = today.AddYears(1);
        if (!string.IsNullOrEmpty(to) && !DateOnly.TryParseExact(to, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out end))
        {
            return (null, "'to' must be a date as yyyy-MM-dd.");
        }

        if (end < Earliest || end > latest)
        {
            return (null, $"'to' must be a day from {Format(Earliest)} to {Format(latest)}.");
        }

        if (string.IsNullOrEmpty(from))
        {
            start = end.AddDays(1 - span);
        }
        else if (!DateOnly.TryParseExact(from, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out start))
        {
            return (null, "'from' must be a date as yyyy-MM-dd.");
        }
        else if (start < Earliest || start > latest)
        {
            return (null, $"'from' must be a day from {Format(Earliest)} to {Format(latest)}.");
        }

        if (start > end)
        {
            return (null, "'from' must not be after 'to'.");
        }

        if (end.DayNumber - start.DayNumber + 1 > MaxDays)
        {
            return (null, $"A report covers at most {MaxDays} days.");
        }

        return (new ReportRange(start, end), null);
    }
}

/// <summary>
/// Builds a clinic's report from its day summaries, recomputing only the days a fact was written to since they were
/// last summarised (in runs of consecutive days, one range query each).
/// </summary>
public sealed partial class ClinicReports(ICallFactStore facts, IStaffTaskStore tasks, TimeProvider time, ILogger<ClinicReports> logger)
{
    private const int SaveParallelism = 16;

    public DateOnly Today(ClinicConfig clinic) => DateOnly.FromDateTime(ClinicCalendar.ToLocal(clinic, time.GetUtcNow()).DateTime);

    public async Task<ClinicReport> BuildAsync(ClinicConfig clinic, ReportRange range, CancellationToken cancellationToken)
    {
        var from = ReportRange.Format(range.From);
        var to = ReportRange.Format(range.To);
        var (days, recomputed) = await SummariesAsync(clinic.Id, from, to, cancellationToken).ConfigureAwait(false);
        var open = await tasks.ListAsync(clinic.Id, openOnly: true, cancellationToken).ConfigureAwait(false);
        return ClinicReportBuilder.Build(clinic, from, to, days, open, time.GetUtcNow(), recomputed);
    }

    /// <summary>The day summaries of a range, each up to date with the facts written so far.</summary>
    public async Task<(IReadOnlyList<DaySummary> Days, int Recomputed)> SummariesAsync(string clinicId, string from, string to, CancellationToken cancellationToken)
    {
        var stored = await facts.ListDaysAsync(clinicId, from, to, cancellationToken).ConfigureAwait(false);
        var result = stored.Where(d => d is { Stale: false, Summary: not null }).Select(d => d.Summary!).ToList();
        var stale = stored.Where(d => d.Stale || d.Summary is null).OrderBy(d => d.Day, StringComparer.Ordinal).ToList();
        foreach (var run in ConsecutiveRuns(stale))
        {
            var runFacts = await facts.ListFactsAsync(clinicId, run[0].Day, run[^1].Day, cancellationToken).ConfigureAwait(false);
            var byDay = runFacts.ToLookup(f => f.LocalDay, StringComparer.Ordinal);
            var summaries = run.Select(day => (Day: day, Summary: DaySummary.From(day.Day, ((int)ReportRange.ParseDay(day.Day).DayOfWeek + 6) % 7, byDay[day.Day])))
                .ToList();
            result.AddRange(summaries.Select(s => s.Summary));

            // Saved side by side: after a bulk import a whole year can be stale, and one round trip per day in turn is what made that slow.
            await Parallel.ForEachAsync(summaries, new ParallelOptions { MaxDegreeOfParallelism = SaveParallelism, CancellationToken = cancellationToken },
                async (item, ct) =>
                {
                    if (!await facts.SaveDayAsync(clinicId, item.Summary, item.Day.ETag, ct).ConfigureAwait(false))
                    {
                        LogStillStale(logger, clinicId, item.Day.Day);
                    }
                }).ConfigureAwait(false);
        }

        return (result, stale.Count);
    }

    private static IEnumerable<List<StoredDay>> ConsecutiveRuns(IReadOnlyList<StoredDay> days)
    {
        var run = new List<StoredDay>();
        foreach (var day in days)
        {
            if (run.Count > 0 && ReportRange.ParseDay(day.Day) != ReportRange.ParseDay(run[^1].Day).AddDays(1))
            {
                yield return run;
                run = [];
            }

            run.Add(day);
        }

        if (run.Count > 0)
        {
            yield return run;
        }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Debug, Message = "Day {Day} of clinic {ClinicId} changed while it was summarised: it stays stale")]
    private static partial void LogStillStale(ILogger logger, string clinicId, string day);
}
