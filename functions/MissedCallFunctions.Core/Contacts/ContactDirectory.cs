using System.Globalization;
using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Common;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Contacts;

/// <summary>A known patient of a clinic (imported from the practice's records).</summary>
public sealed record Contact(string ClinicId, string Phone, string Name, DateOnly? LastVisit, DateTimeOffset? NextAppointment)
{
    public string FirstName => Name.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? Name;
}

public interface IContactDirectory
{
    Task<Contact?> FindAsync(string clinicId, string phoneE164, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the contacts (one row per phone).</summary>
    Task SaveAsync(IReadOnlyList<Contact> contacts, CancellationToken cancellationToken);
}

public sealed class TableContactDirectory(StorageClients storage) : IContactDirectory
{
    private TableClient Table => storage.Table(TableNames.Contacts);

    public async Task<Contact?> FindAsync(string clinicId, string phoneE164, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(clinicId, TableKeys.Escape(phoneE164), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }

        var e = row.Value!;
        var lastVisit = e.GetString("LastVisit") is { } lv && DateOnly.TryParse(lv, CultureInfo.InvariantCulture, out var d) ? d : (DateOnly?)null;
        return new Contact(clinicId, phoneE164, e.GetString("Name"), lastVisit, e.GetDateTimeOffset("NextAppointment"));
    }

    public async Task SaveAsync(IReadOnlyList<Contact> contacts, CancellationToken cancellationToken)
    {
        // One clinic per partition: batches of up to 100 upserts.
        foreach (var clinic in contacts.GroupBy(c => c.ClinicId))
        {
            foreach (var chunk in clinic.Chunk(100))
            {
                var actions = chunk.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                    new TableEntity(c.ClinicId, TableKeys.Escape(c.Phone))
                    {
                        ["Name"] = c.Name,
                        ["LastVisit"] = c.LastVisit?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                        ["NextAppointment"] = c.NextAppointment,
                    }));
                await Table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// Reads the practice's contacts export: CSV with a header row naming <c>name</c>, <c>phone</c>, and optionally
/// <c>last_visit</c> (yyyy-MM-dd) and <c>next_appointment</c> (ISO 8601 with offset, or local yyyy-MM-dd HH:mm in the
/// clinic's time zone). Quoted fields with commas are supported. Errors name the line, never the patient.
/// </summary>
public static class ContactCsv
{
    public static (IReadOnlyList<Contact> Contacts, IReadOnlyList<string> Errors) Parse(string csv, string clinicId, string country, TimeZoneInfo zone)
    {
        var contacts = new Dictionary<string, Contact>(StringComparer.Ordinal);
        var errors = new List<string>();
        var lines = csv.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (lines.Length == 0 || string.IsNullOrWhiteSpace(lines[0]))
        {
            return ([], ["line 1: a header row is required (name,phone,last_visit,next_appointment)."]);
        }

        var header = Split(lines[0]).Select(h => h.Trim().ToLowerInvariant().Replace(' ', '_')).ToList();
        int Column(string name) => header.IndexOf(name);
        var (nameAt, phoneAt, lastAt, nextAt) = (Column("name"), Column("phone"), Column("last_visit"), Column("next_appointment"));
        if (nameAt < 0 || phoneAt < 0)
        {
            return ([], ["line 1: the header must name the columns 'name' and 'phone'."]);
        }

        for (var i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var fields = Split(lines[i]);
            string Field(int at) => at >= 0 && at < fields.Count ? fields[at].Trim() : string.Empty;
            var phone = PhoneNumberTools.Normalize(Field(phoneAt), country.ToUpperInvariant()).E164;
            if (phone is null)
            {
                errors.Add($"line {i + 1}: the phone number is not a valid number.");
                continue;
            }

            if (Field(nameAt).Length is 0 or > 100)
            {
                errors.Add($"line {i + 1}: a name (1-100 characters) is required.");
                continue;
            }

            DateOnly? lastVisit = null;
            if (Field(lastAt) is { Length: > 0 } last)
            {
                if (!DateOnly.TryParseExact(last, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                {
                    errors.Add($"line {i + 1}: last_visit must be yyyy-MM-dd.");
                    continue;
                }

                lastVisit = parsed;
            }

            DateTimeOffset? next = null;
            if (Field(nextAt) is { Length: > 0 } nextText)
            {
                if (DateTimeOffset.TryParse(nextText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset) && nextText.Contains('T', StringComparison.Ordinal)
                    && (nextText.EndsWith('Z') || nextText.Contains('+', StringComparison.Ordinal) || nextText.LastIndexOf('-') > 10))
                {
                    next = withOffset;
                }
                else if (DateTime.TryParseExact(nextText, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
                {
                    next = new DateTimeOffset(local, zone.GetUtcOffset(local));
                }
                else
                {
                    errors.Add($"line {i + 1}: next_appointment must be ISO 8601 with an offset or 'yyyy-MM-dd HH:mm' (clinic time).");
                    continue;
                }
            }

            contacts[phone] = new Contact(clinicId, phone, Field(nameAt), lastVisit, next);
        }

        return (contacts.Values.ToList(), errors);
    }

    private static List<string> Split(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return fields;
    }
}
