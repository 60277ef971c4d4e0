using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;

namespace MissedCallFunctions.Bench;

/// <summary>Latency samples in milliseconds; a lost sample counts as +infinity so percentiles never flatter a run with losses.</summary>
public sealed class Samples
{
    private readonly List<double> _values = [];
    private readonly Lock _gate = new();

    public void Add(double milliseconds)
    {
        lock (_gate)
        {
            _values.Add(milliseconds);
        }
    }

    public void AddLost() => Add(double.PositiveInfinity);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _values.Count;
            }
        }
    }

    /// <summary>Nearest-rank percentile (p in 0..100); NaN when empty.</summary>
    public double Percentile(double p)
    {
        double[] sorted;
        lock (_gate)
        {
            sorted = [.. _values];
        }

        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public double Max => Percentile(100);

    public double Mean
    {
        get
        {
            lock (_gate)
            {
                var finite = _values.Where(double.IsFinite).ToList();
                return finite.Count == 0 ? double.NaN : finite.Average();
            }
        }
    }
}

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
        sb.AppendLine(Machine.Markdown());
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

/// <summary>What the figures were measured on.</summary>
public static class Machine
{
    public static IReadOnlyList<(string Name, string Value)> Describe()
    {
        var gc = GCSettings.IsServerGC ? "server" : "workstation";
        var datas = GC.GetConfigurationVariables().TryGetValue("GCDynamicAdaptationMode", out var mode) ? $", GCDynamicAdaptationMode={mode}" : string.Empty;
        return
        [
            ("CPU", $"{CpuModel()} ({Environment.ProcessorCount} logical cores visible to .NET)"),
            ("RAM", MemTotal()),
            ("OS", OsName() + ", kernel " + KernelRelease()),
            (".NET", RuntimeInformation.FrameworkDescription + $" ({RuntimeInformation.ProcessArchitecture}, {gc} GC{datas})"),
            ("Azurite", AzuriteVersion() + " on " + NodeVersion() + ", in memory, separate process"),
            ("Code", GitDescription()),
        ];
    }

    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| machine | |");
        sb.AppendLine("|---|---|");
        foreach (var (name, value) in Describe())
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        }

        return sb.ToString();
    }

    public static void Print()
    {
        foreach (var (name, value) in Describe())
        {
            Console.WriteLine($"{name,-8} {value}");
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string MemTotal()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return (kb / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB (MemTotal)";
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or FormatException)
        {
            return "unknown";
        }
    }

    private static string OsName()
    {
        try
        {
            var line = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.OSDescription : line["PRETTY_NAME=".Length..].Trim('"');
        }
        catch (IOException)
        {
            return "unknown OS";
        }
    }

    private static string KernelRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return Environment.OSVersion.VersionString;
        }
    }

    private static string AzuriteVersion()
    {
        var root = LocalHost.AzuriteLauncher.FindRepositoryRoot();
        var package = root is null ? null : Path.Combine(root, "node_modules", "azurite", "package.json");
        if (package is null || !File.Exists(package))
        {
            return "Azurite";
        }

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(package));
        return "Azurite " + (doc.RootElement.TryGetProperty("version", out var v) ? v.GetString() : "?");
    }

    private static string NodeVersion() => Run("node", "--version") is { Length: > 0 } v ? "Node " + v : "node";

    private static string GitDescription()
    {
        var root = LocalHost.AzuriteLauncher.FindRepositoryRoot();
        if (root is null)
        {
            return "unknown";
        }

        var head = Run("git", $"-C \"{root}\" rev-parse --short HEAD");
        var changed = Run("git", $"-C \"{root}\" status --porcelain --untracked-files=no")?.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
        return string.IsNullOrEmpty(head) ? "unknown" : $"git {head}" + (changed > 0 ? $" + {changed} modified tracked file(s) in the working tree" : string.Empty);
    }

    /// <summary>One-minute load average (runnable + waiting tasks), a sign of other work on the machine.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string? Run(string file, string arguments)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
