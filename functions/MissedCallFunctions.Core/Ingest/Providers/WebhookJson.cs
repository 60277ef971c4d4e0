using System.Text.Json;

namespace MissedCallFunctions.Ingest.Providers;

/// <summary>JSON reading shared by the webhook adapters (call events and inbound SMS).</summary>
internal static class WebhookJson
{
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

    /// <summary>A property by name: exact match first, then case-insensitive (providers' samples vary the casing). JSON null counts as absent.</summary>
    public static JsonElement? Property(JsonElement item, string name)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (item.TryGetProperty(name, out var exact))
        {
            return exact.ValueKind == JsonValueKind.Null ? null : exact;
        }

        foreach (var property in item.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }

        return null;
    }
}
