using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;

namespace MissedCallFunctions.Reliability;

/// <summary>One pass/fail check of a scenario: what was expected and what was seen.</summary>
public sealed record Check(string Name, string Expected, string Actual, bool Passed);

/// <summary>What one scenario found: its checks (any failure fails the run) and its measurements.</summary>
public sealed class ScenarioResult(string name, string description)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    public List<Check> Checks { get; } = [];

    public List<(string Name, string Value)> Metrics { get; } = [];

    public List<string> Notes { get; } = [];

    public TimeSpan Duration { get; set; }

    public string? Error { get; set; }

    public bool Passed => Error is null && Checks.Count > 0 && Checks.All(c => c.Passed);

    public ScenarioResult Expect(string name, object expected, object actual, bool passed)
    {
        Checks.Add(new Check(name, Str(expected), Str(actual), passed));
        return this;
    }

    public ScenarioResult Equal<T>(string name, T expected, T actual) => Expect(name, expected!, actual!, EqualityComparer<T>.Default.Equals(expected, actual));

    public ScenarioResult AtMost(string name, double max, double actual, string unit = "")
        => Expect(name, "<= " + Fmt.Num(max) + unit, Fmt.Num(actual) + unit, actual <= max);

    public ScenarioResult AtLeast(string name, double min, double actual, string unit = "")
        => Expect(name, ">= " + Fmt.Num(min) + unit, Fmt.Num(actual) + unit, actual >= min);

    public ScenarioResult Metric(string name, object value)
    {
        Metrics.Add((name, Str(value)));
        return this;
    }

    public ScenarioResult Note(string note)
    {
        Notes.Add(note);
        return this;
    }

    private static string Str(object value) => value switch
    {
        double d => Fmt.Num(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    public string ToText()
    {
        var sb = new StringBuilder();
        var title = $"{Name}: {(Passed ? "PASS" : "FAIL")} in {Fmt.Seconds(Duration)}";
        sb.AppendLine(title);
        sb.AppendLine(new string('=', title.Length));
        sb.AppendLine(Description);
        if (Error is not null)
        {
            sb.AppendLine("ERROR: " + Error);
        }

        sb.Append(Table.Text(["check", "expected", "actual", "result"],
            Checks.Select(c => new[] { c.Name, c.Expected, c.Actual, c.Passed ? "PASS" : "FAIL" }).ToList()));
        if (Metrics.Count > 0)
        {
            sb.AppendLine();
            sb.Append(Table.Text(["measurement", "value"], Metrics.Select(m => new[] { m.Name, m.Value }).ToList()));
        }

        foreach (var note in Notes)
        {
            sb.AppendLine("  * " + note);
        }

        return sb.ToString();
    }

    public string ToMarkdown(string size)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"### {Name} ({size}): {(Passed ? "PASS" : "**FAIL**")} ({Fmt.Seconds(Duration)})");
        sb.AppendLine();
        sb.AppendLine(Description);
        sb.AppendLine();
        if (Error is not null)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"**Error:** `{Error}`");
            sb.AppendLine();
        }

        sb.Append(Table.Markdown(["check", "expected", "actual", "result"],
            Checks.Select(c => new[] { c.Name, c.Expected, c.Actual, c.Passed ? "PASS" : "**FAIL**" }).ToList()));
        if (Metrics.Count > 0)
        {
            sb.AppendLine();
            sb.Append(Table.Markdown(["measurement", "value"], Metrics.Select(m => new[] { m.Name, m.Value }).ToList()));
        }

        if (Notes.Count > 0)
        {
            sb.AppendLine();
            foreach (var note in Notes)
            {
                sb.AppendLine("- " + note);
            }
        }

        sb.AppendLine();
        return sb.ToString();
    }
}

