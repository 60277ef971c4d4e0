using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace MissedCallFunctions.Infra.Tests;

/// <summary>
/// A small evaluator for the ARM template expressions Bicep emits (<c>"[resourceId(...)]"</c>), enough to
/// evaluate a compiled module in isolation with chosen parameter values. It knows only the functions our
/// templates use and throws on anything else, so a template change that it cannot follow fails loudly.
/// </summary>
internal sealed class ArmExpressionEvaluator
{
    public const string SubscriptionId = "00000000-0000-0000-0000-00000000aaaa";
    public const string ResourceGroup = "rg-test";
    public const string Location = "eastus2";

    private readonly JsonObject _template;
    private readonly IReadOnlyDictionary<string, JsonNode?> _parameters;
    private readonly Dictionary<string, JsonNode?> _variableCache = new(StringComparer.OrdinalIgnoreCase);

    public ArmExpressionEvaluator(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameterValues)
    {
        _template = template;
        var parameters = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
        var declared = template["parameters"]?.AsObject() ?? [];
        foreach (var (name, declaration) in declared)
        {
            if (parameterValues.TryGetValue(name, out var value))
            {
                parameters[name] = value?.DeepClone();
            }
            else if (declaration?["defaultValue"] is { } defaultValue)
            {
                parameters[name] = defaultValue.DeepClone();
            }
        }

        foreach (var name in parameterValues.Keys)
        {
            if (!declared.ContainsKey(name))
            {
                throw new ArgumentException($"The template declares no parameter '{name}'.", nameof(parameterValues));
            }
        }

        _parameters = parameters;
    }

    /// <summary>True when an ARM string value is an expression (<c>[...]</c> but not the <c>[[</c> escape).</summary>
    public static bool IsExpression(string value) =>
        value.Length >= 2 && value[0] == '[' && value[^1] == ']' && !value.StartsWith("[[", StringComparison.Ordinal);

    /// <summary>Parses the inside of an expression string (without the brackets).</summary>
    public static ArmNode Parse(string expressionString)
    {
        if (!IsExpression(expressionString))
        {
            throw new ArgumentException($"Not an ARM expression: {expressionString}", nameof(expressionString));
        }

        return new Parser(expressionString[1..^1]).ParseAll();
    }

    /// <summary>Evaluates a template value: literals as they are, expressions (values and property names) evaluated, objects and arrays deeply.</summary>
    public JsonNode? EvaluateValue(JsonNode? value)
    {
        switch (value)
        {
            case JsonValue jsonValue when jsonValue.TryGetValue<string>(out var text):
                return IsExpression(text) ? Evaluate(Parse(text)) : JsonValue.Create(text);
            case JsonObject obj:
                var resultObject = new JsonObject();
                foreach (var (key, child) in obj)
                {
                    // ARM evaluates expressions in property names too (e.g. userAssignedIdentities keys).
                    var evaluatedKey = IsExpression(key) ? AsString(Evaluate(Parse(key))) : key;
                    resultObject[evaluatedKey] = EvaluateValue(child);
                }

                return resultObject;
            case JsonArray array:
                return new JsonArray(array.Select(EvaluateValue).ToArray());
            default:
                return value?.DeepClone();
        }
    }

    public string EvaluateString(JsonNode? value) =>
        EvaluateValue(value) is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw new InvalidOperationException($"Expected a string from {value?.ToJsonString()}.");

