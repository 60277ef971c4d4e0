using System.Globalization;
using MissedCallFunctions.Bench;

// Benchmarks of the local stack. Every scenario starts its own in-memory Azurite and an in-process local host (real
// Durable engine on that Azurite, queue pump, SMS sandbox), drives it over real HTTP with signed generic webhooks, and
// prints plain-text tables. See BenchOptions.Usage.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.Scenario == "help")
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

Machine.Print(Machine.BenchAzurite);
Interrupt.Install();
var report = new Report();
await using (var stack = await BenchStack.StartAsync(options))
{
    using var trace = options.TraceStorage ? new StorageTrace(stack, stack.RunId) : null;
    FloorResult? floor = null;
    if (options.Floor || options.Scenario is "floor" or "all")
    {
        floor = await FloorResult.MeasureAsync(stack, options.FloorSamples, report);
    }

    switch (options.Scenario)
    {
        case "floor":
            break;
        case "textback":
            await LoadScenarios.WarmUpAsync(stack, options.Warmup, options.Processor);
            await LoadScenarios.RunAsync(stack, "textback", options.Rate ?? 5, options.Calls, options.LossWindow, floor, report, trace);
            break;
        case "steady":
            await LoadScenarios.WarmUpAsync(stack, options.Warmup, options.Processor);
            await RunRateAsync("steady", options.Rate ?? 20, options.Seconds ?? 30);
            break;
        case "burst":
            await LoadScenarios.WarmUpAsync(stack, options.Warmup, options.Processor);
            await RunRateAsync("burst", options.Rate ?? 200, options.Seconds ?? 60);
            break;
        case "ingest":
            await LoadScenarios.WarmUpAsync(stack, options.Warmup, options.Processor);
            await IngestScenario.RunAsync(stack, options.Levels, options.Seconds ?? 15, options.TargetMs, options.Processor, floor, report);
            break;
        case "memory":
            await LoadScenarios.WarmUpAsync(stack, options.Warmup, options.Processor);
            await MemoryScenario.RunAsync(stack, options.Recoveries, options.Concurrency, options.Rate, options.MaxPending, report);
            break;
        case "tablescan":
            await TableScanScenario.RunAsync(stack, options.ScanSizes, report);
            break;
        case "report":
            await ReportScenario.RunAsync(stack, options.ReportClinics, options.ReportDays, options.ReportRounds, options.SeedParallel, report);
            break;
        case "queuescan":
            await TableScanScenario.RunQueueAsync(stack, options.ScanSizes, report);
            break;
        case "all":
            await LoadScenarios.WarmUpAsync(stack, options.Warmup, options.Processor);
            await LoadScenarios.RunAsync(stack, "textback", options.Rate ?? 5, options.Calls, options.LossWindow, floor, report, trace);
            await RunRateAsync("steady", options.SteadyRate, options.SteadySeconds);
            if (options.WithBurst)
            {
                await RunRateAsync("burst", options.BurstRate, options.BurstSeconds);
            }

            break;
    }

    Task RunRateAsync(string name, double rate, double seconds)
        => LoadScenarios.RunAsync(stack, name, rate, (int)Math.Round(rate * seconds), options.LossWindow, floor, report, trace);
}

// 'all' always leaves a markdown section behind: in artifacts/bench/ (git-ignored) unless --markdown says where.
var markdown = options.Markdown;
if (markdown is null && options.Scenario == "all" && MissedCallFunctions.LocalHost.AzuriteLauncher.FindRepositoryRoot() is { } root)
{
    markdown = Path.Combine(root, "artifacts", "bench", string.Create(CultureInfo.InvariantCulture, $"bench-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.md"));
}

if (markdown is { } path)
{
    var command = "dotnet run -c Release --project tools/MissedCallFunctions.Bench -- " + string.Join(' ', args);
    report.WriteMarkdown(path, command, options.Append);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Markdown written to {path}"));
}

return 0;
