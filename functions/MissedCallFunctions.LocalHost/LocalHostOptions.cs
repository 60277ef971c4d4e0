using System.ComponentModel.DataAnnotations;

namespace MissedCallFunctions.LocalHost;

public sealed class LocalHostOptions
{
    public const string Section = "LocalHost";

    /// <summary>Plays the Functions host's function key: required on every /api route (x-functions-key or ?code=).</summary>
    [Required]
    [MinLength(8)]
    public string FunctionKey { get; set; } = "local-function-key";

    /// <summary>Plays the Functions host's master key: required on /api/admin routes.</summary>
    [Required]
    [MinLength(8)]
    public string AdminKey { get; set; } = "local-admin-key";

    /// <summary>Azurite's data folder for the embedded instance (relative to the repository root); empty keeps data in memory.</summary>
    public string? AzuriteDataDirectory { get; set; } = ".azurite";

    /// <summary>Runs the call-events queue pump (the processor). Off only in tests that inspect the queue itself.</summary>
    public bool RunProcessor { get; set; } = true;

    /// <summary>Runs the daily-summary loop (the timer trigger's stand-in).</summary>
    public bool RunDailySummary { get; set; } = true;

    /// <summary>How often the daily-summary loop looks for clinics whose summary is due (the Functions timer: 15 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DailySummaryInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Clinics file loaded at start-up when no clinic is configured yet, or when it changed since the kept Azurite data
    /// last loaded it (relative to the repository root).
    /// </summary>
    public string? SeedClinicsFile { get; set; } = "samples/clinics.sample.json";
}
