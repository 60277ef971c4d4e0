using System.ComponentModel.DataAnnotations;

namespace MissedCallFunctions.Ingest;

public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Largest webhook body accepted (providers send a few KiB).</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Region used to read a clinic number sent without a country code.</summary>
    [Required]
    [RegularExpression("^[A-Z]{2}$")]
    public string DefaultRegion { get; set; } = "US";

    /// <summary>
    /// The public base URL providers post to (e.g. https://clinic-calls.azurewebsites.net). Signatures that cover the
    /// URL (Twilio) are checked against it, so a proxy or load balancer in front does not break them.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>Rebuild the public URL from X-Forwarded-Proto/Host when no <see cref="PublicBaseUrl"/> is set.</summary>
    public bool TrustForwardedHeaders { get; set; } = true;
}
