using System.Diagnostics;
using System.Globalization;

namespace MissedCallFunctions.Bench;

/// <summary>CPU time of the host process (this one) and of Azurite over an interval, from /proc/&lt;pid&gt;/stat.</summary>
public sealed class CpuMeter
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly int _azuritePid;
    private readonly long _start;
    private readonly double _host;
    private readonly double _azurite;

    public CpuMeter(int azuritePid)
    {
        _azuritePid = azuritePid;
        _start = Stopwatch.GetTimestamp();
        _host = CpuSeconds(Environment.ProcessId);
        _azurite = CpuSeconds(azuritePid);
    }

    /// <summary>"host 123% / Azurite 87% of one core (2 cores = 200%)" since construction.</summary>
    public string Describe()
    {
        var (host, azurite) = Utilization();
        return string.Create(CultureInfo.InvariantCulture,
            $"CPU over the run: host process {host:0}%, Azurite {azurite:0}% of one core ({Environment.ProcessorCount} cores = {Environment.ProcessorCount * 100}%)");
    }

    public (double HostPercent, double AzuritePercent) Utilization()
    {
        var wall = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (wall <= 0)
        {
            return (double.NaN, double.NaN);
        }

        return ((CpuSeconds(Environment.ProcessId) - _host) / wall * 100, (CpuSeconds(_azuritePid) - _azurite) / wall * 100);
    }

    private static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which is in parentheses and may contain spaces): state is field 3.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) / TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }
}
