using MissedCallFunctions.Clinics;
using MissedCallFunctions.Messaging;
using Xunit.Abstractions;

namespace MissedCallFunctions.Tests.Messaging;

public sealed class MessageTemplatesTests(ITestOutputHelper output)
{
    private static readonly Lazy<IReadOnlyList<ClinicConfig>> SampleClinics = new(LoadSampleClinics);

    private static ClinicConfig Riverside => SampleClinics.Value.Single(c => c.Id == "riverside-dental");

    private static ClinicConfig Glow => SampleClinics.Value.Single(c => c.Id == "glow-med-spa");

    private static ClinicConfig Clinic(string country = "US", IReadOnlyDictionary<string, string>? templates = null, string? bookingLink = "https://book.example.com/x") => new()
    {
        Id = "test-clinic",
        Name = "Maple Family Dental",
        Country = country,
        TimeZone = "America/New_York",
        Numbers = ["+12125550100"],
        BookingLink = bookingLink,
        OpeningHours = new Dictionary<string, IReadOnlyList<OpeningPeriod>>
        {
            ["monday"] = [new("08:30", "18:00")],
            ["tuesday"] = [new("08:30", "18:00")],
            ["saturday"] = [new("09:00", "13:00")],
        },
        Templates = templates ?? new Dictionary<string, string>(),
    };

    // ---- the sample clinics file ----

    [Fact]
    public void Validate_SampleClinicTemplates_HaveNoSyntaxErrors()
    {
        Assert.Equal(2, SampleClinics.Value.Count);
        foreach (var clinic in SampleClinics.Value)
        {
            Assert.Empty(MessageTemplates.Validate(clinic));
        }
    }

    [Fact]
    public void ValidateContent_SampleClinics_PassContentRules()
    {
        var all = new List<string>();
        foreach (var clinic in SampleClinics.Value)
        {
            foreach (var name in MessageTemplates.Defaults.Keys.Concat(clinic.Templates.Keys).Distinct())
            {
                var text = MessageTemplates.RenderNamed(clinic, name, MessageTemplates.SampleValues);
                var size = SmsSegments.Measure(text);
                output.WriteLine($"{clinic.Id}.{name} [{size.Encoding} {size.Units} units, {size.Segments} segment(s)]: {text}");
            }

            all.AddRange(MessageTemplates.ValidateContent(clinic).Select(v => $"{clinic.Id}: {v}"));
        }

        all.ForEach(output.WriteLine);
        Assert.Empty(all);
    }

    [Fact]
    public void Render_RiversideTextBack_FillsNameClinicAndLink()
    {
        var text = MessageTemplates.RenderNamed(Riverside, MessageTemplates.TextBack, new TemplateValues { FirstName = "Sam" });

        Assert.Equal(
            "Hi Sam, this is Riverside Dental Practice. Sorry we missed your call just now. How can we help? You can also book online: https://book.riverside-dental.example/online. Reply STOP to opt out.",
            text);
    }

    [Fact]
    public void Render_RiversideAfterHours_IncludesHoursAndEmergencyGuidance()
    {
        var text = MessageTemplates.RenderNamed(Riverside, MessageTemplates.TextBackAfterHours);

        Assert.StartsWith("Hi, this is Riverside Dental Practice. We're closed right now (hours: Mon-Tue 08:30-13:00 & 14:00-18:00, Wed 08:30-13:00 & 14:00-19:30,", text);
        Assert.Contains("call NHS 111.", text);
        Assert.EndsWith("Reply STOP to opt out.", text);
    }

    // ---- rendering ----

    [Fact]
    public void Render_NoFirstName_LeavesPlainGreeting()
    {
        var text = MessageTemplates.Render("Hi{firstNameWithSpace}, this is {clinicName}.", Clinic());

        Assert.Equal("Hi, this is Maple Family Dental.", text);
    }

    [Fact]
    public void Render_FirstNamePlaceholder_UsesSanitisedName()
    {
        var text = MessageTemplates.Render("Dear {firstName}, from {clinicName}", Clinic(), new TemplateValues { FirstName = "  JOHN SMITH " });

        Assert.Equal("Dear John, from Maple Family Dental", text);
    }

