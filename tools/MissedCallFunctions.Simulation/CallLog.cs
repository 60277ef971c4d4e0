using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MissedCallFunctions.Simulation;

/// <summary>One call of a call log, in our generic event schema's terms.</summary>
/// <param name="Caller">E.164, or null when the caller ID was withheld.</param>
/// <param name="Outcome">answered | missed | busy | voicemail | abandoned | failed.</param>
public sealed record LoggedCall(
    DateTimeOffset OccurredAt,
    string ClinicNumber,
    string? Caller,
    string Outcome,
    int RingSeconds = 20,
    string? CallerName = null,
    string? CallId = null);

/// <summary>
/// Reads call logs: a JSON array of our generic event objects (or of <see cref="LoggedCall"/>), a CSV in our schema
/// (occurredAt,clinicNumber,caller,outcome[,ringSeconds,callerName,callId]), or a Twilio call-log CSV export
/// (From, To, Status, Start Time / Date Created, Duration, Direction; outbound calls are skipped).
/// </summary>
public static class CallLogReader
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static IReadOnlyList<LoggedCall> Read(string path)
    {
        var text = File.ReadAllText(path);
        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || text.TrimStart().StartsWith('[') ? ReadJson(text) : ReadCsv(text);
    }

    public static void Write(string path, IReadOnlyList<LoggedCall> calls)
        => File.WriteAllText(path, JsonSerializer.Serialize(calls.Select(c => new GenericEvent
        {
            EventId = c.CallId is null ? null : "evt-" + c.CallId,
            CallId = c.CallId,
            ClinicNumber = c.ClinicNumber,
            Caller = c.Caller,
            CallerName = c.CallerName,
            Outcome = c.Outcome,
            RingSeconds = c.RingSeconds,
            OccurredAt = c.OccurredAt,
        }), Json));

    public static IReadOnlyList<LoggedCall> ReadJson(string json)
    {
        var events = JsonSerializer.Deserialize<List<GenericEvent>>(json, Json) ?? throw new InvalidDataException("The call log is empty.");
        return events.Select((e, i) => new LoggedCall(
                e.OccurredAt ?? throw new InvalidDataException($"Call {i + 1}: occurredAt is required."),
                e.ClinicNumber ?? throw new InvalidDataException($"Call {i + 1}: clinicNumber is required."),
                string.IsNullOrEmpty(e.Caller) || e.Caller.Equals("anonymous", StringComparison.OrdinalIgnoreCase) ? null : e.Caller,
                e.Outcome ?? "missed",
                e.RingSeconds ?? 20,
                e.CallerName,
                e.CallId))
            .OrderBy(c => c.OccurredAt)
            .ToList();
    }

    public static IReadOnlyList<LoggedCall> ReadCsv(string csv)
    {
        var lines = csv.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0)
        {
            throw new InvalidDataException("The call log is empty.");
        }

        var header = SplitCsv(lines[0]).Select(h => h.Trim().ToLowerInvariant()).ToList();
        int Column(params string[] names) => names.Select(n => header.IndexOf(n)).FirstOrDefault(i => i >= 0, -1);
        var twilio = header.Contains("from") && header.Contains("to") && header.Contains("status");
        var calls = new List<LoggedCall>();
        for (var row = 1; row < lines.Count; row++)
        {
            var cells = SplitCsv(lines[row]);
            string? Cell(int index) => index >= 0 && index < cells.Count && cells[index].Length > 0 ? cells[index].Trim() : null;
            try
            {
                if (twilio)
                {
                    if (Cell(Column("direction"))?.StartsWith("outbound", StringComparison.OrdinalIgnoreCase) == true)
                    {
                        continue;
                    }

                    var status = (Cell(Column("status")) ?? "no-answer").ToLowerInvariant();
                    var outcome = status switch
                    {
                        "completed" => "answered",
                        "busy" => "busy",
                        "failed" => "failed",
                        "canceled" => "abandoned",
                        _ => "missed",
                    };
                    var at = Cell(Column("start time", "starttime", "date created", "datecreated", "date"))
                             ?? throw new InvalidDataException("no start time");
                    calls.Add(new LoggedCall(DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                        Cell(Column("to")) ?? throw new InvalidDataException("no To number"), Caller(Cell(Column("from"))), outcome,
                        int.TryParse(Cell(Column("ring duration", "ringduration")), out var ring) ? ring : 20, null, Cell(Column("call sid", "sid", "callsid"))));
                }
                else
                {
                    calls.Add(new LoggedCall(
                        DateTimeOffset.Parse(Cell(Column("occurredat")) ?? throw new InvalidDataException("no occurredAt"), CultureInfo.InvariantCulture,
                            DateTimeStyles.AssumeUniversal),
                        Cell(Column("clinicnumber")) ?? throw new InvalidDataException("no clinicNumber"),
                        Caller(Cell(Column("caller"))),
                        Cell(Column("outcome")) ?? "missed",
                        int.TryParse(Cell(Column("ringseconds")), out var ring) ? ring : 20,
                        Cell(Column("callername")),
                        Cell(Column("callid"))));
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidDataException)
            {
                throw new InvalidDataException($"Line {row + 1}: {ex.Message}", ex);
            }
        }

        return calls.OrderBy(c => c.OccurredAt).ToList();
    }

    private static string? Caller(string? value)
        => string.IsNullOrEmpty(value) || value.Equals("anonymous", StringComparison.OrdinalIgnoreCase) || value.Equals("restricted", StringComparison.OrdinalIgnoreCase)
            ? null
            : value;

    private static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }

    private sealed class GenericEvent
    {
        public string? EventId { get; set; }

        public string? CallId { get; set; }

        public string? ClinicNumber { get; set; }

        public string? Caller { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? CallerName { get; set; }

        public string? Outcome { get; set; }

        public int? RingSeconds { get; set; }

        public DateTimeOffset? OccurredAt { get; set; }
    }
}
