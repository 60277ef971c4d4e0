using System.Globalization;
using MissedCallFunctions.Cli;
using Spectre.Console;

// mcf: replay a call log, simulate a week, or compare two clinic configurations on the same calls, each on a local
// stack of its own (Azurite, real Durable engine, SMS sandbox). See Usage.
try
{
    var options = CliOptions.Parse(args);
    return options.Command switch
    {
        "simulate" => await Commands.SimulateAsync(options),
        "replay" => await Commands.ReplayAsync(options),
        "what-if" => await Commands.WhatIfAsync(options),
        _ => Help(),
    };
}
catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidDataException or FileNotFoundException or OverflowException)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
    AnsiConsole.WriteLine();
    AnsiConsole.WriteLine(CliOptions.Usage);
    return 2;
}

static int Help()
{
    AnsiConsole.WriteLine(CliOptions.Usage);
    return 0;
}

namespace MissedCallFunctions.Cli
{
    /// <summary>The command line, parsed and checked.</summary>
    internal sealed record CliOptions(
        string Command,
        string? Log,
        string ClinicsFile,
        string ClinicId,
        double TimeScale,
        double? Speed,
        double Rate,
        int Seed,
        int Days,
        bool Patients,
        string? Out,
        string? ClinicsB,
        string? VariantB,
        TimeSpan Settle,
        bool KeepRunning)
    {
        public const string Usage = """
            mcf — replay, simulate and what-if runs of MissedCallFunctions on a local stack (Azurite, real Durable engine, SMS sandbox)

            Commands:
              simulate                 a synthetic week of missed calls for a clinic (miss rates by hour from practice surveys),
                                       with simulated patients answering in the SMS sandbox; prints the funnel
              replay <log>             a call log through the local stack: JSON (our event schema), CSV in our schema
                                       (occurredAt,clinicNumber,caller,outcome[,ringSeconds,callerName,callId]) or a Twilio call-log CSV export
              what-if <log>            the same log under two configurations (A: --clinics, B: --clinics-b or --variant), funnels side by side

            Options:
              --clinics <file>         clinics file (default samples/clinics.sample.json)
              --clinic <id>            which clinic (default: the first in the file)
              --time-scale <n>         simulated seconds per real second: ladder and reply timeouts divided by n (default 900;
                                       business-day steps count 24 h a day; opening and sending hours follow the real clock)
              --speed <n|max>          replay pacing: the log's own gaps divided by n, or max (default max)
              --rate <n>               at most n calls posted per second (default 5)
              --patients <on|off>      simulated patients answer texts (default on for simulate and what-if, off for replay)
              --seed <n>               random seed for the week and the patients (default 7)
              --days <n>               simulate: days of calls, ending now (default 7)
              --out <file>             simulate: also write the generated call log (JSON) for replay / what-if
              --clinics-b <file>       what-if: configuration B as a clinics file
              --variant <name>         what-if: configuration B as a change to A: no-follow-up | follow-up-after=HH:MM:SS |
                                       no-quiet-hours | quiet-hours=HH:MM-HH:MM | no-booking
              --settle <seconds>       how long to wait for recoveries to end after the last call (default 180)
              --keep-running           simulate/replay: keep the stack up afterwards and print the dashboard link (Ctrl+C stops)

            Examples:
              dotnet run --project tools/MissedCallFunctions.Cli -- simulate --out artifacts/week.json
              dotnet run --project tools/MissedCallFunctions.Cli -- what-if artifacts/week.json --variant no-follow-up
            """;

        public static CliOptions Parse(string[] args)
        {
            if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
            {
                return Default("help");
            }

            var command = args[0];
            if (command is not ("simulate" or "replay" or "what-if"))
            {
                throw new ArgumentException($"Unknown command '{command}'.");
            }

            var o = Default(command);
            var i = 1;
            if (command is "replay" or "what-if")
            {
                if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"{command} needs a call log file.");
                }

                o = o with { Log = args[1], Patients = command == "what-if" };
                i = 2;
            }

            for (; i < args.Length; i++)
            {
                var name = args[i];
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
                double Number() => double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
                o = name switch
                {
                    "--clinics" => o with { ClinicsFile = Value() },
                    "--clinic" => o with { ClinicId = Value() },
                    "--time-scale" => o with { TimeScale = Positive(Number(), name) },
                    "--speed" => Value() is var s && s == "max" ? o with { Speed = null } : o with { Speed = Positive(double.Parse(s, CultureInfo.InvariantCulture), name) },
                    "--rate" => o with { Rate = Positive(Number(), name) },
                    "--patients" => o with { Patients = Value() switch { "on" => true, "off" => false, var v => throw new ArgumentException($"--patients is on or off, not '{v}'.") } },
                    "--seed" => o with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--days" => o with { Days = (int)Positive(Number(), name) },
                    "--out" => o with { Out = Value() },
                    "--clinics-b" => o with { ClinicsB = Value() },
                    "--variant" => o with { VariantB = Value() },
                    "--settle" => o with { Settle = TimeSpan.FromSeconds(Positive(Number(), name)) },
                    "--keep-running" => o with { KeepRunning = true },
                    _ => throw new ArgumentException($"Unknown option '{name}'."),
                };
            }

            if (command == "what-if" && (o.ClinicsB is null) == (o.VariantB is null))
            {
                throw new ArgumentException("what-if needs configuration B: either --clinics-b <file> or --variant <name>.");
            }

            return o;
        }

        private static CliOptions Default(string command) => new(command, null, "samples/clinics.sample.json", string.Empty, 900, null, 5, 7, 7, true, null,
            null, null, TimeSpan.FromSeconds(180), false);

        private static double Positive(double value, string name)
            => value > 0 && !double.IsInfinity(value) ? value : throw new ArgumentException($"{name} must be a positive number.");
    }
}
