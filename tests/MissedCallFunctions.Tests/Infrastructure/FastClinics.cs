using System.Text.Json;
using System.Text.Json.Nodes;

namespace MissedCallFunctions.Tests.Infrastructure;

/// <summary>
/// The sample clinics with a ladder in seconds, always open and always inside sending hours, so a whole recovery
/// runs in a test on the real engine (timings are configuration, not special code paths).
/// </summary>
public static class FastClinics
{
    public const string UkStaffToken = "dev-riverside-staff-token-0001";

    public const string DefaultLadder = """
        [
          { "after": "00:00:04", "action": "nudgePatient", "template": "followUp" },
          { "after": "00:00:06", "action": "staffCallbackTask" },
          { "after": "00:00:06", "action": "alertStaff", "template": "staffAlert" },
          { "after": "00:00:08", "action": "alertManager", "template": "managerAlert" }
        ]
        """;

    private const string AllDay = """[{"open":"00:00","close":"23:59"}]""";

    /// <param name="booking">Keep the sample's booking conversation (with a seconds-scale reply timeout); else replies go to staff.</param>
    /// <param name="externalBookingUrl">Switch the UK clinic to the external booking mode, posting to this receiver.</param>
    /// <param name="chairs">Override the number of chairs (1 makes every slot contested).</param>
    public static string File(string ladderJson = DefaultLadder, bool booking = false, Uri? externalBookingUrl = null, int? chairs = null)
    {
        var root = JsonNode.Parse(System.IO.File.ReadAllText(SamplePaths.Clinics("clinics.sample.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        var days = new JsonObject();
        foreach (var day in new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" })
        {
            days[day] = JsonNode.Parse(AllDay);
        }

        foreach (var clinic in root["clinics"]!.AsArray())
        {
            clinic!["escalationLadder"] = JsonNode.Parse(ladderJson);
            clinic["sendingHours"] = JsonNode.Parse("""{"start":"00:00","end":"23:59"}""");
            clinic["holidays"] = new JsonArray();
            clinic["openingHours"] = days.DeepClone();
            if (!booking)
            {
                clinic.AsObject().Remove("booking");
            }
            else if (clinic["booking"] is JsonObject settings)
            {
                settings["replyTimeout"] = "00:00:20";
                if (chairs is { } count)
                {
                    settings["chairs"] = count;
                }

                if (externalBookingUrl is not null && (string?)clinic["id"] == "riverside-dental")
                {
                    settings["mode"] = "external";
                    settings["externalWebhookUrl"] = externalBookingUrl.ToString();
                    settings["externalWebhookSecret"] = "test-external-booking-secret-0001";
                }
            }
        }

        var path = Path.Combine(Path.GetTempPath(), $"clinics-fast-{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, root.ToJsonString());
        return path;
    }
}
