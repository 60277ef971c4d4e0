using System.ComponentModel.DataAnnotations;

namespace MissedCallFunctions.Messaging;

/// <summary>
/// Configuration section "Acs". Locally: <see cref="ConnectionString"/> (e.g. the SMS sandbox's). In Azure:
/// <see cref="Endpoint"/> with the managed identity (the TokenCredential in DI). The connection string wins when both are set.
/// </summary>
public sealed class AcsSmsOptions
{
    public const string Section = "Acs";

    /// <summary>https://&lt;resource&gt;.communication.azure.com, used with Entra ID (managed identity).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>endpoint=...;accesskey=... (HMAC). Keep it in Key Vault or local settings, never in source.</summary>
    public string? ConnectionString { get; set; }

    [Required]
    [RegularExpression(@"^\d{4}-\d{2}-\d{2}(-preview)?$", ErrorMessage = "Acs:ApiVersion must look like 2021-03-07.")]
    public string ApiVersion { get; set; } = AcsSmsClientOptions.DefaultApiVersion;

    /// <summary>Per-attempt network timeout; a timeout surfaces as <see cref="SmsTransientException"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00")]
    public TimeSpan NetworkTimeout { get; set; } = AcsSmsClientOptions.DefaultNetworkTimeout;
}
