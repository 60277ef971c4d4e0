// Every role the Function App's identity holds, each at the narrowest scope that works.
// Names are guid(scope, principal, role), so redeploying is idempotent and two environments never collide.
// principalType ServicePrincipal skips the directory lookup that fails while a new identity replicates.

@description('Principal (object) id of the Function App\'s user-assigned identity.')
param principalId string

param storageAccountName string
param serviceBusNamespaceName string
param serviceBusQueueName string
param applicationInsightsName string
param communicationServiceName string

@description('''
Role that lets the identity call ACS SMS with Entra ID. ACS has no built-in data-plane role with SMS data
actions: ACS authorizes Entra tokens against control-plane permissions on the resource. Microsoft's Entra ID
quickstart for the SMS SDK and the Azure SDK live-test templates grant Contributor on the resource, so that is
the default. "Communication and Email Service Owner" is limited to Microsoft.Communication actions, but it is
documented for Email/SMTP, not for SMS, and it also includes ListKeys/RegenerateKey. Switch only after
checking that SMS sends succeed with it. Either role is scoped to the ACS resource alone.
''')
@allowed([
  'Contributor'
  'CommunicationAndEmailServiceOwner'
])
param communicationRole string = 'Contributor'

// Built-in role definition ids (the same in every tenant).
var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
}

var storageBlobDataOwner = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
var storageQueueDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
var storageTableDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
var serviceBusDataSender = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.serviceBusDataSender)
var serviceBusDataReceiver = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.serviceBusDataReceiver)
var monitoringMetricsPublisher = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
var communicationSmsSender = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions',
  communicationRole == 'Contributor' ? roleIds.contributor : roleIds.communicationAndEmailServiceOwner
)

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName

  resource queue 'queues' existing = {
    name: serviceBusQueueName
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

// Storage: the Functions host and Durable need blobs (leases, deployment package, large payloads), queues
// (Durable control/work-item queues) and tables (Durable history/instances, and our own tables).
// Blob Data Owner (not Contributor) is what the Functions host documents for AzureWebJobsStorage.
resource storageBlobOwnerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: storageBlobDataOwner
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource storageQueueContributorAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: storageQueueDataContributor
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource storageTableContributorAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: storageTableDataContributor
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Service Bus: ingest sends, the processor receives; both only on the call-events queue, never the namespace
// (no Data Owner: the app never creates or deletes entities).
resource queueSenderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus::queue.id, principalId, serviceBusDataSender)
  scope: serviceBus::queue
  properties: {
    roleDefinitionId: serviceBusDataSender
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueReceiverAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus::queue.id, principalId, serviceBusDataReceiver)
  scope: serviceBus::queue
  properties: {
    roleDefinitionId: serviceBusDataReceiver
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights with local auth disabled accepts telemetry only from identities with this role.
resource metricsPublisherAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: monitoringMetricsPublisher
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// ACS SMS with Entra ID. No narrower built-in role grants SMS send (see communicationRole above):
// the default is Contributor, scoped to this one ACS resource and nothing else.
resource acsSmsSenderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acs.id, principalId, communicationSmsSender)
  scope: acs
  properties: {
    roleDefinitionId: communicationSmsSender
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
