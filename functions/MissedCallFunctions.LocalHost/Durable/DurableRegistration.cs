using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using MissedCallFunctions.Recovery;

namespace MissedCallFunctions.LocalHost.Durable;

/// <summary>Registers the recovery's tasks (the list in <see cref="RecoveryTasks"/>) with a Durable worker.</summary>
public sealed class DurableTaskRegistrar(DurableTaskRegistry registry) : IRecoveryTaskRegistrar
{
    public void Orchestrator(string name, Func<MissedCallRecoveryOrchestrator> create) => registry.AddOrchestrator(name, () => create());

    public void Activity<TActivity, TInput, TOutput>(string name)
        where TActivity : class, IRecoveryActivity<TInput, TOutput>
        => registry.AddActivity(name, sp => new ActivityAdapter<TInput, TOutput>(sp.GetRequiredService<TActivity>()));

    /// <summary>A plain recovery activity as a Durable TaskActivity.</summary>
    private sealed class ActivityAdapter<TInput, TOutput>(IRecoveryActivity<TInput, TOutput> activity) : TaskActivity<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => activity.RunAsync(input, CancellationToken.None);
    }
}

public static class LocalDurableServiceCollectionExtensions
{
    /// <summary>The Durable worker and client of the local host, connected to the local engine's sidecar.</summary>
    public static IServiceCollection AddLocalDurable(this IServiceCollection services, LocalDurableEngine engine)
    {
        services.AddSingleton(engine);
        services.AddDurableTaskWorker(b =>
        {
            b.UseGrpc(engine.Channel);
            b.AddTasks(r => RecoveryTasks.Register(new DurableTaskRegistrar(r)));
            b.Configure(o =>
            {
                o.Concurrency.MaximumConcurrentOrchestrationWorkItems = 200;
                o.Concurrency.MaximumConcurrentActivityWorkItems = 100;
            });
        });
        services.AddDurableTaskClient(b => b.UseGrpc(engine.Channel));
        services.AddSingleton<IRecoveryOrchestrations>(sp => new DurableRecoveryOrchestrations(sp.GetRequiredService<DurableTaskClient>()));
        return services;
    }
}