    public JsonNode? Evaluate(ArmNode node) => node switch
    {
        ArmLiteral literal => literal.Value?.DeepClone(),
        ArmMember member => Member(Evaluate(member.Target), member.Name),
        ArmIndex index => IndexInto(Evaluate(index.Target), Evaluate(index.Index)),
        ArmCall call => Call(call),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    private JsonNode? Call(ArmCall call)
    {
        switch (call.Name.ToLowerInvariant())
        {
            case "parameters":
                var parameterName = AsString(Evaluate(call.Arguments.Single()));
                return _parameters.TryGetValue(parameterName, out var parameterValue)
                    ? parameterValue?.DeepClone()
                    : throw new InvalidOperationException($"Parameter '{parameterName}' has no value.");
            case "variables":
                return Variable(AsString(Evaluate(call.Arguments.Single())));
            case "if":
                return AsBool(Evaluate(call.Arguments[0])) ? Evaluate(call.Arguments[1]) : Evaluate(call.Arguments[2]);
            case "equals":
                return JsonValue.Create(JsonNode.DeepEquals(Evaluate(call.Arguments[0]), Evaluate(call.Arguments[1])));
            case "not":
                return JsonValue.Create(!AsBool(Evaluate(call.Arguments.Single())));
            case "empty":
                return JsonValue.Create(Evaluate(call.Arguments.Single()) switch
                {
                    null => true,
                    JsonArray a => a.Count == 0,
                    JsonObject o => o.Count == 0,
                    JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0,
                    _ => false,
                });
            case "format":
                var formatArguments = call.Arguments.Skip(1).Select(a => (object?)Render(Evaluate(a))).ToArray();
                return JsonValue.Create(string.Format(CultureInfo.InvariantCulture, AsString(Evaluate(call.Arguments[0])), formatArguments));
            case "concat":
                return JsonValue.Create(string.Concat(call.Arguments.Select(a => Render(Evaluate(a)))));
            case "tolower":
                return JsonValue.Create(AsString(Evaluate(call.Arguments.Single())).ToLowerInvariant());
            case "toupper":
                return JsonValue.Create(AsString(Evaluate(call.Arguments.Single())).ToUpperInvariant());
            case "uricomponent":
                return JsonValue.Create(Uri.EscapeDataString(AsString(Evaluate(call.Arguments.Single()))));
            case "createobject":
                var created = new JsonObject();
                for (var i = 0; i < call.Arguments.Count; i += 2)
                {
                    created[AsString(Evaluate(call.Arguments[i]))] = Evaluate(call.Arguments[i + 1]);
                }

                return created;
            case "createarray":
                return new JsonArray(call.Arguments.Select(Evaluate).ToArray());
            case "replace":
                return JsonValue.Create(AsString(Evaluate(call.Arguments[0]))
                    .Replace(AsString(Evaluate(call.Arguments[1])), AsString(Evaluate(call.Arguments[2])), StringComparison.Ordinal));
            case "take":
                var takeCount = (int)AsLong(Evaluate(call.Arguments[1]));
                return Evaluate(call.Arguments[0]) switch
                {
                    JsonArray takeArray => new JsonArray(takeArray.Take(takeCount).Select(n => n?.DeepClone()).ToArray()),
                    var other => JsonValue.Create(new string(AsString(other).Take(takeCount).ToArray())),
                };
            case "union":
                var merged = new JsonObject();
                foreach (var argument in call.Arguments)
                {
                    foreach (var (key, child) in (JsonObject)Evaluate(argument)!)
                    {
                        merged[key] = child?.DeepClone();
                    }
                }

                return merged;
            case "uniquestring":
                // Not ARM's hash, but deterministic and 13 lower-case alphanumerics like the real one.
                var seed = string.Join("|", call.Arguments.Select(a => AsString(Evaluate(a))));
                var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
                return JsonValue.Create(hash[..13]);
            case "subscription":
                return new JsonObject
                {
                    ["id"] = $"/subscriptions/{SubscriptionId}",
                    ["subscriptionId"] = SubscriptionId,
                };
            case "resourcegroup":
                return new JsonObject
                {
                    ["id"] = $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}",
                    ["name"] = ResourceGroup,
                    ["location"] = Location,
                };
            case "environment":
                return new JsonObject
                {
                    ["name"] = "AzureCloud",
                    ["suffixes"] = new JsonObject { ["storage"] = "core.windows.net" },
                };
            case "resourceid":
                return JsonValue.Create(
                    $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}/providers/{ResourcePath(call)}");
            case "subscriptionresourceid":
                return JsonValue.Create($"/subscriptions/{SubscriptionId}/providers/{ResourcePath(call)}");
            default:
                throw new NotSupportedException($"ARM function '{call.Name}' is not supported by this test evaluator.");
        }
    }

    private string ResourcePath(ArmCall call)
    {
        // resourceId('Namespace/typeA/typeB', 'nameA', 'nameB') -> Namespace/typeA/nameA/typeB/nameB
        var values = call.Arguments.Select(a => AsString(Evaluate(a))).ToArray();
        var typeSegments = values[0].Split('/');
        var names = values[1..];
        if (typeSegments.Length - 1 != names.Length)
        {
            throw new InvalidOperationException($"Resource type {values[0]} needs {typeSegments.Length - 1} names, got {names.Length}.");
        }

        var path = new StringBuilder(typeSegments[0]);
        for (var i = 0; i < names.Length; i++)
        {
            path.Append('/').Append(typeSegments[i + 1]).Append('/').Append(names[i]);
        }

        return path.ToString();
    }

    private JsonNode? Variable(string name)
    {
        if (_variableCache.TryGetValue(name, out var cached))
        {
            return cached?.DeepClone();
        }

        var raw = _template["variables"]?[name] ?? throw new InvalidOperationException($"Variable '{name}' is not declared.");
        var value = EvaluateValue(raw);
        _variableCache[name] = value;
        return value?.DeepClone();
    }

    private static JsonNode? Member(JsonNode? target, string name) =>
        target is JsonObject obj
            ? obj.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.DeepClone()
              ?? throw new InvalidOperationException($"No property '{name}' in {obj.ToJsonString()}.")
            : throw new InvalidOperationException($"Cannot read '.{name}' of {target?.ToJsonString() ?? "null"}.");

