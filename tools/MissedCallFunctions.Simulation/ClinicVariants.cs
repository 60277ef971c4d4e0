using System.Globalization;
using System.Text.Json.Nodes;

namespace MissedCallFunctions.Simulation;

/// <summary>
/// Named changes to a clinics file for what-if runs, so the second configuration need not be written by hand:
/// <c>no-follow-up</c> (the ladder without its patient nudges), <c>follow-up-after=HH:MM:SS</c>, <c>no-quiet-hours</c>
/// (texts at any hour), <c>quiet-hours=HH:MM-HH:MM</c>, <c>no-booking</c> (replies go to staff).
/// </summary>
public static class ClinicVariants
{
    public static IReadOnlyList<string> Names { get; } = ["no-follow-up", "follow-up-after=HH:MM:SS", "no-quiet-hours", "quiet-hours=HH:MM-HH:MM", "no-booking"];

    public static string Apply(string clinicsJson, string variant)
    {
        var root = JsonNode.Parse(clinicsJson, documentOptions: new System.Text.Json.JsonDocumentOptions
        {
            CommentHandling = System.Text.Json.JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        }) ?? throw new InvalidDataException("The clinics file is empty.");
        var (name, value) = variant.Split('=', 2) is [var n, var v] ? (n, v) : (variant, null);
        foreach (var clinic in (root["clinics"]?.AsArray() ?? []).OfType<JsonObject>())
        {
            switch (name)
            {
                case "no-follow-up":
                    RemoveWhere(clinic["escalationLadder"]?.AsArray(), s => (string?)s["action"] == "nudgePatient");
                    break;
                case "follow-up-after":
                    var after = TimeSpan.ParseExact(value ?? string.Empty, "c", CultureInfo.InvariantCulture);
                    foreach (var step in (clinic["escalationLadder"]?.AsArray() ?? []).OfType<JsonObject>().Where(s => (string?)s["action"] == "nudgePatient"))
                    {
                        step.Remove("afterBusinessDays");
                        step["after"] = after.ToString("c", CultureInfo.InvariantCulture);
                    }

                    break;
                case "no-quiet-hours":
                    clinic["sendingHours"] = new JsonObject { ["start"] = "00:00", ["end"] = "23:59" };
                    break;
                case "quiet-hours" when value?.Split('-') is [var start, var end]:
                    // Quiet from start to end: texts allowed from end to start.
                    clinic["sendingHours"] = new JsonObject { ["start"] = end, ["end"] = start };
                    break;
                case "no-booking":
                    clinic.Remove("booking");
                    break;
                default:
                    throw new ArgumentException($"Unknown variant '{variant}'. Known: {string.Join(", ", Names)}.", nameof(variant));
            }
        }

        return root.ToJsonString();
    }

    private static void RemoveWhere(JsonArray? array, Func<JsonNode, bool> predicate)
    {
        if (array is null)
        {
            return;
        }

        for (var i = array.Count - 1; i >= 0; i--)
        {
            if (array[i] is { } node && predicate(node))
            {
                array.RemoveAt(i);
            }
        }
    }
}
