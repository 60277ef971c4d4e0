using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Recovery;

public sealed class TaskLinksTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);

    private TaskLinks Links(string linkBase = "https://clinic.example/") => new(Options.Create(new RecoveryOptions { TaskLinkBase = linkBase }), _time);

    private static (string Exp, string Sig) Parts(string link)
    {
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(link).Query);
        return (query["exp"]!, query["sig"]!);
    }

    [Fact]
    public void For_SignsTheTaskAndExpiresAfterTheLifetime()
    {
        var link = Links().For(TestData.UkClinic, "mc-1")!;

        Assert.StartsWith("https://clinic.example/api/dashboard/riverside-dental/task/mc-1?exp=", link, StringComparison.Ordinal);
        var (exp, sig) = Parts(link);
        Assert.Equal((Now + TimeSpan.FromDays(3)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), exp);
        Assert.Equal(TaskLinkCheck.Valid, Links().Verify(TestData.UkClinic, "mc-1", exp, sig));
        Assert.DoesNotContain(TestData.UkClinic.DashboardTokens[0], link, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_OtherTaskOtherClinicAlteredExpiryOrRemovedToken_Invalid()
    {
        var (exp, sig) = Parts(Links().For(TestData.UkClinic, "mc-1")!);

        Assert.Equal(TaskLinkCheck.Invalid, Links().Verify(TestData.UkClinic, "mc-2", exp, sig));
        Assert.Equal(TaskLinkCheck.Invalid, Links().Verify(TestData.UkClinic with { Id = "another-clinic" }, "mc-1", exp, sig));
        Assert.Equal(TaskLinkCheck.Invalid, Links().Verify(TestData.UkClinic, "mc-1", (long.Parse(exp, System.Globalization.CultureInfo.InvariantCulture) + 86400).ToString(System.Globalization.CultureInfo.InvariantCulture), sig));
        Assert.Equal(TaskLinkCheck.Invalid, Links().Verify(TestData.UkClinic with { DashboardTokens = ["a-new-dashboard-token-000001"] }, "mc-1", exp, sig));
        Assert.Equal(TaskLinkCheck.Invalid, Links().Verify(TestData.UkClinic, "mc-1", null, sig));
        Assert.Equal(TaskLinkCheck.Invalid, Links().Verify(TestData.UkClinic, "mc-1", "-5", sig));
        Assert.Equal(TaskLinkCheck.Invalid, Links().Verify(TestData.UkClinic, "mc-1", exp, new string('A', 500)));
    }

    [Fact]
    public void Verify_AfterTheLifetime_Expired_AndAfterARotationTheOldTokensLinksStillOpen()
    {
        var (exp, sig) = Parts(Links().For(TestData.UkClinic, "mc-1")!);
        var rotated = TestData.UkClinic with { DashboardTokens = ["a-new-dashboard-token-000001", .. TestData.UkClinic.DashboardTokens] };

        Assert.Equal(TaskLinkCheck.Valid, Links().Verify(rotated, "mc-1", exp, sig));
        _time.Advance(TimeSpan.FromDays(3) + TimeSpan.FromSeconds(1));
        Assert.Equal(TaskLinkCheck.Expired, Links().Verify(TestData.UkClinic, "mc-1", exp, sig));
    }

    [Fact]
    public void Describe_NoBaseOrNoDashboardToken_FallsBackToTheTaskId()
    {
        Assert.Equal("task mc-1", Links(linkBase: "").Describe(TestData.UkClinic, "mc-1"));
        Assert.Equal("task mc-1", Links().Describe(TestData.UkClinic with { DashboardTokens = [] }, "mc-1"));
    }
}
