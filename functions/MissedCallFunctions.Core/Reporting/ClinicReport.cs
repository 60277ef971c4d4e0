using MissedCallFunctions.Clinics;
using MissedCallFunctions.Staff;

namespace MissedCallFunctions.Reporting;

/// <summary>The manager's report for a clinic and a range of clinic-local days (inclusive).</summary>
public sealed record ClinicReport(
    string ClinicId,
    string ClinicName,
    string TimeZone,
    string From,
    string To,
    Funnel Funnel,
    IReadOnlyDictionary<string, int> SuppressedByReason,
    IReadOnlyDictionary<string, int> Outcomes,
    IReadOnlyList<IReadOnlyList<int>> MissedByWeekdayAndHour,
    Distribution TextBackLatencyMs,
    Distribution FirstReplySeconds,
    int FollowUps,
    int Escalations,
    TaskSummary Tasks,
    Revenue Revenue,
    IReadOnlyList<DayPoint> Days,
    DateTimeOffset GeneratedAt,
    int DaysRecomputed);

/// <param name="Rates">Shares of <see cref="Eligible"/>: suppressed calls are never in a denominator.</param>
public sealed record Funnel(int Missed, int Suppressed, int Eligible, int Texted, int Delivered, int Replied, int Booked, FunnelRates Rates);

/// <summary>Each stage as a share of eligible calls (null when there were none).</summary>
public sealed record FunnelRates(double? Texted, double? Delivered, double? Replied, double? Booked);

public sealed record Distribution(int Count, int? P50, int? P95, int? Max)
{
    /// <summary>Nearest-rank percentiles of the samples.</summary>
    public static Distribution Of(IEnumerable<int> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Distribution(0, null, null, null);
        }

        int Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Distribution(sorted.Length, Rank(0.50), Rank(0.95), sorted[^1]);
    }
}

/// <param name="Overdue">Open tasks past their due time.</param>
public sealed record TaskSummary(int Open, int Overdue, int Urgent);

/// <param name="Recovered">Booked appointments times the clinic's average appointment value.</param>
/// <param name="LostEstimate">Unrecovered eligible calls times the share of reached callers who book, times the average value.</param>
/// <param name="Basis">How <see cref="LostEstimate"/> was worked out, in words.</param>
public sealed record Revenue(string Currency, decimal AverageAppointmentValue, int BookedAppointments, decimal Recovered, int UnrecoveredCalls,
    double BookingShare, decimal LostEstimate, string Basis);

public sealed record DayPoint(string Day, int Missed, int Eligible, int Texted, int Replied, int Booked);

public static class ClinicReportBuilder
{
    /// <summary>Below this many reached callers the clinic's own booking share is too noisy; a stated default is used.</summary>
    public const int MinimumReachedForOwnShare = 10;

    /// <summary>The share of reached callers assumed to book when the clinic's own figure is too small to use.</summary>
    public const double DefaultBookingShare = 0.5;

    public static ClinicReport Build(ClinicConfig clinic, string from, string to, IReadOnlyList<DaySummary> days, IReadOnlyList<StaffTask> openTasks,
        DateTimeOffset now, int daysRecomputed)
    {
        var ordered = days.OrderBy(d => d.Day, StringComparer.Ordinal).ToList();
        int Sum(Func<DaySummary, int> pick) => ordered.Sum(pick);

        var missed = Sum(d => d.Missed);
        var eligible = Sum(d => d.Eligible);
        var texted = Sum(d => d.Texted);
        var delivered = Sum(d => d.Delivered);
        var replied = Sum(d => d.Replied);
        var booked = Sum(d => d.Booked);
        double? Rate(int count) => eligible == 0 ? null : Math.Round((double)count / eligible, 4);

        var heatmap = Enumerable.Range(0, 7).Select(_ => new int[24]).ToArray();
        foreach (var day in ordered)
        {
            for (var h = 0; h < 24; h++)
            {
                heatmap[day.Weekday][h] += day.Hours[h];
            }
        }

        var reached = Sum(d => d.Reached);
        var unrecovered = Sum(d => d.Unrecovered);
        var ownShare = reached >= MinimumReachedForOwnShare;
        var share = ownShare ? (double)booked / reached : DefaultBookingShare;
        var value = clinic.AverageAppointmentValue;
        var basis = ownShare
            ? $"{unrecovered} unrecovered calls x {share:P0} of reached callers booked in this period x {value} {clinic.Currency}"
            : $"{unrecovered} unrecovered calls x an assumed {share:P0} booking share (fewer than {MinimumReachedForOwnShare} callers reached in this period) x {value} {clinic.Currency}";

        return new ClinicReport(
            clinic.Id, clinic.Name, clinic.TimeZone, from, to,
            new Funnel(missed, missed - eligible, eligible, texted, delivered, replied, booked, new FunnelRates(Rate(texted), Rate(delivered), Rate(replied), Rate(booked))),
            Merge(ordered.Select(d => d.SuppressedByReason)),
            Merge(ordered.Select(d => d.Outcomes)),
            heatmap,
            Distribution.Of(ordered.SelectMany(d => d.TextBackLatencyMs)),
            Distribution.Of(ordered.SelectMany(d => d.FirstReplySeconds)),
            Sum(d => d.FollowUps),
            Sum(d => d.Escalations),
            new TaskSummary(openTasks.Count, openTasks.Count(t => t.DueAt < now), openTasks.Count(t => t.Urgent)),
            new Revenue(clinic.Currency, value, booked, booked * value, unrecovered, Math.Round(share, 4),
                Math.Round(unrecovered * (decimal)share * value, 2), basis),
            EveryDay(from, to, ordered),
            now,
            daysRecomputed);
    }

    /// <summary>One point per day of the range, quiet days included, so charts show the gaps.</summary>
    private static List<DayPoint> EveryDay(string from, string to, IReadOnlyList<DaySummary> days)
    {
        var byDay = days.ToDictionary(d => d.Day, StringComparer.Ordinal);
        var points = new List<DayPoint>();
        for (var day = ReportRange.ParseDay(from); day <= ReportRange.ParseDay(to); day = day.AddDays(1))
        {
            var key = ReportRange.Format(day);
            points.Add(byDay.TryGetValue(key, out var d)
                ? new DayPoint(key, d.Missed, d.Eligible, d.Texted, d.Replied, d.Booked)
                : new DayPoint(key, 0, 0, 0, 0, 0));
        }

        return points;
    }

    private static SortedDictionary<string, int> Merge(IEnumerable<IReadOnlyDictionary<string, int>> maps)
    {
        var merged = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var map in maps)
        {
            foreach (var (key, count) in map)
            {
                merged[key] = merged.GetValueOrDefault(key) + count;
            }
        }

        return merged;
    }
}
