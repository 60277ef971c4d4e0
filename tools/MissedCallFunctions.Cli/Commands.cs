using System.Globalization;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.Reporting;
using MissedCallFunctions.Simulation;
using Spectre.Console;

namespace MissedCallFunctions.Cli;

internal static class Commands
{
    public static async Task<int> SimulateAsync(CliOptions o)
    {
        var clinicsJson = await ReadClinicsAsync(o.ClinicsFile);
        var clinic = PickClinic(clinicsJson, o.ClinicId);
        var week = WeekGenerator.Generate(clinic, DateTimeOffset.UtcNow, o.Seed, o.Days);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(clinic.Name)}[/]: {week.Count} missed calls over {o.Days} days (seed {o.Seed}), time scale {o.TimeScale:0.#}x");
        if (o.Out is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            CallLogReader.Write(path, week);
            AnsiConsole.MarkupLine($"Call log written to [blue]{Markup.Escape(path)}[/]");
        }

        return await RunOneAsync(o, clinicsJson, clinic.Id, week, "simulated week");
    }

    public static async Task<int> ReplayAsync(CliOptions o)
    {
        var clinicsJson = await ReadClinicsAsync(o.ClinicsFile);
        var clinic = PickClinic(clinicsJson, o.ClinicId);
        var log = CallLogReader.Read(o.Log!);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(clinic.Name)}[/]: replaying {log.Count} calls from {Markup.Escape(o.Log!)} at {(o.Speed is { } s ? s.ToString("0.#", CultureInfo.InvariantCulture) + "x" : "max speed")}");
        return await RunOneAsync(o, clinicsJson, clinic.Id, log, "replay");
    }

    public static async Task<int> WhatIfAsync(CliOptions o)
    {
        var a = await ReadClinicsAsync(o.ClinicsFile);
        var b = o.ClinicsB is { } fileB ? await ReadClinicsAsync(fileB) : ClinicVariants.Apply(a, o.VariantB!);
        var clinic = PickClinic(a, o.ClinicId);
        var log = CallLogReader.Read(o.Log!);
        var labelB = o.VariantB ?? Path.GetFileName(o.ClinicsB!);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(clinic.Name)}[/]: {log.Count} calls from {Markup.Escape(o.Log!)}, A = {Markup.Escape(Path.GetFileName(o.ClinicsFile))}, B = {Markup.Escape(labelB)}");

        // One after the other: each run has the machine to itself, and each its own Azurite, tables and task hub.
        SimulationResult? resultA = null, resultB = null;
        await AnsiConsole.Status().StartAsync("A: starting...", async status =>
        {
            (resultA, resultB) = await WhatIf.RunAsync(a, b, clinic.Id, log, Options(o),
                label => new Progress<SimulationProgress>(p => status.Status($"{label}: {p.Stage}: {p.Posted}/{p.Total} calls, {p.TextsToPatients} texts, {p.Replies} replies, {p.Settled} recoveries ended")));
        });
        Output.Funnels(("A: " + Path.GetFileName(o.ClinicsFile), resultA!), ("B: " + labelB, resultB!));
        return 0;
    }

    private static async Task<int> RunOneAsync(CliOptions o, string clinicsJson, string clinicId, IReadOnlyList<LoggedCall> log, string label)
    {
        if (!o.KeepRunning)
        {
            Output.Funnels((label, await RunAsync(o, clinicsJson, clinicId, log, label)));
            return 0;
        }

        await using var stack = await StartStackAsync(o, clinicsJson);
        var result = await PlayAsync(o, stack, clinicId, log, label);
        Output.Funnels((label, result));
        var clinic = stack.Clinics.Single(c => c.Id == clinicId);
        if (clinic.DashboardTokens.FirstOrDefault() is { } token)
        {
            AnsiConsole.MarkupLine($"Dashboard: [blue]{stack.BaseAddress}api/dashboard/{clinicId}?token={Uri.EscapeDataString(token)}[/]");
        }

        AnsiConsole.MarkupLine($"SMS sandbox: [blue]{stack.BaseAddress}sandbox[/]   (Ctrl+C stops the stack)");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: dispose the stack.
        }

        return 0;
    }

    private static async Task<SimulationResult> RunAsync(CliOptions o, string clinicsJson, string clinicId, IReadOnlyList<LoggedCall> log, string label)
    {
        await using var stack = await StartStackAsync(o, clinicsJson);
        return await PlayAsync(o, stack, clinicId, log, label);
    }

    private static async Task<SimulationStack> StartStackAsync(CliOptions o, string clinicsJson)
        => await AnsiConsole.Status().StartAsync("Starting the local stack (Azurite, Durable engine, SMS sandbox)...",
            _ => SimulationStack.StartAsync(clinicsJson, o.TimeScale));

    private static async Task<SimulationResult> PlayAsync(CliOptions o, SimulationStack stack, string clinicId, IReadOnlyList<LoggedCall> log, string label)
    {
        var clinic = stack.Clinics.Single(c => c.Id == clinicId);
        var run = new SimulationRun(stack, clinic, Options(o));
        SimulationResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var posting = ctx.AddTask($"{label}: posting calls", maxValue: Math.Max(1, log.Count));
                var settling = ctx.AddTask($"{label}: recoveries ended", maxValue: 1, autoStart: false);
                var progress = new Progress<SimulationProgress>(p =>
                {
                    posting.Value = p.Posted;
                    if (p.Stage.StartsWith("waiting", StringComparison.Ordinal))
                    {
                        posting.Value = posting.MaxValue;
                        settling.StartTask();
                        settling.Description = $"{label}: recoveries ended ({p.TextsToPatients} texts, {p.Replies} replies)";
                        settling.MaxValue = Math.Max(1, p.Settled);
                        settling.Value = p.Settled;
                    }
                });
                result = await run.RunAsync(log, progress, CancellationToken.None);
                posting.Value = posting.MaxValue;
                settling.MaxValue = Math.Max(1, result.Report.Funnel.Eligible);
                settling.Value = settling.MaxValue - result.Unsettled;
                settling.StopTask();
            });
        return result!;
    }

    private static SimulationOptions Options(CliOptions o)
        => new(o.TimeScale, o.Speed, o.Rate, o.Patients ? new PatientModel(o.Seed) : null, o.Settle);

    private static async Task<string> ReadClinicsAsync(string path)
    {
        var full = Path.IsPathRooted(path) || File.Exists(path) ? path : Path.Combine(AzuriteLauncher.FindRepositoryRoot() ?? ".", path);
        return await File.ReadAllTextAsync(full);
    }

    private static ClinicConfig PickClinic(string clinicsJson, string clinicId)
    {
        var (file, errors) = ClinicConfigValidator.Parse(clinicsJson);
        if (file is null)
        {
            throw new InvalidDataException("The clinics file is not valid: " + string.Join("; ", errors));
        }

        return clinicId.Length == 0
            ? file.Clinics[0]
            : file.Clinics.FirstOrDefault(c => c.Id == clinicId) ?? throw new ArgumentException($"No clinic '{clinicId}' in the clinics file.");
    }
}

