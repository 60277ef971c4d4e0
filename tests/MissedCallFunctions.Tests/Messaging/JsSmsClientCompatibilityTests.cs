using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MissedCallFunctions.LocalHost.SmsSandbox;

namespace MissedCallFunctions.Tests.Messaging;

/// <summary>
/// The official ACS JS client (@azure/communication-sms 1.1.0, installed by npm ci from the repository's package.json)
/// against the sandbox: proves the sandbox checks the HMAC the way ACS does, not only the way our own client signs.
/// What the JS client signs: "POST\n{URL pathname}?{query}\n{x-ms-date};{URL host, with the port};{x-ms-content-sha256}",
/// SignedHeaders=x-ms-date;host;x-ms-content-sha256, with the repeatability pair inside each smsRecipients entry.
/// </summary>
public sealed class JsSmsClientCompatibilityTests
{
    private const string Clinic = "+18005550100";
    private const string Patient = "+14255550123";

    [Fact]
    public async Task OfficialJsClient_SandboxAtTheRoot_IsAcceptedAndItsHmacValidates()
    {
        await using var server = await SandboxServer.StartAsync(pathPrefix: "");

        var output = await RunNodeAsync([server.ConnectionString, Clinic, Patient, "Sorry we missed your call", "--tag", "js-compat"]);

        Assert.True((bool?)output["ok"], output.ToJsonString());
        var result = output["results"]!.AsArray().Single()!;
        Assert.True((bool?)result["successful"]);
        Assert.Equal(202, (int?)result["httpStatusCode"]);
        Assert.Equal("accepted", (string?)result["repeatabilityResult"]);
        var stored = Assert.Single(server.Sandbox.Thread(Patient));
        Assert.Equal((string?)result["messageId"], stored.MessageId);
        Assert.Equal(("Sorry we missed your call", Clinic, "js-compat", true), (stored.Body, stored.From, stored.Tag, stored.EnableDeliveryReport));
        Assert.True(Guid.TryParse(stored.RepeatabilityRequestId, out _));
        Assert.NotNull(stored.RepeatabilityFirstSent);

        var request = Assert.Single(server.Sandbox.Requests);
        Assert.Equal(202, request.StatusCode);
        Assert.Equal("HMAC-SHA256", request.AuthScheme);
        Assert.Null(request.AuthFailure);
        Assert.Equal("x-ms-date;host;x-ms-content-sha256", request.SignedHeaders);
        Assert.Equal("/sms?api-version=2021-03-07", request.SignedPathAndQuery);
        Assert.Equal(server.BaseAddress.Authority, request.Host);
    }

    [Fact]
    public async Task OfficialJsClient_SandboxUnderAPrefix_SignsThePrefixedPath()
    {
        await using var server = await SandboxServer.StartAsync();

        var output = await RunNodeAsync([server.OriginConnectionString, Clinic, Patient, "hi", "--base-url", server.Endpoint.ToString()]);

        Assert.True((bool?)output["ok"], output.ToJsonString());
        var request = Assert.Single(server.Sandbox.Requests);
        Assert.Equal("/sandbox/acs/sms?api-version=2021-03-07", request.SignedPathAndQuery);
        Assert.Null(request.AuthFailure);
        Assert.Single(server.Sandbox.Messages);
    }

    [Fact]
    public async Task OfficialJsClient_ConnectionStringEndpointWithAPath_IsRefusedByTheClient()
    {
        await using var server = await SandboxServer.StartAsync();

        var output = await RunNodeAsync([server.ConnectionString, Clinic, Patient, "hi"], expectJson: false);

        Assert.Contains("Invalid endpoint url", (string?)output["stderr"], StringComparison.Ordinal);
        Assert.Empty(server.Sandbox.Requests);
    }

    [Fact]
    public async Task OfficialJsClient_WrongKey_IsRefusedWith401()
    {
        await using var server = await SandboxServer.StartAsync(pathPrefix: "");
        var wrongKey = server.ConnectionString.Replace(SmsSandboxOptions.DevelopmentAccessKey, Convert.ToBase64String("wrong"u8.ToArray()), StringComparison.Ordinal);

        var output = await RunNodeAsync([wrongKey, Clinic, Patient, "hi"]);

        Assert.False((bool?)output["ok"]);
        Assert.Equal(401, (int?)output["statusCode"]);
        Assert.StartsWith("The HMAC signature does not match", server.Sandbox.Requests.Single().AuthFailure, StringComparison.Ordinal);
        Assert.Empty(server.Sandbox.Messages);
    }

    private static async Task<JsonNode> RunNodeAsync(string[] arguments, bool expectJson = true)
    {
        var root = FindRepositoryRoot();
        var package = Path.Combine(root, "node_modules", "@azure", "communication-sms", "package.json");
        Assert.True(File.Exists(package),
            $"@azure/communication-sms is not installed ({package} is missing). Run 'npm ci' in {root}: package.json pins it as a devDependency.");
        var script = Path.Combine(root, "tests", "MissedCallFunctions.Tests", "Messaging", "js", "send-sms.mjs");

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("node send-sms.mjs did not finish within 60 s.");
        }

        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var last = lines.LastOrDefault(l => l.StartsWith('{'));
        if (!expectJson)
        {
            return new JsonObject { ["exitCode"] = process.ExitCode, ["stdout"] = string.Join('\n', lines), ["stderr"] = await stderr };
        }

        return last is null
            ? throw new InvalidOperationException($"node printed no JSON (exit {process.ExitCode}). stderr: {await stderr}")
            : JsonNode.Parse(last) ?? throw new JsonException("null JSON from node");
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "package.json")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No package.json above {AppContext.BaseDirectory}: cannot find the repository root.");
    }
}
