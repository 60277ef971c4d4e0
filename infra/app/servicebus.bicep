// The call-events queue between ingest and the processor.
// Standard tier: duplicate detection (Basic has none) is how a provider's webhook retry is dropped,
// keyed on the deterministic MessageId "{provider}:{provider event id}".
// Local (SAS) auth is disabled: the app uses its managed identity with Sender/Receiver on this queue only.

@description('Service Bus namespace name (globally unique, 6-50 characters).')
@minLength(6)
@maxLength(50)
param name string

@description('Azure region.')
param location string

param tags object = {}

@description('Queue that carries normalized call events.')
param queueName string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    // Provider retries arrive within seconds to minutes; 10 minutes is the service default and covers them.
    // Duplicate detection can only be set when the queue is created.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    // After 10 failed deliveries the message goes to the dead-letter queue instead of looping.
    maxDeliveryCount: 10
    // A call event not processed within a day is stale for a text-back, but it must not vanish:
    // expiry dead-letters it so it can be inspected and replayed.
    defaultMessageTimeToLive: 'P1D'
    deadLetteringOnMessageExpiration: true
    lockDuration: 'PT1M'
    requiresSession: false
    enablePartitioning: false
    maxSizeInMegabytes: 1024
  }
}

output id string = namespace.id
output name string = namespace.name
output queueName string = queue.name
// Host name only, e.g. "<name>.servicebus.windows.net", taken from the service's own endpoint.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
