// One storage account for everything the app keeps in Azure Storage:
//   - the Functions host (AzureWebJobsStorage: leases, timers, keys),
//   - the Durable Functions task hub (queues, tables and blobs prefixed with the hub name),
//   - our own tables (call audit, recoveries, timeline, opt-outs, tasks, clinics),
//   - the blob container the Flex Consumption plan deploys the app package from.
// Why one account: at clinic scale (thousands of calls a month) the load is far below one account's limits
// (about 20,000 requests/s), one account means one set of role assignments for one identity and one place to
// lock down, and Durable's task-hub objects and our tables cannot collide (they are named by hub / by table).
// Split the task hub into its own account only if Durable's polling ever competes with table traffic.
// Shared-key access is off: every client (host, Durable, our code) signs in with the managed identity.

@description('Storage account name: 3-24 lower-case letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

param tags object = {}

@description('Blob container the Flex Consumption plan reads the deployment package from.')
param deploymentContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

output id string = storage.id
output name string = storage.name
output deploymentContainerName string = deploymentContainer.name
// Endpoints built from the account name and the cloud's storage suffix (no trailing slash).
output blobServiceUri string = 'https://${storage.name}.blob.${environment().suffixes.storage}'
output queueServiceUri string = 'https://${storage.name}.queue.${environment().suffixes.storage}'
output tableServiceUri string = 'https://${storage.name}.table.${environment().suffixes.storage}'