    [Fact]
    public void Render_MissingBookingLink_TidiesDanglingColonAndSpaces()
    {
        var clinic = Clinic(bookingLink: null);

        var text = MessageTemplates.Render("{clinicName}: book online: {bookingLink}.  Call {address} ({address}). Reply STOP to opt out.", clinic);

        Assert.Equal("Maple Family Dental: book online. Call. Reply STOP to opt out.", text);
    }

    [Fact]
    public void Render_StaffAlert_MasksCallerAndUsesClinicTime()
    {
        var values = new TemplateValues
        {
            CallerNumber = "+447700900123",
            CallTime = new DateTimeOffset(2026, 7, 14, 8, 5, 0, TimeSpan.Zero),
            TaskLink = "https://ops.example.com/t/1",
        };

        var text = MessageTemplates.RenderNamed(Riverside, MessageTemplates.StaffAlert, values);

        Assert.Equal("Missed caller +44*******123 (Tue 14 Jul 09:05) has not replied. Callback task: https://ops.example.com/t/1", text);
        Assert.DoesNotContain("7700900", text);
    }

    [Fact]
    public void Render_EscapedBraces_RenderLiterally()
    {
        Assert.Equal("{clinicName} is Maple Family Dental", MessageTemplates.Render("{{clinicName}} is {clinicName}", Clinic()));
    }

    [Fact]
    public void Render_UnknownPlaceholder_ThrowsFormatException()
    {
        var ex = Assert.Throws<FormatException>(() => MessageTemplates.Render("Hi {patientName}", Clinic()));

        Assert.Contains("{patientName}", ex.Message);
    }

    [Fact]
    public void Render_NoEmergencyGuidance_FallsBackToCountryNumber()
    {
        Assert.Equal("If this is an emergency, call 911.", MessageTemplates.Render("{emergencyGuidance}", Clinic("US")));
        Assert.Contains("999", MessageTemplates.Render("{emergencyGuidance}", Clinic("GB")));
    }

    [Fact]
    public void Render_AllPlaceholders_AreKnown()
    {
        var template = string.Join(" ", MessageTemplates.Placeholders.Select(p => "{" + p + "}"));

        Assert.Empty(MessageTemplates.Validate(template));
        Assert.NotEmpty(MessageTemplates.Render(template, Riverside, MessageTemplates.SampleValues));
    }

    // ---- validation ----

    [Fact]
    public void Validate_UnknownPlaceholder_ListsTemplateAndName()
    {
        var clinic = Clinic(templates: new Dictionary<string, string> { ["textBack"] = "Hi {name} from {clinicName}" });

        var error = Assert.Single(MessageTemplates.Validate(clinic));

        Assert.StartsWith("templates.textBack: unknown placeholder {name}", error);
    }

