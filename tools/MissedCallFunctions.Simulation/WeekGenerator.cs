using System.Globalization;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Common;

namespace MissedCallFunctions.Simulation;

/// <summary>
/// A synthetic week of a clinic's missed calls from the statistics practices report (product.md): peak miss rates of
/// 25-30% on Monday 9-11 and Friday 14-16, 8-12% off-peak, lunch gaps, every after-hours call missed; about one
/// call in ten from a landline or a withheld number, and some callers who try again. Deterministic for a seed.
/// </summary>
public static class WeekGenerator
{
    /// <summary>Calls per open hour on an ordinary weekday (a busy single-site practice takes 40-60 calls a day).</summary>
    public const double CallsPerOpenHour = 6.0;

    public static IReadOnlyList<LoggedCall> Generate(ClinicConfig clinic, DateTimeOffset endUtc, int seed, int days = 7)
    {
        var random = new Random(seed);
        var zone = ClinicCalendar.TimeZoneOf(clinic);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(endUtc, zone).DateTime);
        var calls = new List<LoggedCall>();
        var earlierCallers = new List<string>();
        for (var d = days - 1; d >= 0; d--)
        {
            var date = today.AddDays(-d);
            for (var hour = 0; hour < 24; hour++)
            {
                var hourStart = ClinicCalendar.ToInstant(date, new TimeOnly(hour, 0), zone);
                var open = ClinicCalendar.IsOpen(clinic, hourStart.AddMinutes(30));
                var volume = CallVolume(date.DayOfWeek, hour, open);
                var count = Poisson(random, volume);
                for (var i = 0; i < count; i++)
                {
                    var at = hourStart.AddSeconds(random.Next(3600));
                    if (at >= endUtc)
                    {
                        continue;
                    }

                    var stillOpen = ClinicCalendar.IsOpen(clinic, at);
                    if (random.NextDouble() >= MissRate(date.DayOfWeek, hour, stillOpen))
                    {
                        continue; // answered: not in the missed-call log
                    }

                    var caller = Caller(clinic, random, earlierCallers);
                    calls.Add(new LoggedCall(at.ToUniversalTime(), clinic.Numbers[0], caller, Outcome(random), 15 + random.Next(30),
                        CallId: string.Create(CultureInfo.InvariantCulture, $"sim-{seed}-{calls.Count:D5}")));
                }
            }
        }

        return calls.OrderBy(c => c.OccurredAt).ToList();
    }

    /// <summary>Expected calls in an hour: busier Monday mornings and Friday afternoons, a trickle when closed.</summary>
    public static double CallVolume(DayOfWeek day, int hour, bool open)
    {
        if (!open)
        {
            return hour is >= 7 and < 9 or >= 17 and < 21 ? 1.0 : hour is >= 21 or < 7 ? 0.1 : 0.6;
        }

        var factor = day switch
        {
            DayOfWeek.Monday when hour < 12 => 1.6,
            DayOfWeek.Friday when hour >= 14 => 1.3,
            DayOfWeek.Saturday or DayOfWeek.Sunday => 0.7,
            _ => 1.0,
        };
        return CallsPerOpenHour * factor;
    }

    /// <summary>The share of calls that ring out.</summary>
    public static double MissRate(DayOfWeek day, int hour, bool open)
    {
        if (!open)
        {
            return 1.0;
        }

        if ((day == DayOfWeek.Monday && hour is >= 9 and < 11) || (day == DayOfWeek.Friday && hour is >= 14 and < 16))
        {
            return 0.275;
        }

        return hour is >= 12 and < 14 ? 0.18 : 0.10;
    }

    private static string? Caller(ClinicConfig clinic, Random random, List<string> earlier)
    {
        var roll = random.NextDouble();
        if (roll < 0.05)
        {
            return null; // withheld
        }

        if (roll < 0.10 && clinic.Country.Equals("GB", StringComparison.OrdinalIgnoreCase))
        {
            return string.Create(CultureInfo.InvariantCulture, $"+442079460{random.Next(100, 999)}"); // landline
        }

        if (roll < 0.16 && earlier.Count > 0)
        {
            return earlier[random.Next(earlier.Count)]; // tries again
        }

        var mobile = Mobile(clinic, random);
        earlier.Add(mobile);
        return mobile;
    }

    private static string Mobile(ClinicConfig clinic, Random random)
    {
        for (var attempt = 0; ; attempt++)
        {
            var candidate = clinic.Country.ToUpperInvariant() switch
            {
                "GB" => string.Create(CultureInfo.InvariantCulture, $"+447400{random.Next(0, 1_000_000):D6}"),
                "US" => string.Create(CultureInfo.InvariantCulture, $"+1213{random.Next(200, 1000):D3}{random.Next(0, 10_000):D4}"),
                _ => throw new ArgumentException($"The simulator makes up numbers for GB and US clinics, not {clinic.Country}.", nameof(clinic)),
            };
            if (PhoneNumberTools.IsValidE164(candidate) || attempt > 50)
            {
                return candidate;
            }
        }
    }

    private static string Outcome(Random random)
    {
        var roll = random.NextDouble();
        return roll < 0.6 ? "missed" : roll < 0.8 ? "voicemail" : roll < 0.9 ? "busy" : "abandoned";
    }

    private static int Poisson(Random random, double mean)
    {
        var limit = Math.Exp(-mean);
        var product = random.NextDouble();
        var count = 0;
        while (product > limit)
        {
            count++;
            product *= random.NextDouble();
        }

        return count;
    }
}
