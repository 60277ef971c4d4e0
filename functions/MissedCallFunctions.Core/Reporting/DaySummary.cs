using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;

namespace MissedCallFunctions.Reporting;

/// <summary>
/// One clinic-local day of missed calls, summarised so that days add up exactly: counts, the 24 hourly counts, and
/// every latency sample (a day holds tens of calls, so exact percentiles over any range cost little).
/// </summary>
public sealed record DaySummary
{
    public required string Day { get; init; }

    /// <summary>0 = Monday .. 6 = Sunday.</summary>
    public int Weekday { get; init; }

    public int Missed { get; init; }

    public int Eligible { get; init; }

    public int Texted { get; init; }

    public int Delivered { get; init; }

    public int Replied { get; init; }

    public int Booked { get; init; }

    public int Unrecovered { get; init; }

    /// <summary>Eligible calls where someone was reached (a reply, a call that got through, staff on it).</summary>
    public int Reached { get; init; }

    public int FollowUps { get; init; }

    public int Escalations { get; init; }

    public IReadOnlyDictionary<string, int> SuppressedByReason { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, int> Outcomes { get; init; } = new Dictionary<string, int>();

    /// <summary>Missed calls per local hour, 24 entries.</summary>
    public IReadOnlyList<int> Hours { get; init; } = new int[24];

    public IReadOnlyList<int> TextBackLatencyMs { get; init; } = [];

    public IReadOnlyList<int> FirstReplySeconds { get; init; } = [];

    public int Suppressed => Missed - Eligible;

    public static DaySummary From(string day, int weekday, IEnumerable<CallFact> facts)
    {
        var list = facts.ToList();
        var hours = new int[24];
        var suppressed = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in list)
        {
            hours[f.LocalHour]++;
            if (!f.Eligible)
            {
                suppressed[f.Reason] = suppressed.GetValueOrDefault(f.Reason) + 1;
            }
            else if (f.Outcome is { } outcome)
            {
                outcomes[outcome.ToString()] = outcomes.GetValueOrDefault(outcome.ToString()) + 1;
            }
        }

        var eligible = list.Where(f => f.Eligible).ToList();
        return new DaySummary
        {
            Day = day,
            Weekday = weekday,
            Missed = list.Count,
            Eligible = eligible.Count,
            Texted = eligible.Count(f => f.TextedAt is not null),
            Delivered = eligible.Count(f => f.DeliveredAt is not null),
            Replied = eligible.Count(f => f.FirstReplyAt is not null),
            Booked = eligible.Count(f => f.Booked),
            Unrecovered = eligible.Count(f => f.Unrecovered),
            Reached = eligible.Count(IsReached),
            FollowUps = eligible.Sum(f => f.FollowUps),
            Escalations = eligible.Sum(f => f.Escalations),
            SuppressedByReason = suppressed,
            Outcomes = outcomes,
            Hours = hours,
            TextBackLatencyMs = eligible.Where(f => f.TextBackLatency is not null)
                .Select(f => (int)Math.Clamp(f.TextBackLatency!.Value.TotalMilliseconds, 0, int.MaxValue)).Order().ToList(),
            FirstReplySeconds = eligible.Where(f => f.TimeToFirstReply is not null)
                .Select(f => (int)Math.Clamp(f.TimeToFirstReply!.Value.TotalSeconds, 0, int.MaxValue)).Order().ToList(),
        };
    }

    /// <summary>Someone got through to the caller: the base for what share of reached callers book.</summary>
    public static bool IsReached(CallFact fact) => fact.Eligible && (fact.FirstReplyAt is not null || fact.Outcome is
        Recovery.RecoveryOutcome.Booked or Recovery.RecoveryOutcome.ReachedByPhone or Recovery.RecoveryOutcome.HandledByStaff
        or Recovery.RecoveryOutcome.StaffTookOver or Recovery.RecoveryOutcome.HandedToStaff or Recovery.RecoveryOutcome.RecoveredReplied);
}

/// <summary>Stores a <see cref="DaySummary"/> in a table row (lists as comma-separated numbers, maps as JSON).</summary>
internal static class DaySummaryCodec
{
    public static TableEntity Write(TableEntity e, DaySummary s)
    {
        e["Weekday"] = s.Weekday;
        e["Missed"] = s.Missed;
        e["Eligible"] = s.Eligible;
        e["Texted"] = s.Texted;
        e["Delivered"] = s.Delivered;
        e["Replied"] = s.Replied;
        e["Booked"] = s.Booked;
        e["Unrecovered"] = s.Unrecovered;
        e["Reached"] = s.Reached;
        e["FollowUps"] = s.FollowUps;
        e["Escalations"] = s.Escalations;
        e["SuppressedByReason"] = JsonSerializer.Serialize(s.SuppressedByReason);
        e["Outcomes"] = JsonSerializer.Serialize(s.Outcomes);
        e["Hours"] = Join(s.Hours);
        e["TextBackLatencyMs"] = Join(s.TextBackLatencyMs);
        e["FirstReplySeconds"] = Join(s.FirstReplySeconds);
        return e;
    }

    /// <summary>Null when the row holds only a stale mark (never computed).</summary>
    public static DaySummary? Read(string day, TableEntity e)
    {
        if (e.GetInt32("Missed") is not { } missed)
        {
            return null;
        }

        var hours = Split(e.GetString("Hours"));
        return new DaySummary
        {
            Day = day,
            Weekday = e.GetInt32("Weekday") ?? 0,
            Missed = missed,
            Eligible = e.GetInt32("Eligible") ?? 0,
            Texted = e.GetInt32("Texted") ?? 0,
            Delivered = e.GetInt32("Delivered") ?? 0,
            Replied = e.GetInt32("Replied") ?? 0,
            Booked = e.GetInt32("Booked") ?? 0,
            Unrecovered = e.GetInt32("Unrecovered") ?? 0,
            Reached = e.GetInt32("Reached") ?? 0,
            FollowUps = e.GetInt32("FollowUps") ?? 0,
            Escalations = e.GetInt32("Escalations") ?? 0,
            SuppressedByReason = JsonSerializer.Deserialize<Dictionary<string, int>>(e.GetString("SuppressedByReason") ?? "{}") ?? [],
            Outcomes = JsonSerializer.Deserialize<Dictionary<string, int>>(e.GetString("Outcomes") ?? "{}") ?? [],
            Hours = hours.Count == 24 ? hours : new int[24],
            TextBackLatencyMs = Split(e.GetString("TextBackLatencyMs")),
            FirstReplySeconds = Split(e.GetString("FirstReplySeconds")),
        };
    }

    private static string Join(IEnumerable<int> values) => string.Join(',', values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    private static List<int> Split(string? csv)
        => string.IsNullOrEmpty(csv) ? [] : csv.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToList();
}
