// MissedCallFunctions in one resource group: identity, storage, Service Bus, ACS + Event Grid system topic,
// monitoring, the Flex Consumption Function App and its role assignments.
// Phase 1 of 2: the Event Grid subscriptions that push ACS events to the app are phase 2
// (subscriptions.bicep), deployed once the app is published and has a function key. See docs/deploy.md.
//
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json
//
// No keys or connection strings are read or written anywhere in these templates.

targetScope = 'resourceGroup'

@description('Short environment name: letters, digits and dashes (e.g. "prod", "demo"); part of every resource name.')
@minLength(1)
@maxLength(12)
param environmentName string

@description('Region for everything except ACS and its system topic (which are global). Must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Where ACS stores data at rest ("United States", "UK", "Europe", ...).')
param acsDataLocation string = 'United States'

@description('Role that lets the app send SMS through ACS with Entra ID (see app/rbac.bicep for why Contributor).')
@allowed([
  'Contributor'
  'CommunicationAndEmailServiceOwner'
])
param acsSmsRole string = 'Contributor'

@description('Public base URL of the staff dashboard; empty = the Function App\'s own https URL.')
param dashboardPublicBaseUrl string = ''

@description('Public base URL telephony providers post to, if a custom domain or proxy fronts the app; empty = the app\'s own https URL.')
param ingestPublicBaseUrl string = ''

@description('ISO 3166-1 alpha-2 region for clinic numbers sent without a country code (e.g. "US", "GB").')
@minLength(2)
@maxLength(2)
param ingestDefaultRegion string = 'US'

@description('Twilio account SID (AC...) for clinics whose smsChannel is "twilio"; empty = no Twilio channel.')
param twilioAccountSid string = ''

@secure()
@description('Twilio auth token, or a Key Vault reference (@Microsoft.KeyVault(SecretUri=...)).')
param twilioAuthToken string = ''

@description('Twilio API key SID (SK...), used with twilioApiKeySecret instead of the auth token.')
param twilioApiKeySid string = ''

@secure()
@description('Twilio API key secret, or a Key Vault reference.')
param twilioApiKeySecret string = ''

@secure()
@description('Where Twilio posts delivery reports: https://<host>/api/sms/twilio?code=<function key>; empty = none.')
param twilioStatusCallbackUrl string = ''

@description('Upper bound on Flex Consumption instances (a cost and blast-radius cap).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Tags added to every resource.')
param tags object = {}

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var environmentLabel = toLower(environmentName)
var prefix = 'mcf-${environmentLabel}'
var allTags = union(tags, {
  'azd-env-name': environmentName
  application: 'MissedCallFunctions'
})
// Names are computed here, from deployment-time values only, and passed to the modules (rather than read
// back from module outputs) so that What-If can predict every resource.
var names = {
  identity: 'id-${prefix}-${resourceToken}'
  // Storage account names allow only lower-case letters and digits, at most 24.
  storage: take('st${replace(environmentLabel, '-', '')}${resourceToken}', 24)
  deploymentContainer: 'app-package-${take(resourceToken, 8)}'
  serviceBus: 'sb-${prefix}-${resourceToken}'
  callEventsQueue: 'call-events'
  communication: 'acs-${prefix}-${resourceToken}'
  systemTopic: 'evgt-${prefix}-${resourceToken}'
  logAnalytics: 'log-${prefix}-${resourceToken}'
  applicationInsights: 'appi-${prefix}-${resourceToken}'
  functionApp: 'func-${prefix}-${resourceToken}'
  plan: 'plan-${prefix}-${resourceToken}'
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: allTags
    deploymentContainerName: names.deploymentContainer
  }
}

module serviceBus 'app/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: names.serviceBus
    location: location
    tags: allTags
    queueName: names.callEventsQueue
  }
}

module communication 'app/communication.bicep' = {
  name: 'communication'
  params: {
    name: names.communication
    dataLocation: acsDataLocation
    tags: allTags
  }
}

module eventGrid 'app/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    name: names.systemTopic
    communicationServiceName: names.communication
    tags: allTags
  }
  // Names are passed, not outputs, so the order has to be stated.
  dependsOn: [
    communication
  ]
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: allTags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  params: {
    // The principal id exists only once the identity is created. It must stay in the role assignment names:
    // a name over the identity's resource id would collide with the orphaned assignment if the identity were
    // ever deleted and recreated under the same name (new principal, same resource id).
    #disable-next-line what-if-short-circuiting
    principalId: identity.outputs.principalId
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    serviceBusQueueName: names.callEventsQueue
    applicationInsightsName: names.applicationInsights
    communicationServiceName: names.communication
    communicationRole: acsSmsRole
  }
  // The scopes must exist before roles can be assigned on them.
  dependsOn: [
    storage
    serviceBus
    monitoring
    communication
  ]
}

module functionApp 'app/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    blobServiceUri: storage.outputs.blobServiceUri
    queueServiceUri: storage.outputs.queueServiceUri
    tableServiceUri: storage.outputs.tableServiceUri
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    serviceBusQueueName: serviceBus.outputs.queueName
    communicationHostName: communication.outputs.hostName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    dashboardPublicBaseUrl: dashboardPublicBaseUrl
    ingestPublicBaseUrl: ingestPublicBaseUrl
    ingestDefaultRegion: ingestDefaultRegion
    twilioAccountSid: twilioAccountSid
    twilioAuthToken: twilioAuthToken
    twilioApiKeySid: twilioApiKeySid
    twilioApiKeySecret: twilioApiKeySecret
    twilioStatusCallbackUrl: twilioStatusCallbackUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The app must not start before its identity can reach storage and Service Bus.
  dependsOn: [
    rbac
  ]
}

output AZURE_RESOURCE_GROUP string = resourceGroup().name
output AZURE_LOCATION string = location
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
@description('Give this to the telephony provider; {provider} is generic, twilio, acs, telnyx, vonage or ringcentral.')
output INGEST_URL_TEMPLATE string = 'https://${functionApp.outputs.defaultHostName}/api/calls/{provider}?code=<function key>'
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output SERVICE_BUS_QUEUE string = serviceBus.outputs.queueName
output ACS_NAME string = communication.outputs.name
output ACS_ENDPOINT string = 'https://${communication.outputs.hostName}'
output EVENT_GRID_SYSTEM_TOPIC string = eventGrid.outputs.name
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
