namespace MissedCallFunctions.Simulation;

/// <summary>
/// The same call log under two clinic configurations, one after the other, each on a local stack of its own (its own
/// Azurite, tables and task hub), with the same seeded patients: only the configuration differs.
/// </summary>
public static class WhatIf
{
    public static async Task<(SimulationResult A, SimulationResult B)> RunAsync(string clinicsA, string clinicsB, string clinicId, IReadOnlyList<LoggedCall> log,
        SimulationOptions options, Func<string, IProgress<SimulationProgress>?>? progress = null, string? connectionString = null,
        CancellationToken cancellationToken = default)
    {
        var a = await RunOneAsync(clinicsA, clinicId, log, options, progress?.Invoke("A"), connectionString, cancellationToken).ConfigureAwait(false);
        var b = await RunOneAsync(clinicsB, clinicId, log, options, progress?.Invoke("B"), connectionString, cancellationToken).ConfigureAwait(false);
        return (a, b);
    }

    public static async Task<SimulationResult> RunOneAsync(string clinicsJson, string clinicId, IReadOnlyList<LoggedCall> log, SimulationOptions options,
        IProgress<SimulationProgress>? progress = null, string? connectionString = null, CancellationToken cancellationToken = default)
    {
        await using var stack = await SimulationStack.StartAsync(clinicsJson, options.TimeScale, connectionString).ConfigureAwait(false);
        var clinic = stack.Clinics.SingleOrDefault(c => c.Id == clinicId) ?? throw new ArgumentException($"No clinic '{clinicId}' in the clinics file.", nameof(clinicId));
        return await new SimulationRun(stack, clinic, options).RunAsync(log, progress, cancellationToken).ConfigureAwait(false);
    }
}
