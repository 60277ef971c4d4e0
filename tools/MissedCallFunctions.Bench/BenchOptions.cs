using System.Globalization;

namespace MissedCallFunctions.Bench;

/// <summary>The command line: <c>[scenario] [--option value]...</c>.</summary>
public sealed class BenchOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project tools/MissedCallFunctions.Bench -- [scenario] [options]

        scenarios
          textback   (default) missed calls at --rate (default 5/s), --calls N (default 100): ingest 202 -> text at the sandbox
          steady     open-loop load: --rate R (default 20/s) for --seconds S (default 30)
          burst      open-loop load: --rate R (default 200/s) for --seconds S (default 60)
          ingest     highest sustained accepted events/s with p99 accept < --target-ms (default 100): closed-loop
                     concurrency ramp (--levels 1,2,4,8,16,32,64), --seconds S per level (default 15)
          floor      bare ACS-sandbox POST, Storage queue send+receive, table insert, GET /health: p50/p99 each
          memory     --recoveries N (default 10000) recoveries left waiting for a reply: host working set before/after,
                     Azurite RSS, time to start them all (--concurrency N requests in flight, --rate R paces them,
                     --max-pending N holds the next call while N recoveries are started but not yet texted)
          tablescan  diagnostic: Azurite partition-query and point-read time against table size (--scan-sizes 1000,10000,50000)
          queuescan  diagnostic: Azurite queue send+receive while another queue holds N invisible messages (--scan-sizes)
          report     reporting API: --clinics N (default 50) x --days N (default 365) clinic-local days of missed-call
                     facts seeded through the store (--seed-parallel N clinics at a time, default 4), then
                     GET /api/clinics/{id}/report over HTTP: cold (every day stale) once per clinic, warm for --rounds N
                     (default 5) over every clinic, and a 30-day range warm
          all        floor + textback (--calls) + steady (--steady-rate, --steady-seconds) [+ burst with --with-burst]

        options
          --calls N              calls for textback (default 100)
          --rate R               calls per second (scenario default)
          --seconds S            load duration (scenario default)
          --warmup N             calls before measuring, not counted (default 5)
          --loss-window S        a call with no text this long after its 202 counts as lost (default 60)
          --concurrency N        memory: parallel ingest requests (default 16)
          --levels a,b,c         ingest: concurrency levels (default 1,2,4,8,16,32,64)
          --target-ms N          ingest: p99 accept-time target (default 100)
          --scan-sizes a,b,c     tablescan: table sizes in rows (default 1000,10000,50000)
          --clinics N            report: clinics seeded (default 50)
          --days N               report: clinic-local days per clinic, ending today (default 365)
          --rounds N             report: warm rounds over every clinic (default 5)
          --seed-parallel N      report: clinics seeded at a time (default 4)
          --samples N            floor: samples per measurement (default 500)
          --processor on|off     run the call-events queue processor (default on)
          --ladder-after T       first ladder step, a TimeSpan (default 1.00:00:00: recoveries wait for a reply)
          --steady-rate R, --steady-seconds S, --burst-rate R, --burst-seconds S   for 'all'
          --with-burst           'all' also runs burst
          --no-floor             do not measure the floor first (it is measured first by default in every scenario)
          --durable-azurite      run the Durable task hub on a second Azurite process (its own core), not the pipeline's
          --trace-storage        textback/steady/burst: count and time every outgoing HTTP call (Azurite, sandbox) per recovery
          --set Key=Value        extra host configuration, e.g. --set Durable:MaxQueuePollingInterval=00:00:00.100
          --markdown FILE        write the result tables with the machine description to FILE
                                 ('all' writes artifacts/bench/bench-<time>.md when this is not given)
          --append               append to the markdown file instead of overwriting it
        """;

    public string Scenario { get; private set; } = "textback";

    public int Calls { get; private set; } = 100;

    public double? Rate { get; private set; }

    public double? Seconds { get; private set; }

    public int Warmup { get; private set; } = 5;

    public TimeSpan LossWindow { get; private set; } = TimeSpan.FromSeconds(60);

    public int Recoveries { get; private set; } = 10_000;

    public int Concurrency { get; private set; } = 16;

    public int? MaxPending { get; private set; }

    public int[] Levels { get; private set; } = [1, 2, 4, 8, 16, 32, 64];

    public double TargetMs { get; private set; } = 100;

    public int[] ScanSizes { get; private set; } = [1000, 10_000, 50_000];

    public int FloorSamples { get; private set; } = 500;

    public int ReportClinics { get; private set; } = 50;

    public int ReportDays { get; private set; } = 365;

    public int ReportRounds { get; private set; } = 5;

    public int SeedParallel { get; private set; } = 4;

    public bool Processor { get; private set; } = true;

    public TimeSpan LadderFirstStep { get; private set; } = TimeSpan.FromDays(1);

    public double SteadyRate { get; private set; } = 20;

    public double SteadySeconds { get; private set; } = 30;

    public double BurstRate { get; private set; } = 200;

    public double BurstSeconds { get; private set; } = 60;

    public bool WithBurst { get; private set; }

    public bool Floor { get; private set; } = true;

    public bool TraceStorage { get; private set; }

    /// <summary>Runs the Durable task hub on a second Azurite process (Durable:ConnectionString).</summary>
    public bool DurableAzurite { get; private set; }

    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? Markdown { get; private set; }

    public bool Append { get; private set; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            o.Scenario = args[0].ToLowerInvariant();
            i = 1;
        }

        string Next(string name) => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
        static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        static int Whole(string text) => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);

        for (; i < args.Length; i++)
        {
            var name = args[i];
            switch (name)
            {
                case "--calls": o.Calls = Whole(Next(name)); break;
                case "--recoveries": o.Recoveries = Whole(Next(name)); break;
                case "--rate": o.Rate = Number(Next(name)); break;
                case "--seconds": o.Seconds = Number(Next(name)); break;
                case "--warmup": o.Warmup = Whole(Next(name)); break;
                case "--loss-window": o.LossWindow = TimeSpan.FromSeconds(Number(Next(name))); break;
                case "--concurrency": o.Concurrency = Whole(Next(name)); break;
                case "--max-pending": o.MaxPending = Whole(Next(name)); break;
                case "--levels": o.Levels = Next(name).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Whole).ToArray(); break;
                case "--target-ms": o.TargetMs = Number(Next(name)); break;
                case "--scan-sizes": o.ScanSizes = Next(name).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Whole).ToArray(); break;
                case "--samples": o.FloorSamples = Whole(Next(name)); break;
                case "--clinics": o.ReportClinics = Whole(Next(name)); break;
                case "--days": o.ReportDays = Whole(Next(name)); break;
                case "--rounds": o.ReportRounds = Whole(Next(name)); break;
                case "--seed-parallel": o.SeedParallel = Whole(Next(name)); break;
                case "--processor": o.Processor = Next(name).ToLowerInvariant() is "on" or "true" or "1"; break;
                case "--ladder-after": o.LadderFirstStep = TimeSpan.Parse(Next(name), CultureInfo.InvariantCulture); break;
                case "--steady-rate": o.SteadyRate = Number(Next(name)); break;
                case "--steady-seconds": o.SteadySeconds = Number(Next(name)); break;
                case "--burst-rate": o.BurstRate = Number(Next(name)); break;
                case "--burst-seconds": o.BurstSeconds = Number(Next(name)); break;
                case "--with-burst": o.WithBurst = true; break;
                case "--no-floor": o.Floor = false; break;
                case "--durable-azurite": o.DurableAzurite = true; break;
                case "--trace-storage": o.TraceStorage = true; break;
                case "--markdown": o.Markdown = Next(name); break;
                case "--append": o.Append = true; break;
                case "--set":
                    var pair = Next(name);
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException("--set takes Key=Value.");
                    }

                    o.Settings[pair[..eq]] = pair[(eq + 1)..];
                    break;
                case "-h" or "--help":
                    o.Scenario = "help";
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        if (o.Scenario is not ("textback" or "steady" or "burst" or "ingest" or "floor" or "memory" or "tablescan" or "queuescan" or "report" or "all" or "help"))
        {
            throw new ArgumentException($"Unknown scenario '{o.Scenario}'.");
        }

        return o;
    }
}
