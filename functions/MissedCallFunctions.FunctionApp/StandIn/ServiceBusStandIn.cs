
using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

// Build-time stand-ins for Microsoft.Azure.Functions.Worker.Extensions.ServiceBus, which this machine's NuGet mirror
// does not serve. Same namespace, names and shapes as the real package, so functions.metadata comes out right
// ("serviceBusTrigger") and the trigger function compiles unchanged. Excluded when DeployableBuild=true; a build that
// includes them refuses to publish (see the project file).
namespace Microsoft.Azure.Functions.Worker;

[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ServiceBusTriggerAttribute : TriggerBindingAttribute, ISupportCardinality
{
    private bool _isBatched;

    public ServiceBusTriggerAttribute(string queueName)
    {
        QueueName = queueName;
    }

    public string? Connection { get; set; }

    public string? QueueName { get; }

    [DefaultValue(false)]
    public bool IsSessionsEnabled { get; set; }

    [DefaultValue(true)]
    public bool AutoCompleteMessages { get; set; } = true;

    [DefaultValue(false)]
    public bool IsBatched
    {
        get => _isBatched;
        set => _isBatched = value;
    }

    Cardinality ISupportCardinality.Cardinality
    {
        get => _isBatched ? Cardinality.Many : Cardinality.One;
        set => _isBatched = value == Cardinality.Many;
    }
}

/// <summary>Stand-in for the real message-settlement client; only the members this app uses.</summary>
public class ServiceBusMessageActions
{
    private const string NotDeployable = "Stand-in Service Bus build: settlement needs the real worker extension (DeployableBuild=true).";

    public virtual Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
        => throw new InvalidOperationException(NotDeployable);

    public virtual Task DeadLetterMessageAsync(
        ServiceBusReceivedMessage message,
        Dictionary<string, object>? propertiesToModify = null,
        string? deadLetterReason = null,
        string? deadLetterErrorDescription = null,
        CancellationToken cancellationToken = default)
        => throw new InvalidOperationException(NotDeployable);
}
