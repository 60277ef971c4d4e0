using System.Text.Json;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>JSON reading shared by the webhook adapters (call events and inbound SMS).</summary>
/// <remarks>
/// The JSON reader accepts escapes that decode to no valid UTF-16 (a lone surrogate, <c>"\uD800"</c>) and some invalid
/// UTF-8 inside strings; <see cref="JsonElement"/> only finds out when the text is decoded, and throws
/// <see cref="InvalidOperationException"/>. Webhook text is read through <see cref="String"/>, <see cref="TryGetProperty"/>,
/// <see cref="Property"/> and <see cref="Name"/>, which turn that into a <see cref="WebhookFormatException"/> (a 400).
/// </remarks>
internal static class WebhookJson
{
    private const string UnreadableText = "is not valid text (an unpaired UTF-16 surrogate or invalid UTF-8)";

    /// <summary>Parses a webhook body; an empty or malformed body is a <see cref="WebhookFormatException"/> naming the provider.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> body, string provider, JsonDocumentOptions options, bool whitespaceIsEmpty = false)
    {
        if (body.IsEmpty || (whitespaceIsEmpty && body.Span.Trim(" \t\r\n"u8).IsEmpty))
        {
            throw new WebhookFormatException($"{provider} body is empty.");
        }

        try
        {
            return JsonDocument.Parse(body, options);
        }
        catch (JsonException)
        {
            throw new WebhookFormatException($"{provider} body is not valid JSON.");
        }
    }

    /// <summary>
    /// The text of a string value. <paramref name="field"/> names it in the error (e.g. <c>"Telnyx field 'data.id'"</c>);
    /// it must not quote the body.
    /// </summary>
    public static string String(JsonElement value, string field)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException) when (value.ValueKind == JsonValueKind.String)
        {
            throw new WebhookFormatException($"{field} {UnreadableText}.");
        }
    }

    /// <summary><see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>, which decodes the names it passes on the way.</summary>
    public static bool TryGetProperty(JsonElement item, string name, out JsonElement value)
    {
        try
        {
            return item.TryGetProperty(name, out value);
        }
        catch (InvalidOperationException)
        {
            throw UnreadableName();
        }
    }

    /// <summary>A property's name.</summary>
    public static string Name(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw UnreadableName();
        }
    }

    /// <summary>A property by name: exact match first, then case-insensitive (providers' samples vary the casing). JSON null counts as absent.</summary>
    public static JsonElement? Property(JsonElement item, string name)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (TryGetProperty(item, name, out var exact))
        {
            return exact.ValueKind == JsonValueKind.Null ? null : exact;
        }

        foreach (var property in item.EnumerateObject())
        {
            if (string.Equals(Name(property), name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }

        return null;
    }

    private static WebhookFormatException UnreadableName() => new($"A property name in the body {UnreadableText}.");
}