    private static JsonNode? IndexInto(JsonNode? target, JsonNode? index) => (target, index) switch
    {
        (JsonArray array, JsonValue i) when i.TryGetValue<int>(out var n) => array[n]?.DeepClone(),
        (JsonObject, JsonValue key) when key.TryGetValue<string>(out var k) => Member(target, k),
        _ => throw new InvalidOperationException($"Cannot index {target?.ToJsonString()} with {index?.ToJsonString()}."),
    };

    private static string AsString(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw new InvalidOperationException($"Expected a string, got {node?.ToJsonString() ?? "null"}.");

    private static long AsLong(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<long>(out var n)
            ? n
            : node is JsonValue i && i.TryGetValue<int>(out var m)
                ? m
                : throw new InvalidOperationException($"Expected an integer, got {node?.ToJsonString() ?? "null"}.");

    private static bool AsBool(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<bool>(out var b)
            ? b
            : throw new InvalidOperationException($"Expected a bool, got {node?.ToJsonString() ?? "null"}.");

    private static string Render(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        null => string.Empty,
        _ => node.ToJsonString(),
    };

    /// <summary>Recursive-descent parser for the ARM expression language (calls, literals, .member, [index]).</summary>
    private sealed class Parser(string text)
    {
        private int _position;

        public ArmNode ParseAll()
        {
            var node = ParseExpression();
            SkipWhitespace();
            if (_position != text.Length)
            {
                throw Error("unexpected trailing text");
            }

            return node;
        }

        private ArmNode ParseExpression()
        {
            SkipWhitespace();
            var node = ParsePrimary();
            while (true)
            {
                SkipWhitespace();
                if (TryConsume('.'))
                {
                    node = new ArmMember(node, ReadIdentifier());
                }
                else if (TryConsume('['))
                {
                    var index = ParseExpression();
                    Expect(']');
                    node = new ArmIndex(node, index);
                }
                else
                {
                    return node;
                }
            }
        }

        private ArmNode ParsePrimary()
        {
            SkipWhitespace();
            if (_position >= text.Length)
            {
                throw Error("unexpected end");
            }

            var c = text[_position];
            if (c == '\'')
            {
                return new ArmLiteral(JsonValue.Create(ReadString()));
            }

            if (char.IsDigit(c) || c == '-')
            {
                var start = _position++;
                while (_position < text.Length && char.IsDigit(text[_position]))
                {
                    _position++;
                }

                return new ArmLiteral(JsonValue.Create(long.Parse(text[start.._position], CultureInfo.InvariantCulture)));
            }

            var name = ReadIdentifier();
            Expect('(');
            var arguments = new List<ArmNode>();
            SkipWhitespace();
            if (!TryConsume(')'))
            {
                do
                {
                    arguments.Add(ParseExpression());
                    SkipWhitespace();
                }
                while (TryConsume(','));

                Expect(')');
            }

            return name.ToLowerInvariant() switch
            {
                "true" when arguments.Count == 0 => new ArmLiteral(JsonValue.Create(true)),
                "false" when arguments.Count == 0 => new ArmLiteral(JsonValue.Create(false)),
                "null" when arguments.Count == 0 => new ArmLiteral(null),
                _ => new ArmCall(name, arguments),
            };
        }

        private string ReadString()
        {
            Expect('\'');
            var value = new StringBuilder();
            while (true)
            {
                if (_position >= text.Length)
                {
                    throw Error("unterminated string");
                }

                var c = text[_position++];
                if (c == '\'')
                {
                    if (_position < text.Length && text[_position] == '\'')
                    {
                        value.Append('\'');
                        _position++;
                        continue;
                    }

                    return value.ToString();
                }

                value.Append(c);
            }
        }

        private string ReadIdentifier()
        {
            SkipWhitespace();
            var start = _position;
            while (_position < text.Length && (char.IsLetterOrDigit(text[_position]) || text[_position] == '_'))
            {
                _position++;
            }

            return _position > start ? text[start.._position] : throw Error("identifier expected");
        }

        private void SkipWhitespace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        private bool TryConsume(char c)
        {
            SkipWhitespace();
            if (_position < text.Length && text[_position] == c)
            {
                _position++;
                return true;
            }

            return false;
        }

        private void Expect(char c)
        {
            if (!TryConsume(c))
            {
                throw Error($"'{c}' expected");
            }
        }

        private FormatException Error(string message) => new($"{message} at {_position} in: {text}");
    }
}

internal abstract record ArmNode;

internal sealed record ArmLiteral(JsonNode? Value) : ArmNode;

internal sealed record ArmCall(string Name, IReadOnlyList<ArmNode> Arguments) : ArmNode;

internal sealed record ArmMember(ArmNode Target, string Name) : ArmNode;

internal sealed record ArmIndex(ArmNode Target, ArmNode Index) : ArmNode;
