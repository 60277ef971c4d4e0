using System.Diagnostics;
using MissedCallFunctions.Reliability;
using MissedCallFunctions.Reliability.Scenarios;

// Reliability scenarios against the real local stack. Each scenario starts its own Azurite and local host(s), drives them
// over loopback HTTP, prints a result table, and the run exits non-zero when any check failed. See ReliabilityOptions.Usage.
ReliabilityOptions options;
try
{
    options = ReliabilityOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(ReliabilityOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(ReliabilityOptions.Usage);
    return 0;
}

Machine.Print(Machine.ReliabilityAzurite);
Console.WriteLine($"size {options.Size}, seed {options.Seed}, scenarios: {string.Join(", ", options.Run)}");
var report = new RunReport();
foreach (var name in options.Run)
{
    var random = new Random(HashCode.Combine(options.Seed, name.GetHashCode(StringComparison.Ordinal)));
    Console.WriteLine();
    Console.WriteLine($"-- {name} ({options.Size}) started {DateTimeOffset.Now:HH:mm:ss}");
    var started = Stopwatch.GetTimestamp();
    var loadBefore = LoadAverage();
    ScenarioResult result;
    try
    {
        result = name switch
        {
            "duplicates" => await DuplicatesScenario.RunAsync(options, random),
            "kill" => await KillScenario.RunAsync(options, random),
            "sms-faults" => await SmsFaultsScenario.RunAsync(options, random),
            "azurite-restart" => await AzuriteRestartScenario.RunAsync(options, random),
            "poison" => await PoisonScenario.RunAsync(options, random),
            "fuzz" => await FuzzScenario.RunAsync(options, random),
            _ => throw new ArgumentException(name),
        };
    }
    catch (Exception ex)
    {
        result = new ScenarioResult(name, "The scenario did not finish.") { Error = ex.GetType().Name + ": " + ex.Message };
        Console.Error.WriteLine(ex);
    }

    result.Duration = Stopwatch.GetElapsedTime(started);
    // The machine may be shared (other builds, tests or benchmarks): say how busy it was.
    result.Metric("load average (1 min) at start / end", $"{loadBefore} / {LoadAverage()} on {Environment.ProcessorCount} cores");
    report.Add(result);
}

Console.WriteLine();
Console.Write(report.Summary());
if (options.Markdown is { } path)
{
    var command = "dotnet run -c Release --project tools/MissedCallFunctions.Reliability -- " + string.Join(' ', args);
    report.WriteMarkdown(path, command, options.Size, options.Append);
    Console.WriteLine($"Markdown written to {path}");
}

return report.Passed ? 0 : 1;

static string LoadAverage()
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
