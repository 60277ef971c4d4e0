using System.Diagnostics;
using System.Globalization;

namespace MissedCallFunctions.Bench;

/// <summary>CPU time of the host process (this one) and of Azurite over an interval, from /proc/&lt;pid&gt;/stat.</summary>
public sealed class CpuMeter
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly int[] _azuritePids;
    private readonly long _start;
    private readonly double _host;
    private readonly double _azurite;
    private readonly double _machineBusy;

    /// <param name="azuritePids">Every Azurite process of the run (two with --durable-azurite): reported together.</param>
    public CpuMeter(params int[] azuritePids)
    {
        _azuritePids = azuritePids;
        _start = Stopwatch.GetTimestamp();
        _host = CpuSeconds(Environment.ProcessId);
        _azurite = azuritePids.Sum(CpuSeconds);
        _machineBusy = MachineBusySeconds();
    }

    /// <summary>"host 123% / Azurite 87% of one core (2 cores = 200%)" since construction.</summary>
    public string Describe()
    {
        var (host, azurite) = Utilization();
        var other = OtherPercent(host, azurite);
        return string.Create(CultureInfo.InvariantCulture,
            $"CPU over the run: host process {Fmt.Num(host, "0")}%, Azurite {Fmt.Num(azurite, "0")}%, other processes on the machine {Fmt.Num(other, "0")}% of one core ({Environment.ProcessorCount} cores = {Environment.ProcessorCount * 100}%); 1-min load average at the end {Machine.LoadAverage()}");
    }

    public (double HostPercent, double AzuritePercent) Utilization()
    {
        var wall = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (wall <= 0)
        {
            return (double.NaN, double.NaN);
        }

        return ((CpuSeconds(Environment.ProcessId) - _host) / wall * 100, (_azuritePids.Sum(CpuSeconds) - _azurite) / wall * 100);
    }

    /// <summary>Everything else the machine ran meanwhile (other builds, tests), in percent of one core.</summary>
    public double OtherPercent(double hostPercent, double azuritePercent)
    {
        var wall = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        return wall <= 0 ? double.NaN : Math.Max(0, (MachineBusySeconds() - _machineBusy) / wall * 100 - hostPercent - azuritePercent);
    }

    /// <summary>Busy CPU seconds of the whole machine (all cores) from the first line of /proc/stat.</summary>
    private static double MachineBusySeconds()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal ...
            var busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v.Length > 7 ? v[7] : 0);
            return busy / TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
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
