// The Function App on the Flex Consumption plan (FC1), .NET 10 isolated worker.
// It runs as the user-assigned identity and every connection is identity-based: the settings carry
// account names, namespaces and endpoints, never keys or connection strings.

@description('Function App name (globally unique; also the default host name prefix).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region (must offer Flex Consumption).')
param location string

param tags object = {}

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (for AzureWebJobsStorage__clientId, AZURE_CLIENT_ID, ...).')
param identityClientId string

param storageAccountName string
param deploymentContainerName string
param blobServiceUri string
param queueServiceUri string
param tableServiceUri string

@description('Service Bus host name, e.g. "<ns>.servicebus.windows.net".')
param serviceBusFullyQualifiedNamespace string
param serviceBusQueueName string

@description('ACS host name, e.g. "<acs>.<geo>.communication.azure.com".')
param communicationHostName string

param applicationInsightsConnectionString string

@description('Public base URL of the staff dashboard links in texts and alerts; empty = the app\'s own https URL.')
param dashboardPublicBaseUrl string = ''

@description('Public base URL providers post to (signatures such as Twilio\'s cover it); empty = the app\'s own https URL.')
param ingestPublicBaseUrl string = ''

@description('ISO 3166-1 region used to read clinic numbers sent without a country code.')
@minLength(2)
@maxLength(2)
param ingestDefaultRegion string = 'US'

@description('Twilio account SID (AC...) for clinics whose smsChannel is "twilio"; empty = no Twilio channel.')
param twilioAccountSid string = ''

@secure()
@description('Twilio auth token, or a Key Vault reference (@Microsoft.KeyVault(SecretUri=...)); or use the API key pair below.')
param twilioAuthToken string = ''

@description('Twilio API key SID (SK...), used with twilioApiKeySecret instead of the auth token.')
param twilioApiKeySid string = ''

@secure()
@description('Twilio API key secret, or a Key Vault reference.')
param twilioApiKeySecret string = ''

@secure()
@description('Where Twilio posts delivery reports: https://<host>/api/sms/twilio?code=<function key>; empty = no delivery reports.')
param twilioStatusCallbackUrl string = ''

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          // The package is uploaded here by `az functionapp deploy`; the platform reads it with the identity.
          type: 'blobContainer'
          value: '${blobServiceUri}/${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  // No publishing with basic (user name + password) credentials; deployments sign in with Entra ID.
  resource ftpPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

// Flex Consumption apps get a generated default host name; read it rather than assuming <name>.azurewebsites.net.
var appBaseUrl = 'https://${functionApp.properties.defaultHostName}'

// App settings live in their own child resource so they can use the site's generated default host name.
// Flex Consumption takes the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION must not be set here.
// Twilio only when an account is given. This resource replaces the whole settings list on every deployment, so
// secrets belong in these parameters (or Key Vault references in them), never in the portal alone.
var twilioSettings = empty(twilioAccountSid)
  ? {}
  : union(
      { Twilio__AccountSid: twilioAccountSid },
      empty(twilioAuthToken) ? {} : { Twilio__AuthToken: twilioAuthToken },
      empty(twilioApiKeySid) ? {} : { Twilio__ApiKeySid: twilioApiKeySid, Twilio__ApiKeySecret: twilioApiKeySecret },
      empty(twilioStatusCallbackUrl) ? {} : { Twilio__StatusCallbackUrl: twilioStatusCallbackUrl }
    )

resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(twilioSettings, {
    // Functions host + Durable task hub storage, as the managed identity.
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId

    // Service Bus trigger connection ("ServiceBusConnection" in the trigger attribute).
    ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
    ServiceBusConnection__credential: 'managedidentity'
    ServiceBusConnection__clientId: identityClientId

    // DefaultAzureCredential in our code picks this user-assigned identity.
    AZURE_CLIENT_ID: identityClientId

    // Telemetry with Entra auth (local auth is disabled on the component).
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'

    // The app's own options.
    Storage__TableServiceUri: tableServiceUri
    Storage__QueueServiceUri: queueServiceUri
    CallEvents__Transport: 'ServiceBus'
    CallEvents__QueueName: serviceBusQueueName
    // The Service Bus trigger's %CallEventsQueueName%: the same queue ingest sends to.
    CallEventsQueueName: serviceBusQueueName
    CallEvents__ServiceBusNamespace: serviceBusFullyQualifiedNamespace
    Acs__Endpoint: 'https://${communicationHostName}'
    Dashboard__PublicBaseUrl: empty(dashboardPublicBaseUrl) ? appBaseUrl : dashboardPublicBaseUrl
    Ingest__PublicBaseUrl: empty(ingestPublicBaseUrl) ? appBaseUrl : ingestPublicBaseUrl
    // The app validates an upper-case ISO code at start-up; "gb" must not stop it from starting.
    Ingest__DefaultRegion: toUpper(ingestDefaultRegion)
    // Durable task hub (host.json reads %DurableTaskHubName%) and links to tasks in staff alerts.
    DurableTaskHubName: 'missedcalls'
    Recovery__TaskLinkBase: empty(dashboardPublicBaseUrl) ? appBaseUrl : dashboardPublicBaseUrl
  })
}

output id string = functionApp.id
output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
