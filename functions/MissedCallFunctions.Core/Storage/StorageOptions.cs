using System.ComponentModel.DataAnnotations;

namespace MissedCallFunctions.Storage;

/// <summary>
/// Where the pipeline's tables (and, locally, its queues) live. In Azure: service URIs and managed identity.
/// Locally: the Azurite connection string.
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string Section = "Storage";

    /// <summary>Connection string (Azurite: <c>UseDevelopmentStorage=true</c> or explicit endpoints). Local only.</summary>
    public string? ConnectionString { get; set; }

    public Uri? TableServiceUri { get; set; }

    public Uri? QueueServiceUri { get; set; }

    /// <summary>Prefix for table names so several environments can share an account (letters and digits only).</summary>
    [RegularExpression("^[A-Za-z0-9]*$")]
    public string TablePrefix { get; set; } = string.Empty;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && TableServiceUri is null)
        {
            yield return new ValidationResult(
                "Set Storage:ConnectionString (local/Azurite) or Storage:TableServiceUri (Azure, managed identity).",
                [nameof(ConnectionString), nameof(TableServiceUri)]);
        }
    }
}

public static class TableNames
{
    public const string Clinics = "Clinics";
    public const string ClinicNumbers = "ClinicNumbers";
    public const string CallAudit = "CallAudit";
    public const string Calls = "Calls";
    public const string OptOuts = "OptOuts";
    public const string IngestLedger = "IngestLedger";
    public const string Recoveries = "Recoveries";
    public const string RecoveryInbox = "RecoveryInbox";
    public const string Timeline = "Timeline";
    public const string SmsOutbox = "SmsOutbox";
    public const string StaffTasks = "StaffTasks";
    public const string Conversations = "Conversations";
    public const string InboundLedger = "InboundLedger";
    public const string Contacts = "Contacts";
    public const string CallFacts = "CallFacts";
    public const string DailySummaries = "DailySummaries";

    public static IReadOnlyList<string> All { get; } =
        [Clinics, ClinicNumbers, CallAudit, Calls, OptOuts, IngestLedger, Recoveries, RecoveryInbox, Timeline, SmsOutbox, StaffTasks, Conversations, InboundLedger, Contacts, CallFacts, DailySummaries, Bookings.BookingTableNames.Bookings];
}

/// <summary>
/// Table Storage keys cannot hold '/', '\', '#', '?' or control characters: those become <c>~xx</c>. '~' itself is
/// escaped too, so <c>a~2fb</c> and <c>a/b</c> never share a key.
/// </summary>
public static class TableKeys
{
    public static string Escape(string value)
    {
        var needs = false;
        foreach (var c in value)
        {
            if (IsForbidden(c) || c == '~')
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return value;
        }

        var builder = new System.Text.StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (IsForbidden(c) || c == '~')
            {
                builder.Append('~').Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool IsForbidden(char c) => c is '/' or '\\' or '#' or '?' || char.IsControl(c);
}
