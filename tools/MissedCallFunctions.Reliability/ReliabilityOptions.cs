using System.Globalization;

namespace MissedCallFunctions.Reliability;

/// <summary>The command line: <c>scenario [--size reduced|full] [--markdown FILE] [--seed N]</c>.</summary>
public sealed class ReliabilityOptions
{
    public static readonly string[] Scenarios = ["duplicates", "kill", "sms-faults", "azurite-restart", "poison", "fuzz"];

    public const string Usage = """
        usage: dotnet run -c Release --project tools/MissedCallFunctions.Reliability -- <scenario> [options]

        scenarios (each starts its own Azurite and local host(s); sizes: reduced / full)
          duplicates       every webhook of N missed calls (50 / 500) delivered 5 times, shuffled, concurrently, to two local
                           hosts sharing storage, queue and Durable task hub: exactly one text-back per missed call
          kill             N live ladders (20 / 200) on a child-process local host SIGKILLed 2-3 times at random and restarted:
                           every ladder completes, every step sent exactly once (standalone SMS sandbox)
          sms-faults       the SMS sandbox answers 429, then 503, then times out, for 30 s while N recoveries (20 / 100) start:
                           every text-back sent exactly once; the longest delay
          azurite-restart  Azurite (persistent data) stopped and started mid-run while calls flow: 5xx window, then every
                           accepted call texted back exactly once
          poison           signed events with impossible content are refused at ingest (400); written to the queue, they end in
                           the poison queue with a reason; good calls keep flowing
          fuzz             >= 1,000 (reduced) / 5,000 (full) bad requests against every HTTP endpoint: all 4xx, nothing queued or
                           recorded, host healthy; no full number or message body in Information+ logs
          all              every scenario in turn

        options
          --size reduced|full   scenario sizes (default reduced)
          --markdown FILE       write the results with the machine description to FILE
          --append              append this run to the markdown file instead of overwriting it
          --seed N              random seed (default: time-based; printed)
        """;

    public List<string> Run { get; } = [];

    public string Size { get; private set; } = "reduced";

    public bool Full => Size == "full";

    public string? Markdown { get; private set; }

    public bool Append { get; private set; }

    public int Seed { get; private set; } = Environment.TickCount & 0x7fffffff;

    public bool Help { get; private set; }

    public static ReliabilityOptions Parse(string[] args)
    {
        var o = new ReliabilityOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--size":
                    o.Size = Next().ToLowerInvariant();
                    if (o.Size is not ("reduced" or "full"))
                    {
                        throw new ArgumentException("--size is reduced or full.");
                    }

                    break;
                case "--markdown":
                    o.Markdown = Next();
                    break;
                case "--append":
                    o.Append = true;
                    break;
                case "--seed":
                    o.Seed = int.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture);
                    break;
                case "-h" or "--help" or "help":
                    o.Help = true;
                    break;
                default:
                    if (arg.StartsWith('-'))
                    {
                        throw new ArgumentException($"Unknown option '{arg}'.");
                    }

                    var name = arg.ToLowerInvariant();
                    if (name == "all")
                    {
                        o.Run.AddRange(Scenarios);
                    }
                    else if (Scenarios.Contains(name))
                    {
                        o.Run.Add(name);
                    }
                    else
                    {
                        throw new ArgumentException($"Unknown scenario '{arg}'.");
                    }

                    break;
            }
        }

        if (o.Run.Count == 0 && !o.Help)
        {
            throw new ArgumentException("Name a scenario (or all).");
        }

        return o;
    }
}
