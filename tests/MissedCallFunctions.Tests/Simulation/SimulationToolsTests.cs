using System.Text.Json.Nodes;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Simulation;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Simulation;

/// <summary>The pieces of the replay / simulate / what-if tool that need no stack: logs, the week, patients, configuration changes.</summary>
public sealed class SimulationToolsTests
{
    private static string Sample => File.ReadAllText(SamplePaths.Clinics("clinics.sample.json"));

    private static ClinicConfig Uk(string json) => ClinicConfigValidator.Parse(json).File!.Clinics.Single(c => c.Id == TestData.UkClinicId);

    [Fact]
    public void ReadCsv_OurSchema_ParsesEveryColumnAndWithheldCallers()
    {
        const string csv = """
            occurredAt,clinicNumber,caller,outcome,ringSeconds,callerName,callId
            2026-11-23T09:15:00Z,+442079460000,+447400111222,missed,25,"Smith, Jo",c1
            2026-11-23T09:10:00Z,+442079460000,anonymous,busy,,,c2
            """;

        var calls = CallLogReader.ReadCsv(csv);

        Assert.Equal(2, calls.Count);
        Assert.Null(calls[0].Caller);
        Assert.Equal("busy", calls[0].Outcome);
        Assert.Equal(20, calls[0].RingSeconds);
        Assert.Equal("Smith, Jo", calls[1].CallerName);
        Assert.Equal(25, calls[1].RingSeconds);
        Assert.Equal("c1", calls[1].CallId);
    }

