using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Clinics;

/// <summary>Finds clinics by the number that was dialled, and stores clinic configuration.</summary>
public interface IClinicDirectory
{
    Task<ClinicConfig?> FindByNumberAsync(string e164, CancellationToken cancellationToken);

    Task<ClinicConfig?> GetAsync(string clinicId, CancellationToken cancellationToken);

    Task<IReadOnlyList<ClinicConfig>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Stores every clinic of a validated file (insert or replace) and its numbers.</summary>
    Task SaveAsync(ClinicFile file, CancellationToken cancellationToken);
}

/// <summary>The shape of a clinic id (checked when a clinics file is loaded, so every stored id has it).</summary>
public static partial class ClinicIds
{
    public const int MaxLength = 63;

    public static bool IsWellFormed(string? id) => id is { Length: <= MaxLength } && Pattern().IsMatch(id);

    // \z, not $: $ also matches before a final newline, and "id%0A" must not reach a table key.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{1,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>
/// Clinic configuration in Table Storage: <c>Clinics</c> (one row per clinic, the config as JSON) and
/// <c>ClinicNumbers</c> (one row per dialled number, pointing at its clinic). Lookups are cached briefly because
/// every ingest request needs one and configuration changes rarely. Only clinics that exist are cached: ids and
/// numbers come from anonymous requests, and caching every miss would let anyone grow the cache without bound.
/// </summary>
public sealed class TableClinicDirectory(StorageClients storage, TimeProvider time) : IClinicDirectory
{
    private const string ClinicPartition = "clinic";
    private const string NumberRow = "number";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (string? ClinicId, DateTimeOffset Expires)> _numbers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (ClinicConfig? Clinic, DateTimeOffset Expires)> _clinics = new(StringComparer.Ordinal);

    public async Task<ClinicConfig?> FindByNumberAsync(string e164, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!_numbers.TryGetValue(e164, out var cached) || cached.Expires <= now)
        {
            var row = await storage.Table(TableNames.ClinicNumbers)
                .GetEntityIfExistsAsync<TableEntity>(TableKeys.Escape(e164), NumberRow, ["ClinicId"], cancellationToken)
                .ConfigureAwait(false);
            cached = (row.HasValue ? row.Value!.GetString("ClinicId") : null, now + CacheFor);
            if (cached.ClinicId is null)
            {
                _numbers.TryRemove(e164, out _);
                return null;
            }

            _numbers[e164] = cached;
        }

        return cached.ClinicId is null ? null : await GetAsync(cached.ClinicId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ClinicConfig?> GetAsync(string clinicId, CancellationToken cancellationToken)
    {
        if (!ClinicIds.IsWellFormed(clinicId))
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (_clinics.TryGetValue(clinicId, out var cached) && cached.Expires > now)
        {
            return cached.Clinic;
        }

        var row = await storage.Table(TableNames.Clinics)
            .GetEntityIfExistsAsync<TableEntity>(ClinicPartition, clinicId, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        var clinic = row.HasValue ? Deserialize(row.Value!) : null;
        if (clinic is null)
        {
            _clinics.TryRemove(clinicId, out _);
            return null;
        }

        _clinics[clinicId] = (clinic, now + CacheFor);
        return clinic;
    }

    /// <summary>Entries in the lookup caches (for tests: they must not grow with unknown ids or numbers).</summary>
    internal int CachedEntries => _numbers.Count + _clinics.Count;

    public async Task<IReadOnlyList<ClinicConfig>> ListAsync(CancellationToken cancellationToken)
    {
        var result = new List<ClinicConfig>();
        await foreach (var row in storage.Table(TableNames.Clinics)
            .QueryAsync<TableEntity>(e => e.PartitionKey == ClinicPartition, cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            result.Add(Deserialize(row));
        }

        return result;
    }

    public async Task SaveAsync(ClinicFile file, CancellationToken cancellationToken)
    {
        var clinics = storage.Table(TableNames.Clinics);
        var numbers = storage.Table(TableNames.ClinicNumbers);
        var now = time.GetUtcNow();
        foreach (var clinic in file.Clinics)
        {
            // Numbers first: a number moved away from an old clinic is re-pointed, never left dangling.
            foreach (var number in clinic.Numbers)
            {
                await numbers.UpsertEntityAsync(
                    new TableEntity(TableKeys.Escape(number), NumberRow) { ["ClinicId"] = clinic.Id },
                    TableUpdateMode.Replace,
                    cancellationToken).ConfigureAwait(false);
                _numbers.TryRemove(number, out _);
            }

            var previous = await GetAsync(clinic.Id, cancellationToken).ConfigureAwait(false);
            await clinics.UpsertEntityAsync(
                new TableEntity(ClinicPartition, clinic.Id)
                {
                    ["Name"] = clinic.Name,
                    ["Config"] = JsonSerializer.Serialize(clinic, ClinicConfig.JsonOptions),
                    ["UpdatedAt"] = now,
                },
                TableUpdateMode.Replace,
                cancellationToken).ConfigureAwait(false);
            _clinics.TryRemove(clinic.Id, out _);

            foreach (var dropped in previous?.Numbers.Except(clinic.Numbers) ?? [])
            {
                try
                {
                    var row = await numbers.GetEntityAsync<TableEntity>(TableKeys.Escape(dropped), NumberRow, cancellationToken: cancellationToken)
                        .ConfigureAwait(false);
                    if (row.Value.GetString("ClinicId") == clinic.Id)
                    {
                        await numbers.DeleteEntityAsync(row.Value.PartitionKey, row.Value.RowKey, row.Value.ETag, cancellationToken)
                            .ConfigureAwait(false);
                    }
                }
                catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                {
                    // Already gone or re-pointed by someone else: nothing to clean up.
                }

                _numbers.TryRemove(dropped, out _);
            }
        }
    }

    private static ClinicConfig Deserialize(TableEntity row)
        => JsonSerializer.Deserialize<ClinicConfig>(row.GetString("Config"), ClinicConfig.JsonOptions)
           ?? throw new InvalidOperationException($"Clinic row '{row.RowKey}' holds no configuration.");
}