public static class Fmt
{
    public static string Num(double value) =>
        double.IsNaN(value) ? "-" : Math.Abs(value - Math.Round(value)) < 1e-9 ? ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture)
            : value.ToString("0.0##", CultureInfo.InvariantCulture);

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    public static string Seconds(double seconds) => double.IsNaN(seconds) ? "-" : seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    public static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms < 1000
        ? ms.ToString("0", CultureInfo.InvariantCulture) + " ms"
        : (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s";

    public static string Counts<TKey>(IEnumerable<KeyValuePair<TKey, int>> counts) where TKey : notnull =>
        string.Join(", ", counts.OrderBy(c => c.Key.ToString(), StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}"));
}

/// <summary>Plain-text and GitHub tables.</summary>
public static class Table
{
    public static string Text(IReadOnlyList<string> headers, IReadOnlyList<string[]> rows)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine(Line([.. headers], widths));
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            sb.AppendLine(Line(row, widths));
        }

        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<string> headers, IReadOnlyList<string[]> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", headers) + " |");
        sb.AppendLine("|" + string.Concat(headers.Select(_ => "---|")));
        foreach (var row in rows)
        {
            sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }

        return sb.ToString();
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", widths.Select((w, i) => (i < cells.Length ? cells[i] : string.Empty).PadRight(w))).TrimEnd();
}

/// <summary>Every scenario result of a run, printed as it finishes and kept for the markdown file.</summary>
public sealed class RunReport
{
    public List<ScenarioResult> Results { get; } = [];

    public bool Passed => Results.Count > 0 && Results.All(r => r.Passed);

    public void Add(ScenarioResult result)
    {
        Results.Add(result);
        Console.WriteLine();
        Console.Write(result.ToText());
        Console.Out.Flush();
    }

    public string Summary()
    {
        var rows = Results.Select(r => new[]
        {
            r.Name, r.Passed ? "PASS" : "FAIL", Fmt.Seconds(r.Duration), $"{r.Checks.Count(c => c.Passed)}/{r.Checks.Count}",
        }).ToList();
        return Table.Text(["scenario", "result", "time", "checks passed"], rows);
    }

    public void WriteMarkdown(string path, string commandLine, string size, bool append = false)
    {
        var sb = new StringBuilder();
        if (append && File.Exists(path))
        {
            sb.AppendLine();
        }
        else if (File.Exists(path) && File.ReadAllText(path) is var existing && existing.IndexOf("\n## Run ", StringComparison.Ordinal) is var at and > 0)
        {
            // Keep what was written by hand above the runs (how to run, findings); replace the runs.
            append = false;
            sb.Append(existing.AsSpan(0, at + 1));
        }
        else
        {
            append = false;
            AppendHeader(sb);
        }

        AppendRun(sb, commandLine, size);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        if (append)
        {
            File.AppendAllText(path, sb.ToString());
        }
        else
        {
            File.WriteAllText(path, sb.ToString());
        }
    }

    private static void AppendHeader(StringBuilder sb)
    {
        sb.AppendLine("# Reliability");
        sb.AppendLine();
        sb.AppendLine("The `## Run` sections are what `tools/MissedCallFunctions.Reliability` printed, unedited: duplicate webhooks, the local host killed with SIGKILL");
        sb.AppendLine("mid-ladder, SMS provider faults, Azurite restarted mid-run, poison events, and a fuzz of every HTTP endpoint. Every scenario");
        sb.AppendLine("runs against the real local stack (its own Azurite, the real Durable Task engine on it, the queue pump, the SMS sandbox)");
        sb.AppendLine("over real HTTP on loopback. Each check says what was expected and what was seen; a failed check fails the run.");
        sb.AppendLine("CI runs the reduced sizes of the same scenarios in `tests/MissedCallFunctions.Tests/Reliability/ReliabilitySuiteTests.cs`.");
        sb.AppendLine();
    }

    private void AppendRun(StringBuilder sb, string commandLine, string size)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"## Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, size {size}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"`{commandLine}`");
        sb.AppendLine();
        sb.AppendLine(Machine.Markdown(Machine.ReliabilityAzurite));
        sb.Append(Table.Markdown(["scenario", "result", "time", "checks passed"], Results.Select(r => new[]
        {
            r.Name, r.Passed ? "PASS" : "**FAIL**", Fmt.Seconds(r.Duration), $"{r.Checks.Count(c => c.Passed)}/{r.Checks.Count}",
        }).ToList()));
        sb.AppendLine();
        foreach (var result in Results)
        {
            sb.Append(result.ToMarkdown(size));
        }
    }
}