internal static class Output
{
    public static void Funnels(params (string Label, SimulationResult Result)[] runs)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Stage");
        foreach (var (label, _) in runs)
        {
            table.AddColumn(new TableColumn(Markup.Escape(label)).RightAligned());
        }

        if (runs.Length == 2)
        {
            table.AddColumn(new TableColumn("B - A").RightAligned());
        }

        void Row(string stage, Func<ClinicReport, int> count, Func<ClinicReport, double?>? rate = null)
        {
            var cells = new List<string> { stage };
            cells.AddRange(runs.Select(r => Cell(count(r.Result.Report), rate?.Invoke(r.Result.Report))));
            if (runs.Length == 2)
            {
                var delta = count(runs[1].Result.Report) - count(runs[0].Result.Report);
                cells.Add(delta == 0 ? "0" : delta > 0 ? $"[green]+{delta}[/]" : $"[red]{delta}[/]");
            }

            table.AddRow(cells.ToArray());
        }

        Row("Missed", r => r.Funnel.Missed);
        Row("Suppressed", r => r.Funnel.Suppressed);
        Row("Eligible", r => r.Funnel.Eligible);
        Row("Texted", r => r.Funnel.Texted, r => r.Funnel.Rates.Texted);
        Row("Delivered", r => r.Funnel.Delivered, r => r.Funnel.Rates.Delivered);
        Row("Replied", r => r.Funnel.Replied, r => r.Funnel.Rates.Replied);
        Row("Booked", r => r.Funnel.Booked, r => r.Funnel.Rates.Booked);
        Row("Follow-up texts", r => r.FollowUps);
        Row("Escalations to staff", r => r.Escalations);
        Row("Open callback tasks", r => r.Tasks.Open);
        AnsiConsole.Write(table);

        foreach (var (label, result) in runs)
        {
            var r = result.Report;
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]{Markup.Escape(label)}[/]: recovered {r.Revenue.Recovered:0} {r.Revenue.Currency}, lost about {r.Revenue.LostEstimate:0} {r.Revenue.Currency}; text-back p50 {r.TextBackLatencyMs.P50} ms, p95 {r.TextBackLatencyMs.P95} ms; {result.Posted} calls posted ({result.Refused} refused), {result.TextsToPatients} texts to patients, {result.Replies} replies, {result.Elapsed.TotalSeconds:0} s"));
            if (result.Unsettled > 0)
            {
                AnsiConsole.MarkupLine($"  [yellow]{result.Unsettled} recoveries were still running when the run stopped waiting (e.g. follow-ups deferred by sending hours)[/]");
            }

            if (r.Outcomes.Count > 0)
            {
                AnsiConsole.MarkupLine("  outcomes: " + Markup.Escape(string.Join(", ", r.Outcomes.Select(p => $"{p.Key} {p.Value}"))));
            }

            if (r.SuppressedByReason.Count > 0)
            {
                AnsiConsole.MarkupLine("  not texted: " + Markup.Escape(string.Join(", ", r.SuppressedByReason.Select(p => $"{p.Key} {p.Value}"))));
            }
        }
    }

    private static string Cell(int count, double? rate)
        => rate is { } r ? string.Create(CultureInfo.InvariantCulture, $"{count} ({r:P0})") : count.ToString(CultureInfo.InvariantCulture);
}
