using MissedCallFunctions.Clinics;
using MissedCallFunctions.Tests.Infrastructure;

namespace MissedCallFunctions.Tests.Clinics;

public sealed class ClinicConfigValidatorTests
{
    private static string SampleJson => File.ReadAllText(SamplePaths.Clinics("clinics.sample.json"));

    [Fact]
    public void Parse_ShippedSampleFile_IsValidWithBothClinics()
    {
        var (file, errors) = ClinicConfigValidator.Parse(SampleJson);

        Assert.Empty(errors);
        Assert.Equal(["riverside-dental", "glow-med-spa"], file!.Clinics.Select(c => c.Id).ToArray());
        Assert.Equal("Europe/London", file.Clinics[0].TimeZone);
        Assert.Equal("twilio", file.Clinics[1].SmsChannel);
        Assert.Equal(4, file.Clinics[0].EscalationLadder.Count);
    }

    [Fact]
    public void Parse_NotJson_OneErrorWithLine()
    {
        var (file, errors) = ClinicConfigValidator.Parse("{\n \"clinics\": [ { \"id\": }");

        Assert.Null(file);
        Assert.Contains("line", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownField_Rejected()
    {
        var (file, errors) = ClinicConfigValidator.Parse("""{"clinics":[{"id":"a1","name":"A","country":"GB","timeZone":"Europe/London","numbers":["+442079460000"],"colour":"blue"}]}""");

        Assert.Null(file);
        Assert.Single(errors);
    }

    [Fact]
    public void Parse_ManyProblems_ListsEachWithItsPath()
    {
        const string json = """
        {"clinics":[
          {"id":"ok-1","name":"A","country":"GB","timeZone":"Europe/London","numbers":["+442079460000"],
           "openingHours":{"funday":[{"open":"09:00","close":"17:00"}],"monday":[{"open":"18:00","close":"09:00"}]},
           "sendingHours":{"start":"22:00","end":"08:00"},
           "escalationLadder":[{"after":"00:30:00","action":"nudgePatient","template":"missing"}],
           "staffContacts":[{"name":"Desk","phone":"0207 946 0000"}],
           "smsChannel":"pigeon","currency":"POUNDS","averageAppointmentValue":-1,
           "webhooks":{"genericHmacSecrets":["short"],"telnyxPublicKey":"not-base64"}},
          {"id":"ok-1","name":"B","country":"US","timeZone":"America/New_York","numbers":["+13105550142"]},
          {"id":"ok-2","name":"C","country":"US","timeZone":"America/New_York","numbers":["+442079460000"]}
        ]}
        """;

        var (file, errors) = ClinicConfigValidator.Parse(json);

        Assert.Null(file);
        string[] expected =
        [
            "clinics[0].openingHours.funday", "clinics[0].openingHours.monday[0]", "clinics[0].sendingHours",
            "clinics[0].escalationLadder[0].template", "clinics[0].staffContacts[0].phone", "clinics[0].smsChannel",
            "clinics[0].currency", "clinics[0].averageAppointmentValue", "clinics[0].webhooks.genericHmacSecrets",
            "clinics[0].webhooks.telnyxPublicKey", "clinics[1].id", "clinics[2].numbers",
        ];
        foreach (var path in expected)
        {
            Assert.Contains(errors, e => e.StartsWith(path + ":", StringComparison.Ordinal));
        }
    }
}

public sealed class ClinicTemplateValidationTests
{
    [Fact]
    public void Validate_TemplateWithClinicalWordsAndNoOptOut_RejectedAtLoad()
    {
        var clinic = TestData.UkClinic with
        {
            Templates = new Dictionary<string, string>(TestData.UkClinic.Templates)
            {
                ["textBack"] = "Hi{firstNameWithSpace}, {clinicName} here about your root canal treatment.",
            },
        };

        var errors = ClinicConfigValidator.Validate(clinic);

        Assert.Contains(errors, e => e.StartsWith("templates.textBack:", StringComparison.Ordinal) && e.Contains("clinical", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(errors, e => e.StartsWith("templates.textBack:", StringComparison.Ordinal) && e.Contains("opt", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Validate_UnknownPlaceholder_RejectedAtLoad()
    {
        var clinic = TestData.UkClinic with
        {
            Templates = new Dictionary<string, string>(TestData.UkClinic.Templates) { ["followUp"] = "{clinicName}: hello {patientDiagnosis}. Reply STOP to opt out." },
        };

        Assert.Contains(ClinicConfigValidator.Validate(clinic), e => e.StartsWith("templates.followUp:", StringComparison.Ordinal));
    }
}

/// <summary>The clinic directory on real tables.</summary>
public sealed class TableClinicDirectoryTests : IAsyncLifetime
{
    private TestStack _stack = null!;

    public async Task InitializeAsync() => _stack = await TestStack.CreateAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task FindByNumber_EachNumberOfEachClinic_FindsIt()
    {
        var directory = _stack.Get<IClinicDirectory>();

        Assert.Equal("riverside-dental", (await directory.FindByNumberAsync("+442079460000", CancellationToken.None))!.Id);
        Assert.Equal("riverside-dental", (await directory.FindByNumberAsync("+442079460001", CancellationToken.None))!.Id);
        Assert.Equal("glow-med-spa", (await directory.FindByNumberAsync("+13105550142", CancellationToken.None))!.Id);
        Assert.Null(await directory.FindByNumberAsync("+13105550100", CancellationToken.None));
    }

    [Fact]
    public async Task Save_NumberMovedToAnotherClinic_RepointedAndOldRowNotLeftBehind()
    {
        var directory = _stack.Get<IClinicDirectory>();
        var uk = TestData.UkClinic with { Numbers = ["+442079460000"] };
        var us = TestData.UsClinic with { Numbers = ["+13105550142", "+442079460001"] };

        await directory.SaveAsync(new ClinicFile { Clinics = [uk, us] }, CancellationToken.None);

        var fresh = new TableClinicDirectory(_stack.Get<MissedCallFunctions.Storage.StorageClients>(), TimeProvider.System);
        Assert.Equal("glow-med-spa", (await fresh.FindByNumberAsync("+442079460001", CancellationToken.None))!.Id);
        Assert.Equal("riverside-dental", (await fresh.FindByNumberAsync("+442079460000", CancellationToken.None))!.Id);
        Assert.Equal(2, (await fresh.ListAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Get_StoredConfig_RoundTripsEverySetting()
    {
        var stored = await _stack.Get<IClinicDirectory>().GetAsync("riverside-dental", CancellationToken.None);

        Assert.NotNull(stored);
        Assert.Equal(TestData.UkClinic.Templates, stored.Templates);
        Assert.Equal(TestData.UkClinic.MissedCallDefinition, stored.MissedCallDefinition);
        Assert.Equal(TestData.UkClinic.EscalationLadder, stored.EscalationLadder);
        Assert.Equal(TestData.UkClinic.Webhooks.TwilioAuthToken, stored.Webhooks.TwilioAuthToken);
        Assert.Equal(TestData.UkClinic.Holidays, stored.Holidays);
    }
}
