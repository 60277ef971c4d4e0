using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;

// Shared by the benchmark and the reliability tools (linked into both projects).
namespace MissedCallFunctions.Tools;

/// <summary>What the figures were measured on.</summary>
public static class Machine
{
    public const string BenchAzurite = "in memory, separate process";
    public const string ReliabilityAzurite = "a separate process per scenario";

    /// <param name="azuriteSetup">How the tool runs Azurite (e.g. "in memory, separate process").</param>
    public static IReadOnlyList<(string Name, string Value)> Describe(string azuriteSetup)
    {
        var gc = GCSettings.IsServerGC ? "server" : "workstation";
        var datas = GC.GetConfigurationVariables().TryGetValue("GCDynamicAdaptationMode", out var mode) ? $", GCDynamicAdaptationMode={mode}" : string.Empty;
        return
        [
            ("CPU", $"{CpuModel()} ({Environment.ProcessorCount} logical cores visible to .NET)"),
            ("RAM", MemTotal()),
            ("OS", OsName() + ", kernel " + KernelRelease()),
            (".NET", RuntimeInformation.FrameworkDescription + $" ({RuntimeInformation.ProcessArchitecture}, {gc} GC{datas})"),
            ("Azurite", AzuriteVersion() + " on " + NodeVersion() + ", " + azuriteSetup),
            ("Code", GitDescription()),
        ];
    }

    public static string Markdown(string azuriteSetup)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| machine | |");
        sb.AppendLine("|---|---|");
        foreach (var (name, value) in Describe(azuriteSetup))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        }

        return sb.ToString();
    }

    public static void Print(string azuriteSetup)
    {
        foreach (var (name, value) in Describe(azuriteSetup))
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
