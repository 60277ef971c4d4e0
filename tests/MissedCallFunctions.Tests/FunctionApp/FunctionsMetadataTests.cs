using System.Reflection;
using System.Text.Json;

namespace MissedCallFunctions.Tests.FunctionApp;

/// <summary>What the Functions host will index: read from the functions.metadata the SDK generated for the app.</summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<JsonElement[]> Functions = new(() =>
    {
        var configuration = typeof(FunctionsMetadataTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "functions", "MissedCallFunctions.FunctionApp", "bin", configuration, "net10.0", "functions.metadata");
            if (File.Exists(path))
            {
                return JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().ToArray();
            }
        }

        throw new FileNotFoundException("functions.metadata of the Functions app not found; build the solution first.");
    });

    private static JsonElement Function(string name) => Functions.Value.Single(f => f.GetProperty("name").GetString() == name);

    private static JsonElement Trigger(string name) => Function(name).GetProperty("bindings").EnumerateArray()
        .Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Fact]
    public void Metadata_ListsEveryHttpQueueAndTimerFunction()
    {
        var names = Functions.Value.Select(f => f.GetProperty("name").GetString()!).ToHashSet();
        string[] expected =
        [
            "IngestCallEvent", "ProcessCallEvent", "InboundSms", "LoadClinics", "ListClinics", "RecentCalls",
            "ListStaffTasks", "MarkStaffTaskHandled", "ConversationThread", "TakeOverConversation", "HandBackConversation", "StaffReply", "ImportContacts",
            "ReportingUpkeep",
        ];
        Assert.Empty(expected.Except(names));
    }

    [Fact]
    public void Metadata_ListsTheOrchestratorAndEveryActivityTheLocalHostRegisters()
    {
        var names = MissedCallFunctions.Recovery.RecoveryTasks.Names();
        Assert.Equal("orchestrationTrigger", Trigger(names[0]).GetProperty("type").GetString());
        foreach (var activity in names.Skip(1))
        {
            Assert.Equal("activityTrigger", Trigger(activity).GetProperty("type").GetString());
        }

        // Every function with a Durable trigger is one the local host registers too: the two hosts run the same set.
        var durable = Functions.Value.Where(f => f.GetProperty("bindings").EnumerateArray()
                .Any(b => b.GetProperty("type").GetString() is "orchestrationTrigger" or "activityTrigger"))
            .Select(f => f.GetProperty("name").GetString()!).Order().ToArray();
        Assert.Equal(names.Order().ToArray(), durable);
    }

    [Fact]
    public void InboundSmsAndStaffFunctions_UseTheDurableClient()
    {
        foreach (var name in new[] { "ProcessCallEvent", "InboundSms", "MarkStaffTaskHandled", "TakeOverConversation", "StaffReply" })
        {
            Assert.Contains(Function(name).GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString() == "durableClient");
        }
    }

    [Fact]
    public void IngestCallEvent_IsFunctionKeyHttpPostAndOptionsOnCallsRoute()
    {
        var trigger = Trigger("IngestCallEvent");
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("calls/{provider}", trigger.GetProperty("route").GetString());
        Assert.Equal("Function", trigger.GetProperty("authLevel").GetString());
        Assert.Equal(new[] { "post", "options" }, trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).ToArray());
    }

    [Fact]
    public void ProcessCallEvent_IsServiceBusTriggerWithManualSettlement()
    {
        var trigger = Trigger("ProcessCallEvent");
        Assert.Equal("serviceBusTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("%CallEventsQueueName%", trigger.GetProperty("queueName").GetString());
        Assert.Equal("ServiceBusConnection", trigger.GetProperty("connection").GetString());
        Assert.False(trigger.GetProperty("autoCompleteMessages").GetBoolean());
        Assert.Equal("One", trigger.GetProperty("cardinality").GetString());
    }

    [Fact]
    public void ReportingUpkeep_IsTimerTriggerEveryFifteenMinutes()
    {
        var trigger = Trigger("ReportingUpkeep");
        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("0 */15 * * * *", trigger.GetProperty("schedule").GetString());
    }

    [Fact]
    public void AdminFunctions_NeedTheAdminKey()
    {
        Assert.Equal("Admin", Trigger("LoadClinics").GetProperty("authLevel").GetString());
        Assert.Equal("Admin", Trigger("ListClinics").GetProperty("authLevel").GetString());
        Assert.Equal("Admin", Trigger("RecentCalls").GetProperty("authLevel").GetString());
    }

    [Fact]
    public void HostJson_ExtensionsAreWhereTheHostReadsThem()
    {
        string? root = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && root is null; dir = dir.Parent)
        {
            root = File.Exists(Path.Combine(dir.FullName, "host.json")) && File.Exists(Path.Combine(dir.FullName, "MissedCallFunctions.sln")) ? dir.FullName : null;
        }

        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(root!, "host.json"))).RootElement;
        Assert.Equal("2.0", host.GetProperty("version").GetString());
        var serviceBus = host.GetProperty("extensions").GetProperty("serviceBus");
        Assert.False(serviceBus.GetProperty("autoCompleteMessages").GetBoolean());
        Assert.Equal("api", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }
}