    [Fact]
    public void ReadCsv_TwilioExport_MapsStatusesAndSkipsOutbound()
    {
        const string csv = """
            Call Sid,From,To,Direction,Status,Start Time,Duration
            CA1,+447400111222,+442079460000,inbound,no-answer,2026-11-23 09:15:00,0
            CA2,+447400111223,+442079460000,inbound,completed,2026-11-23 09:16:00,120
            CA3,+442079460000,+447400111224,outbound-dial,completed,2026-11-23 09:17:00,60
            CA4,+447400111225,+442079460000,inbound,busy,2026-11-23 09:18:00,0
            CA5,Anonymous,+442079460000,inbound,canceled,2026-11-23 09:19:00,0
            """;

        var calls = CallLogReader.ReadCsv(csv);

        Assert.Equal(["missed", "answered", "busy", "abandoned"], calls.Select(c => c.Outcome));
        Assert.Null(calls[^1].Caller);
        Assert.Equal("CA1", calls[0].CallId);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 9, 15, 0, TimeSpan.Zero), calls[0].OccurredAt);
    }

    [Fact]
    public void Read_TheShippedTwilioExportSample_GivesInboundCallsInTimeOrder()
    {
        var calls = CallLogReader.Read(SamplePaths.Clinics("calls.twilio-export.sample.csv"));

        Assert.Equal(60, calls.Count);
        Assert.All(calls, c => Assert.Equal(TestData.UkClinicNumber, c.ClinicNumber));
        Assert.Contains(calls, c => c.Outcome == "answered");
        Assert.Contains(calls, c => c.Outcome == "missed");
        Assert.Equal(calls.OrderBy(c => c.OccurredAt).ToList(), calls);
    }

    [Fact]
    public void ReadCsv_BadDate_SaysWhichLine()
    {
        var error = Assert.Throws<InvalidDataException>(() => CallLogReader.ReadCsv("occurredAt,clinicNumber,caller,outcome\nyesterday,+442079460000,+447400111222,missed\n"));

        Assert.Contains("Line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteThenRead_Json_RoundTripsTheWeek()
    {
        var week = WeekGenerator.Generate(Uk(Sample), new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero), seed: 3);
        var path = Path.Combine(Path.GetTempPath(), $"week-{Guid.NewGuid():N}.json");

        CallLogReader.Write(path, week);
        var read = CallLogReader.Read(path);

        Assert.Equal(week, read);
    }

    [Fact]
    public void Generate_SameSeed_SameWeek_AndOnlyPastCallsToTheClinic()
    {
        var clinic = Uk(Sample);
        var end = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

        var a = WeekGenerator.Generate(clinic, end, seed: 11);
        var b = WeekGenerator.Generate(clinic, end, seed: 11);

        Assert.Equal(a, b);
        Assert.InRange(a.Count, 40, 200);
        Assert.All(a, c => Assert.True(c.OccurredAt < end && c.OccurredAt >= end.AddDays(-8)));
        Assert.All(a, c => Assert.Equal(clinic.Numbers[0], c.ClinicNumber));
        Assert.Contains(a, c => c.Caller is null);
        Assert.Contains(a, c => c.Caller is not null && c.Caller.StartsWith("+44207946", StringComparison.Ordinal));
    }

    [Fact]
    public void MissRate_PeaksOnMondayMorningAndFridayAfternoon_AllMissedWhenClosed()
    {
        Assert.Equal(0.275, WeekGenerator.MissRate(DayOfWeek.Monday, 9, open: true));
        Assert.Equal(0.275, WeekGenerator.MissRate(DayOfWeek.Friday, 15, open: true));
        Assert.Equal(0.10, WeekGenerator.MissRate(DayOfWeek.Wednesday, 10, open: true));
        Assert.Equal(1.0, WeekGenerator.MissRate(DayOfWeek.Sunday, 10, open: false));
    }

    [Theory]
    [InlineData(0.5, 0.575)]
    [InlineData(5, 0.425)]
    [InlineData(30, 0.275)]
    [InlineData(45, 0.125)]
    public void ReplyChance_FollowsTheResponseTimeCurve(double minutes, double expected)
        => Assert.Equal(expected, PatientModel.ReplyChance(TimeSpan.FromMinutes(minutes)));

    [Fact]
    public void Patients_SameSeedAndNumber_AnswerTheSame_AndAboutTheCurvesShareReplies()
    {
        var a = new PatientModel(5);
        var b = new PatientModel(5);
        var phones = Enumerable.Range(0, 2000).Select(i => $"+447400{i:D6}").ToList();

        var replies = phones.Count(p => a.Replies(p, 1, TimeSpan.FromSeconds(3)));

        Assert.All(phones.Take(50), p => Assert.Equal(a.Intent(p), b.Intent(p)));
        Assert.InRange(replies / 2000.0, 0.53, 0.62);
    }

    [Fact]
    public void TimeScale_DividesTheLadderAndReplyTimeout_BusinessDaysBecomeCalendarHours()
    {
        var scaled = JsonNode.Parse(ClinicTimeScale.Apply(Sample, 900))!;
        var uk = scaled["clinics"]!.AsArray().Single(c => (string?)c!["id"] == TestData.UkClinicId)!;
        var ladder = uk["escalationLadder"]!.AsArray().Select(s => (string?)s!["after"]).ToList();

        Assert.Equal(["00:00:02", "00:00:08", "00:00:08", "00:01:36"], ladder);
        Assert.Equal("00:00:02", (string?)uk["booking"]!["replyTimeout"]);
        Assert.Null(uk["escalationLadder"]![3]!["afterBusinessDays"]);
        var original = JsonNode.Parse(Sample, documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
        Assert.Equal(original["clinics"]![0]!["openingHours"]!.ToJsonString(), uk["openingHours"]!.ToJsonString());
        Assert.NotNull(ClinicConfigValidator.Parse(ClinicTimeScale.Apply(Sample, 900)).File);
    }

    [Fact]
    public void Variants_ChangeOnlyWhatTheyName_AndStayValid()
    {
        var noFollowUp = Uk(ClinicVariants.Apply(Sample, "no-follow-up"));
        var later = Uk(ClinicVariants.Apply(Sample, "follow-up-after=01:00:00"));
        var anyHour = Uk(ClinicVariants.Apply(Sample, "no-quiet-hours"));
        var quiet = Uk(ClinicVariants.Apply(Sample, "quiet-hours=20:00-09:00"));
        var noBooking = Uk(ClinicVariants.Apply(Sample, "no-booking"));

        Assert.DoesNotContain(noFollowUp.EscalationLadder, s => s.Action == EscalationAction.NudgePatient);
        Assert.Equal(Uk(Sample).EscalationLadder.Count - 1, noFollowUp.EscalationLadder.Count);
        Assert.Equal(TimeSpan.FromHours(1), Assert.Single(later.EscalationLadder, s => s.Action == EscalationAction.NudgePatient).After);
        Assert.Equal(("00:00", "23:59"), (anyHour.SendingHours.Start, anyHour.SendingHours.End));
        Assert.Equal(("09:00", "20:00"), (quiet.SendingHours.Start, quiet.SendingHours.End));
        Assert.Null(noBooking.Booking);
        Assert.Throws<ArgumentException>(() => ClinicVariants.Apply(Sample, "no-such-thing"));
    }
}
