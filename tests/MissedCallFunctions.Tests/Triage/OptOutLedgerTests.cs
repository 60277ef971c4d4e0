using MissedCallFunctions.Tests.Infrastructure;
using MissedCallFunctions.Triage;

namespace MissedCallFunctions.Tests.Triage;

/// <summary>The opt-out ledger on Azurite: the newest change wins whatever order changes are processed in.</summary>
public sealed class OptOutLedgerTests
{
    private static readonly DateTimeOffset Stop = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task OptIn_OlderThanTheRecordedOptOut_IsIgnored()
    {
        await using var stack = await TestStack.CreateAsync();
        var ledger = stack.Get<IOptOutLedger>();
        var caller = "+4474009" + Random.Shared.Next(10_000, 99_999);

        await ledger.OptOutAsync(TestData.UkClinicId, caller, "sms", Stop, CancellationToken.None);
        await ledger.OptInAsync(TestData.UkClinicId, caller, "sms", Stop.AddMinutes(-5), CancellationToken.None); // a retried START

        Assert.True(await ledger.IsOptedOutAsync(TestData.UkClinicId, caller, CancellationToken.None));
    }

    [Fact]
    public async Task OptIn_NewerThanTheRecordedOptOut_OptsBackIn()
    {
        await using var stack = await TestStack.CreateAsync();
        var ledger = stack.Get<IOptOutLedger>();
        var caller = "+4474009" + Random.Shared.Next(10_000, 99_999);

        await ledger.OptOutAsync(TestData.UkClinicId, caller, "sms", Stop, CancellationToken.None);
        await ledger.OptOutAsync(TestData.UkClinicId, caller, "sms", Stop, CancellationToken.None); // the same STOP again
        await ledger.OptInAsync(TestData.UkClinicId, caller, "sms", Stop.AddMinutes(5), CancellationToken.None);

        Assert.False(await ledger.IsOptedOutAsync(TestData.UkClinicId, caller, CancellationToken.None));
    }

    [Fact]
    public async Task OptOutAndOptIn_Concurrent_NewestWins()
    {
        await using var stack = await TestStack.CreateAsync();
        var ledger = stack.Get<IOptOutLedger>();
        var caller = "+4474009" + Random.Shared.Next(10_000, 99_999);

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => i % 2 == 0
            ? ledger.OptInAsync(TestData.UkClinicId, caller, "sms", Stop.AddSeconds(i), CancellationToken.None)
            : ledger.OptOutAsync(TestData.UkClinicId, caller, "sms", Stop.AddSeconds(i), CancellationToken.None)));

        Assert.True(await ledger.IsOptedOutAsync(TestData.UkClinicId, caller, CancellationToken.None)); // i = 9 is an opt-out
    }
}
