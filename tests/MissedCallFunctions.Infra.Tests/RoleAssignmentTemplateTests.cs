using System.Text.Json.Nodes;

namespace MissedCallFunctions.Infra.Tests;

/// <summary>
/// Evaluates the compiled rbac module with known inputs and checks every role assignment: which role, on which
/// scope, for which principal, and that its name is guid(scope, principal, role).
/// </summary>
[Collection(CompiledTemplatesCollection.Name)]
public sealed class RoleAssignmentTemplateTests(CompiledTemplates templates)
{
    private const string PrincipalId = "11111111-2222-3333-4444-555555555555";

    private static readonly string ResourceGroupId =
        $"/subscriptions/{ArmExpressionEvaluator.SubscriptionId}/resourceGroups/{ArmExpressionEvaluator.ResourceGroup}";

    private static readonly string StorageScope = $"{ResourceGroupId}/providers/Microsoft.Storage/storageAccounts/stprod";
    private static readonly string QueueScope = $"{ResourceGroupId}/providers/Microsoft.ServiceBus/namespaces/sb-prod/queues/call-events";
    private static readonly string AppInsightsScope = $"{ResourceGroupId}/providers/Microsoft.Insights/components/appi-prod";
    private static readonly string AcsScope = $"{ResourceGroupId}/providers/Microsoft.Communication/communicationServices/acs-prod";

    private static class Roles
    {
        public const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
        public const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
        public const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
        public const string ServiceBusDataSender = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39";
        public const string ServiceBusDataReceiver = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0";
        public const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
        public const string Contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c";
        public const string CommunicationAndEmailServiceOwner = "09976791-48a7-449e-bb21-39d1a415f350";
    }

    [Fact]
    public void RbacModule_DefaultAcsRole_GrantsExactlyTheExpectedRolesOnTheExpectedScopes()
    {
        var assignments = Evaluate(acsRole: null);

        Assert.Equal(
            Expected(Roles.Contributor).Order(),
            assignments.Select(a => (a.Scope, a.RoleGuid)).Order());
    }

    [Fact]
    public void RbacModule_CommunicationAndEmailServiceOwner_ReplacesContributorOnAcsOnly()
    {
        var assignments = Evaluate(acsRole: "CommunicationAndEmailServiceOwner");

        Assert.Equal(
            Expected(Roles.CommunicationAndEmailServiceOwner).Order(),
            assignments.Select(a => (a.Scope, a.RoleGuid)).Order());
    }

    [Fact]
    public void RbacModule_ServiceBusRoles_AreScopedToTheQueueNotTheNamespace()
    {
        var serviceBusAssignments = Evaluate(acsRole: null)
            .Where(a => a.RoleGuid is Roles.ServiceBusDataSender or Roles.ServiceBusDataReceiver)
            .ToList();

        Assert.Equal(2, serviceBusAssignments.Count);
        Assert.All(serviceBusAssignments, a => Assert.Equal(QueueScope, a.Scope));
    }

    [Fact]
    public void RbacModule_EveryAssignment_IsNamedGuidOfScopePrincipalAndRole()
    {
        foreach (var assignment in Evaluate(acsRole: null))
        {
            Assert.Equal([assignment.Scope, PrincipalId, assignment.RoleDefinitionId], assignment.GuidArguments);
        }
    }

    [Fact]
    public void RbacModule_EveryAssignment_IsForTheAppIdentityAsServicePrincipal()
    {
        foreach (var assignment in Evaluate(acsRole: null))
        {
            Assert.Equal(PrincipalId, assignment.PrincipalId);
            Assert.Equal("ServicePrincipal", assignment.PrincipalType);
            Assert.StartsWith(
                $"/subscriptions/{ArmExpressionEvaluator.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/",
                assignment.RoleDefinitionId,
                StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MainTemplate_RoleAssignments_LiveOnlyInTheRbacModule()
    {
        var all = templates.Main.AllResourcesOfType("Microsoft.Authorization/roleAssignments").Count();
        var inRbac = templates.Main.Module("rbac").AllResourcesOfType("Microsoft.Authorization/roleAssignments").Count();

        Assert.Equal(7, inRbac);
        Assert.Equal(inRbac, all);
    }

    [Fact]
    public void MainTemplate_RbacModule_GetsTheAppIdentityPrincipalAndTheAcsRoleParameter()
    {
        var parameters = templates.Main.ModuleDeployment("rbac")["properties"]!["parameters"]!;
        var principal = (string)parameters["principalId"]!["value"]!;

        Assert.Contains("'Microsoft.Resources/deployments', 'identity')", principal, StringComparison.Ordinal);
        Assert.EndsWith(".outputs.principalId.value]", principal, StringComparison.Ordinal);
        Assert.Equal("[parameters('acsSmsRole')]", (string?)parameters["communicationRole"]!["value"]);
        Assert.Equal("Contributor", (string?)templates.Main.Parameters["acsSmsRole"]!["defaultValue"]);
    }

    private static IEnumerable<(string Scope, string RoleGuid)> Expected(string acsRole) =>
    [
        (StorageScope, Roles.StorageBlobDataOwner),
        (StorageScope, Roles.StorageQueueDataContributor),
        (StorageScope, Roles.StorageTableDataContributor),
        (QueueScope, Roles.ServiceBusDataSender),
        (QueueScope, Roles.ServiceBusDataReceiver),
        (AppInsightsScope, Roles.MonitoringMetricsPublisher),
        (AcsScope, acsRole),
    ];

    private List<EvaluatedAssignment> Evaluate(string? acsRole)
    {
        var rbac = templates.Main.Module("rbac");
        var parameters = new Dictionary<string, JsonNode?>
        {
            ["principalId"] = PrincipalId,
            ["storageAccountName"] = "stprod",
            ["serviceBusNamespaceName"] = "sb-prod",
            ["serviceBusQueueName"] = "call-events",
            ["applicationInsightsName"] = "appi-prod",
            ["communicationServiceName"] = "acs-prod",
        };
        if (acsRole is not null)
        {
            parameters["communicationRole"] = acsRole;
        }

        var evaluator = new ArmExpressionEvaluator(rbac.Root, parameters);
        var result = new List<EvaluatedAssignment>();
        foreach (var assignment in rbac.AllResourcesOfType("Microsoft.Authorization/roleAssignments"))
        {
            var name = ArmExpressionEvaluator.Parse((string)assignment["name"]!);
            var guidCall = Assert.IsType<ArmCall>(name);
            Assert.Equal("guid", guidCall.Name);

            var roleDefinitionId = evaluator.EvaluateString(assignment["properties"]!["roleDefinitionId"]);
            result.Add(new EvaluatedAssignment(
                Scope: evaluator.EvaluateString(assignment["scope"]),
                RoleDefinitionId: roleDefinitionId,
                RoleGuid: roleDefinitionId[(roleDefinitionId.LastIndexOf('/') + 1)..],
                PrincipalId: evaluator.EvaluateString(assignment["properties"]!["principalId"]),
                PrincipalType: (string?)assignment["properties"]!["principalType"],
                GuidArguments: guidCall.Arguments.Select(a => (string)evaluator.Evaluate(a)!).ToArray()));
        }

        return result;
    }

    private sealed record EvaluatedAssignment(
        string Scope,
        string RoleDefinitionId,
        string RoleGuid,
        string PrincipalId,
        string? PrincipalType,
        string[] GuidArguments);
}