    [Theory]
    [InlineData("Hi {clinicName", "not closed")]
    [InlineData("Hi clinicName}", "no opening brace")]
    [InlineData("Hi {first{clinicName}", "not closed")]
    [InlineData("Hi {ClinicName}", "unknown placeholder {ClinicName}")]
    public void Validate_BrokenTemplate_ReportsError(string template, string expected)
    {
        Assert.Contains(MessageTemplates.Validate(template), e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_BuiltInDefaults_HaveNoErrors()
    {
        foreach (var (name, template) in MessageTemplates.Defaults)
        {
            Assert.True(MessageTemplates.Validate(template).Count == 0, name);
        }
    }

    [Fact]
    public void ValidateContent_DefaultsForUsClinicWithoutTemplates_PassContentRules()
    {
        Assert.Empty(MessageTemplates.ValidateContent(Clinic("US")));
        Assert.Empty(MessageTemplates.ValidateContent(Clinic("GB", bookingLink: null)));
    }

    [Fact]
    public void ValidateContent_ClinicTemplateWithoutOptOut_ReportsIt()
    {
        var clinic = Clinic(templates: new Dictionary<string, string> { ["followUp"] = "Hi from {clinicName}, call us back!" });

        var error = Assert.Single(MessageTemplates.ValidateContent(clinic));

        Assert.StartsWith("templates.followUp: opt-out:", error);
    }

    // ---- opening hours summary ----

    [Fact]
    public void SummarizeOpeningHours_ConsecutiveSameHours_GroupsDays()
    {
        Assert.Equal("Mon-Tue 08:30-18:00, Sat 09:00-13:00", MessageTemplates.SummarizeOpeningHours(Clinic()));
    }

    [Fact]
    public void SummarizeOpeningHours_Glow_SplitsThursdayLateNight()
    {
        Assert.Equal("Tue-Wed 10:00-19:00, Thu 10:00-20:00, Fri 10:00-19:00, Sat 09:00-17:00", MessageTemplates.SummarizeOpeningHours(Glow));
    }

    [Fact]
    public void SummarizeOpeningHours_LunchGap_JoinsPeriods()
    {
        Assert.StartsWith("Mon-Tue 08:30-13:00 & 14:00-18:00, Wed 08:30-13:00 & 14:00-19:30", MessageTemplates.SummarizeOpeningHours(Riverside));
    }

    [Fact]
    public void SummarizeOpeningHours_NoHours_IsEmpty()
    {
        var clinic = Clinic() with { OpeningHours = new Dictionary<string, IReadOnlyList<OpeningPeriod>>() };

        Assert.Equal(string.Empty, MessageTemplates.SummarizeOpeningHours(clinic));
    }

    // ---- first names ----

    [Theory]
    [InlineData("Sam", "Sam")]
    [InlineData("JOHN SMITH", "John")]
    [InlineData("maría", "María")]
    [InlineData("Anne-Marie", "Anne-Marie")]
    [InlineData("McDonald", "McDonald")]
    [InlineData("WIRELESS CALLER", null)]
    [InlineData("<script>", null)]
    [InlineData("stop123", null)]
    [InlineData("Bartholomewsssssssssssss", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void SanitizeFirstName_Input_ReturnsSafeNameOrNull(string? input, string? expected)
    {
        Assert.Equal(expected, MessageTemplates.SanitizeFirstName(input));
    }

    // ---- composer ----

    [Fact]
    public void Compose_DuringHours_UsesClinicTextBack()
    {
        var composed = TextBackComposer.Compose(Glow, "dana", afterHours: false);

        Assert.Equal(MessageTemplates.TextBack, composed.TemplateName);
        Assert.False(composed.BuiltInDefault);
        Assert.StartsWith("Hi Dana! It's Glow Med Spa - sorry we missed your call.", composed.Text);
    }

    [Fact]
    public void Compose_AfterHours_UsesAfterHoursTemplate()
    {
        var composed = TextBackComposer.Compose(Glow, null, afterHours: true);

        Assert.Equal(MessageTemplates.TextBackAfterHours, composed.TemplateName);
        Assert.Contains("We're closed now (Tue-Wed 10:00-19:00", composed.Text);
        Assert.Contains("If this is a medical emergency, call 911.", composed.Text);
    }

    [Fact]
    public void Compose_ClinicWithoutTemplates_UsesBuiltInDefaults()
    {
        var clinic = Clinic();

        var during = TextBackComposer.Compose(clinic, "Sam", afterHours: false);
        var after = TextBackComposer.Compose(clinic, "Sam", afterHours: true);

        Assert.True(during.BuiltInDefault);
        Assert.Equal("Hi Sam, this is Maple Family Dental. Sorry we missed your call. How can we help? Reply here or book online: https://book.example.com/x Reply STOP to opt out.", during.Text);
        Assert.True(after.BuiltInDefault);
        Assert.Equal("Hi Sam, this is Maple Family Dental. Sorry we missed your call, we're closed right now (Mon-Tue 08:30-18:00, Sat 09:00-13:00). Reply here and we'll get back to you when we open. If this is an emergency, call 911. Reply STOP to opt out.", after.Text);
    }

    [Fact]
    public void Compose_ClinicWithOnlyTextBack_FallsBackToDefaultAfterHours()
    {
        var clinic = Clinic(templates: new Dictionary<string, string> { ["textBack"] = "{clinicName}: sorry we missed you. Reply STOP to opt out." });

        Assert.False(TextBackComposer.Compose(clinic, null, afterHours: false).BuiltInDefault);
        Assert.True(TextBackComposer.Compose(clinic, null, afterHours: true).BuiltInDefault);
    }

    [Fact]
    public void Compose_NoBookingLink_DefaultHasNoDanglingBookingOffer()
    {
        var text = TextBackComposer.Compose(Clinic(bookingLink: null), null, afterHours: false).Text;

        Assert.Equal("Hi, this is Maple Family Dental. Sorry we missed your call. How can we help? Just reply to this text. Reply STOP to opt out.", text);
    }

    [Fact]
    public void Compose_NameCarryingInjectedText_NeverEchoesIt()
    {
        var text = TextBackComposer.Compose(Clinic(), "Sam, your HIV test results are ready", afterHours: false).Text;

        Assert.StartsWith("Hi Sam, this is", text);
        Assert.DoesNotContain("HIV", text);
    }

    // ---- content rules ----

    [Fact]
    public void Check_CompliantUsText_HasNoViolations()
    {
        Assert.Empty(ContentRules.Check("Maple Family Dental: sorry we missed your call. Reply STOP to opt out, HELP for help.", Clinic("US")));
    }

    [Theory]
    [InlineData("Your root canal is booked")]
    [InlineData("Your test results are in")]
    [InlineData("About your Botox touch-up")]
    [InlineData("Your prescription is ready")]
    [InlineData("Post-extraction check")]
    [InlineData("Implant consult")]
    [InlineData("Pregnancy scan")]
    [InlineData("Sus resultados de laboratorio")]
    public void Check_ClinicalWording_ReportsClinicalTerm(string body)
    {
        var violations = ContentRules.Check($"Maple Family Dental: {body}. Reply STOP to opt out.", Clinic("US"));

        Assert.Contains(violations, v => v.Code == "clinical-term");
    }

    [Fact]
    public void Check_ClinicalWordInClinicName_IsAllowed()
    {
        var clinic = Clinic("US") with { Name = "Smile Implant Center" };

        Assert.Empty(ContentRules.Check("Smile Implant Center: sorry we missed your call. Reply STOP to opt out.", clinic));
    }

    [Fact]
    public void Check_NoClinicName_ReportsClinicName()
    {
        var violations = ContentRules.Check("Sorry we missed your call. Reply STOP to opt out.", Clinic("US"));

        Assert.Equal("clinic-name", Assert.Single(violations).Code);
    }

    [Theory]
    [InlineData("US")]
    [InlineData("CA")]
    [InlineData("GB")]
    public void Check_NoOptOutWhereRequired_ReportsOptOut(string country)
    {
        var violations = ContentRules.Check("Maple Family Dental: sorry we missed your call.", Clinic(country));

        Assert.Equal("opt-out", Assert.Single(violations).Code);
    }

    [Fact]
    public void Check_NoOptOutInFrance_IsAllowed()
    {
        Assert.Empty(ContentRules.Check("Maple Family Dental: sorry we missed your call.", Clinic("FR")));
    }

    [Fact]
    public void Check_OptOutNotLast_ReportsOptOut()
    {
        var violations = ContentRules.Check("Maple Family Dental: Reply STOP to opt out. Book at https://book.example.com/x", Clinic("US"));

        Assert.Contains("must come last", Assert.Single(violations).Message);
    }

    [Theory]
    [InlineData("Maple Family Dental: hola. Responde STOP para darte de baja.")]
    [InlineData("Maple Family Dental: hola. Responda BAJA para cancelar, AYUDA para ayuda.")]
    [InlineData("Maple Family Dental: hi. Msg & data rates may apply. Text STOP to unsubscribe.")]
    [InlineData("Maple Family Dental: hi. Reply STOP to opt out. Msg & data rates may apply.")]
    [InlineData("Maple Family Dental: hi. Reply “STOP” to opt out or HELP for help")]
    public void Check_AcceptedOptOutWording_HasNoViolations(string text)
    {
        Assert.Empty(ContentRules.Check(text, Clinic("US")));
    }

    [Fact]
    public void Check_OptOutConfirmation_DoesNotNeedStopFooter()
    {
        var text = MessageTemplates.RenderNamed(Clinic("US"), MessageTemplates.OptOutConfirmation);

        Assert.Equal("You're opted out of texts from Maple Family Dental. Reply START to opt back in.", text);
        Assert.Empty(ContentRules.Check(text, Clinic("US"), MessageTemplates.OptOutConfirmation));
        Assert.Contains(ContentRules.Check(text, Clinic("US")), v => v.Code == "opt-out");
    }

    [Fact]
    public void Check_StaffAlert_SkipsClinicNameAndOptOut()
    {
        Assert.Empty(ContentRules.Check("Missed caller +44*******123 has not replied.", Clinic("US"), MessageTemplates.StaffAlert));
    }

    [Fact]
    public void Check_StaffAlertWithClinicalWord_StillReportsIt()
    {
        var violations = ContentRules.Check("Caller +44*******123 asked about an infection.", Clinic("US"), MessageTemplates.StaffAlert);

        Assert.Equal("clinical-term", Assert.Single(violations).Code);
    }

    [Theory]
    [InlineData("https://bit.ly/3abcd")]
    [InlineData("bit.ly/3abcd")]
    [InlineData("http://tinyurl.com/xyz")]
    [InlineData("https://t.co/abc")]
    public void Check_UrlShortener_ReportsIt(string link)
    {
        var violations = ContentRules.Check($"Maple Family Dental: book here {link} Reply STOP to opt out.", Clinic("US"));

        Assert.Equal("url-shortener", Assert.Single(violations).Code);
    }

    [Fact]
    public void Check_FullClinicLink_IsAllowed()
    {
        Assert.Empty(ContentRules.Check("Maple Family Dental: book at https://book.maple-dental.example/online?src=sms Reply STOP to opt out.", Clinic("US")));
    }

    [Fact]
    public void Check_PromotionalWording_ReportsIt()
    {
        var violations = ContentRules.Check("Maple Family Dental: 20% off whitening this week! Reply STOP to opt out.", Clinic("US"));

        Assert.Equal("promotional", Assert.Single(violations).Code);
    }

    [Fact]
    public void Check_FourGsmSegments_ReportsLength()
    {
        var text = "Maple Family Dental: " + new string('a', 450) + " Reply STOP to opt out.";

        var violation = Assert.Single(ContentRules.Check(text, Clinic("US")));

        Assert.Equal("length", violation.Code);
        Assert.Contains("4 SMS segments", violation.Message);
    }

    [Fact]
    public void Check_UnicodeTextOverThreeSegments_ReportsLength()
    {
        // 140 GSM characters would be one segment; one emoji turns the text into UCS-2 (67 per part).
        var text = "Maple Family Dental: " + new string('a', 180) + " 🙂 Reply STOP to opt out.";

        Assert.Equal(SmsEncoding.Ucs2, SmsSegments.Measure(text).Encoding);
        Assert.Equal("length", Assert.Single(ContentRules.Check(text, Clinic("US"))).Code);
    }

    // ---- segments ----

    [Theory]
    [InlineData(1, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    [InlineData(459, 3)]
    [InlineData(460, 4)]
    public void Measure_GsmLength_CountsSegments(int length, int segments)
    {
        var size = SmsSegments.Measure(new string('x', length));

        Assert.Equal(SmsEncoding.Gsm7, size.Encoding);
        Assert.Equal(segments, size.Segments);
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void Measure_Ucs2Length_CountsSegments(int length, int segments)
    {
        var size = SmsSegments.Measure("ł" + new string('x', length - 1));

        Assert.Equal(SmsEncoding.Ucs2, size.Encoding);
        Assert.Equal(segments, size.Segments);
    }

    [Fact]
    public void Measure_ExtensionCharacters_CountTwice()
    {
        var size = SmsSegments.Measure(new string('€', 80));

        Assert.Equal(SmsEncoding.Gsm7, size.Encoding);
        Assert.Equal(160, size.Units);
        Assert.Equal(1, size.Segments);
    }

    [Fact]
    public void Measure_CurlyApostrophe_IsUcs2()
    {
        Assert.Equal(SmsEncoding.Ucs2, SmsSegments.Measure("We’re closed").Encoding);
        Assert.Equal(SmsEncoding.Gsm7, SmsSegments.Measure("We're closed, café é ñ").Encoding);
    }

    private static IReadOnlyList<ClinicConfig> LoadSampleClinics()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "samples", "clinics.sample.json")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var (file, errors) = ClinicConfigValidator.Parse(File.ReadAllText(Path.Combine(directory.FullName, "samples", "clinics.sample.json")));
        Assert.Empty(errors);
        return file!.Clinics;
    }
}
