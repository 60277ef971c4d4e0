using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.Contacts;
using MissedCallFunctions.LocalHost.SmsSandbox;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Tests.Infrastructure;
using MissedCallFunctions.Tests.Recovery;

namespace MissedCallFunctions.Tests.Contacts;

public sealed class ContactCsvTests
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    [Fact]
    public void Parse_PracticeExport_ReadsNamesNumbersAndDates()
    {
        const string csv = "Name,Phone,Last Visit,Next Appointment\n" +
                           "\"Jones, Sam\",07400 123456,2026-03-02,2026-12-01 09:30\n" +
                           "Priya Patel,+447400123457,,2026-12-02T14:00:00Z\n" +
                           "Alex Doe,+44 7400 123458,,\n";

        var (contacts, errors) = ContactCsv.Parse(csv, "riverside-dental", "GB", London);

        Assert.Empty(errors);
        Assert.Equal(3, contacts.Count);
        var sam = contacts.Single(c => c.Phone == "+447400123456");
        Assert.Equal("Jones, Sam", sam.Name);
        Assert.Equal(new DateOnly(2026, 3, 2), sam.LastVisit);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero), sam.NextAppointment);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 14, 0, 0, TimeSpan.Zero), contacts.Single(c => c.Phone == "+447400123457").NextAppointment);
        Assert.Null(contacts.Single(c => c.Phone == "+447400123458").NextAppointment);
    }

    [Fact]
    public void Parse_BadRows_ErrorsNameTheLineNeverThePatient()
    {
        const string csv = "name,phone,last_visit\nSecret Person,12345,\nOther Person,+447400123456,02/03/2026\n";

        var (_, errors) = ContactCsv.Parse(csv, "riverside-dental", "GB", London);

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("line 2:", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("line 3:", errors[1], StringComparison.Ordinal);
        Assert.DoesNotContain(errors, e => e.Contains("Person", StringComparison.Ordinal) || e.Contains("12345", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_NoHeader_OneClearError()
        => Assert.Contains("'name' and 'phone'", Assert.Single(ContactCsv.Parse("Sam,+447400123456\n", "c", "GB", London).Errors), StringComparison.Ordinal);
}

/// <summary>Known callers through the local stack: greeted by name, and not texted just before their appointment.</summary>
public sealed class KnownCallerTests(RecoveryHostFixture fixture) : IClassFixture<RecoveryHostFixture>
{
    private LocalHostRunner Host => fixture.Host;

    private async Task ImportAsync(string csv)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/admin/clinics/{TestData.UkClinicId}/contacts")
        {
            Content = new StringContent(csv, Encoding.UTF8, "text/csv"),
        };
        request.Headers.Add("x-functions-key", LocalHostRunner.AdminKey);
        using var response = await Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(csv.Count(c => c == '\n') - 1, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("imported").GetInt32());
    }

    private async Task MissCallAsync(string caller)
    {
        var id = "evt-" + Guid.NewGuid().ToString("N");
        var json = $$"""{"eventId":"{{id}}","callId":"c-{{id}}","clinicNumber":"{{TestData.UkClinicNumber}}","caller":"{{caller}}","outcome":"missed","ringSeconds":25,"occurredAt":"{{DateTimeOffset.UtcNow:O}}"}""";
        using var response = await Host.Http.SendAsync(Host.GenericEvent(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task KnownCaller_GreetedByFirstNameWithTheReturningPatientText()
    {
        var caller = $"+4474005{Random.Shared.Next(10000, 99999)}";
        await ImportAsync($"name,phone,last_visit\nMargaret Olsen,{caller},2026-05-14\n");

        await MissCallAsync(caller);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var text = await Host.Sandbox.WaitForSentAsync(m => m.To == caller, timeout.Token);

        Assert.StartsWith("Hi Margaret,", text.Body, StringComparison.Ordinal);
        Assert.Contains("How can we help today?", text.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Olsen", text.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallerWithAppointmentTomorrow_NotTexted_StaffCallbackInstead()
    {
        var caller = $"+4474006{Random.Shared.Next(10000, 99999)}";
        var tomorrow = DateTimeOffset.UtcNow.AddHours(20).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        await ImportAsync($"name,phone,next_appointment\nTom Baker,{caller},{tomorrow}\n");

        await MissCallAsync(caller);
        var tasks = Host.Get<IStaffTaskStore>();
        StaffTask? task = null;
        for (var i = 0; i < 100 && task is null; i++)
        {
            task = (await tasks.ListAsync(TestData.UkClinicId, true, CancellationToken.None)).FirstOrDefault(t => t.CallerNumber == caller);
            await Task.Delay(100);
        }

        Assert.NotNull(task);
        Assert.Contains("appointment in the next 48 hours", task.Reason, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(Host.Sandbox.Messages, m => m.Direction == SandboxDirection.Outbound && m.To == caller);
    }
}
