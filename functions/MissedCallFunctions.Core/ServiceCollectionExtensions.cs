using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using MissedCallFunctions.Clinics;
using MissedCallFunctions.Http;
using MissedCallFunctions.Ingest;
using MissedCallFunctions.Ingest.Providers;
using MissedCallFunctions.Recovery;
using MissedCallFunctions.Conversation;
using MissedCallFunctions.Messaging;
using MissedCallFunctions.Staff;
using MissedCallFunctions.Storage;
using MissedCallFunctions.Triage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace MissedCallFunctions;

/// <summary>Registration shared by both hosts, so the Functions app and the local host wire the same pipeline.</summary>
public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddMissedCallPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        // Managed identity in Azure (AZURE_CLIENT_ID selects the user-assigned identity); developer sign-in elsewhere.
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());

        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IngestOptions>().Bind(configuration.GetSection(IngestOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CallEventQueueOptions>().Bind(configuration.GetSection(CallEventQueueOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.Transport != CallEventTransport.ServiceBus
                           || !string.IsNullOrWhiteSpace(o.ServiceBusNamespace) || !string.IsNullOrWhiteSpace(o.ServiceBusConnectionString),
                "CallEvents:ServiceBusNamespace is required when CallEvents:Transport is ServiceBus.")
            .ValidateOnStart();

        services.TryAddSingleton<StorageClients>();
        services.TryAddSingleton<IClinicDirectory, TableClinicDirectory>();
        services.TryAddSingleton<IIngestLedger, TableIngestLedger>();
        services.TryAddSingleton<ICallRecords, TableCallRecords>();
        services.TryAddSingleton<IOptOutLedger, TableOptOutLedger>();
        services.AddSmsChannels(configuration);
        services.AddOptions<RecoveryOptions>().Bind(configuration.GetSection(RecoveryOptions.Section));
        services.TryAddSingleton<IRecoveryRegistry, TableRecoveryRegistry>();
        services.TryAddSingleton<IRecoveryInbox, TableRecoveryInbox>();
        services.TryAddSingleton<TableRecoveryTimeline>();
        services.TryAddSingleton<Reporting.ICallFactStore, Reporting.TableCallFactStore>();
        services.TryAddSingleton<IRecoveryTimeline, Reporting.ReportingRecoveryTimeline>();
        services.TryAddSingleton<Reporting.ClinicReports>();
        services.TryAddSingleton<Reporting.CallFactRecorder>();
        services.AddOptions<Reporting.DashboardOptions>().Bind(configuration.GetSection(Reporting.DashboardOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<Reporting.IDailySummaryLedger, Reporting.TableDailySummaryLedger>();
        services.TryAddSingleton<Reporting.DailySummarySender>();
        services.TryAddSingleton<Reporting.ReportingUpkeep>();
        services.TryAddSingleton<ISmsOutbox, TableSmsOutbox>();
        services.TryAddSingleton<IStaffTaskStore, TableStaffTaskStore>();
        services.TryAddSingleton<IConversationStore, TableConversationStore>();
        services.TryAddSingleton<Contacts.IContactDirectory, Contacts.TableContactDirectory>();
        services.TryAddSingleton<RecoveryCoordinator>();
        services.TryAddSingleton<TakeInboxActivity>();
        services.TryAddSingleton<SendPatientSmsActivity>();
        services.TryAddSingleton<RecordOptChangeActivity>();
        services.TryAddSingleton<OpenStaffTaskActivity>();
        services.TryAddSingleton<AlertStaffActivity>();
        services.TryAddSingleton<Staff.TaskLinks>();
        services.TryAddSingleton<RecordTimelineActivity>();
        services.TryAddSingleton<CompleteRecoveryActivity>();
        services.TryAddSingleton<FindSlotsActivity>();
        services.TryAddSingleton<BookSlotActivity>();
        services.TryAddSingleton<Bookings.IBookingStore, Bookings.TableBookingStore>();
        services.AddHttpClient<Bookings.ExternalBookingClient>();

        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<CallEventQueueOptions>>().Value;
            return string.IsNullOrWhiteSpace(o.ServiceBusConnectionString)
                ? new ServiceBusClient(o.ServiceBusNamespace, sp.GetRequiredService<TokenCredential>())
                : new ServiceBusClient(o.ServiceBusConnectionString);
        });
        services.TryAddSingleton(sp => sp.GetRequiredService<ServiceBusClient>()
            .CreateSender(sp.GetRequiredService<IOptions<CallEventQueueOptions>>().Value.QueueName));
        services.TryAddSingleton<ICallEventPublisher>(sp =>
            sp.GetRequiredService<IOptions<CallEventQueueOptions>>().Value.Transport == CallEventTransport.ServiceBus
                ? new ServiceBusCallEventPublisher(sp.GetRequiredService<ServiceBusSender>())
                : ActivatorUtilities.CreateInstance<StorageQueueCallEventPublisher>(sp));

        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallEventProvider, GenericCallEventProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallEventProvider, TwilioCallEventProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallEventProvider, AcsCallEventProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallEventProvider, TelnyxCallEventProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallEventProvider, VonageCallEventProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallEventProvider, RingCentralCallEventProvider>());

        services.TryAddSingleton<CallEventIngestor>();
        services.TryAddSingleton<CallEventProcessor>();
        services.TryAddSingleton<CallEventMessageHandler>();
        services.TryAddSingleton<IngestHttpHandler>();
        services.TryAddSingleton<InboundSmsRouter>();
        services.TryAddSingleton<InboundSmsHttpHandler>();
        services.TryAddSingleton<StaffHttpHandler>();
        services.TryAddSingleton<BookingHttpHandler>();
        services.TryAddSingleton<ReportHttpHandler>();
        services.TryAddSingleton<DashboardHttpHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Conversation.Inbound.IInboundSmsProvider, Conversation.Inbound.AcsInboundSmsProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Conversation.Inbound.IInboundSmsProvider, Conversation.Inbound.TwilioInboundSmsProvider>());
        services.TryAddSingleton<ClinicAdminHttpHandler>();
        return services;
    }
}
