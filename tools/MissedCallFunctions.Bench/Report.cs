using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;

namespace MissedCallFunctions.Bench;


public static class Fmt
{
    public static string Ms(double ms, string? lostLabel = null)
    {
        if (double.IsNaN(ms))
        {
            return "-";
        }

        if (double.IsPositiveInfinity(ms))
        {
            return lostLabel ?? "lost";
        }

        return ms switch
        {
            < 10 => ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
            < 1000 => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
            _ => (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s",
        };
    }

    public static string Num(double value, string format = "0.0") =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "?";

    public static string Int(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string MiB(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    public static string Ratio(double value, double floor) =>
        double.IsFinite(value) && double.IsFinite(floor) && floor > 0 ? (value / floor).ToString("0.0", CultureInfo.InvariantCulture) + "x" : "-";
}

/// <summary>A plain table, printed as aligned text on the console and as a GitHub table in markdown.</summary>
public sealed class Table(string title, params string[] headers)
{
    public string Title { get; } = title;

    public IReadOnlyList<string> Headers { get; } = headers;

    public List<string[]> Rows { get; } = [];

    public List<string> Notes { get; } = [];

    public Table Row(params string[] cells)
    {
        Rows.Add(cells);
        return this;
    }

    public Table Note(string note)
    {
        Notes.Add(note);
        return this;
    }

    public string ToText()
    {
        var widths = Headers.Select((h, i) => Math.Max(h.Length, Rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine(Title);
        sb.AppendLine(new string('=', Math.Max(Title.Length, 3)));
        sb.AppendLine(Line(Headers.ToArray(), widths));
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in Rows)
        {
            sb.AppendLine(Line(row, widths));
        }

        foreach (var note in Notes)
        {
            sb.AppendLine("  * " + note);
        }

        return sb.ToString();
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"#### {Title}");
        sb.AppendLine();
        sb.AppendLine("| " + string.Join(" | ", Headers) + " |");
        sb.AppendLine("|" + string.Concat(Headers.Select((_, i) => i == 0 ? "---|" : "---:|")));
        foreach (var row in Rows)
        {
            sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
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

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", widths.Select((w, i) =>
        {
            var cell = i < cells.Length ? cells[i] : string.Empty;
            return i == 0 ? cell.PadRight(w) : cell.PadLeft(w);
        })).TrimEnd();
}

/// <summary>Everything a run printed, kept for the markdown file.</summary>
public sealed class Report
{
    public List<Table> Tables { get; } = [];

    public void Add(Table table)
    {
        Tables.Add(table);
        Console.WriteLine();
        Console.Write(table.ToText());
    }

    public void WriteMarkdown(string path, string commandLine, bool append)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"### Bench run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"`{commandLine}`");
        sb.AppendLine();
        sb.AppendLine(Machine.Markdown(Machine.BenchAzurite));
        foreach (var table in Tables)
        {
            sb.Append(table.ToMarkdown());
        }

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
}

