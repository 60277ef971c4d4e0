using System.Text.Json.Nodes;

namespace MissedCallFunctions.Infra.Tests;

/// <summary>Evaluates expressions of the compiled main template with the values of main.parameters.json.</summary>
internal static class MainEvaluator
{
    public static ArmExpressionEvaluator Create(ArmTemplate main, string environmentName = "prod") =>
        new(main.Root, new Dictionary<string, JsonNode?> { ["environmentName"] = environmentName });
}
