// The one identity the Function App runs as. User-assigned (not system-assigned) so that role
// assignments can be created before the app exists, and the app starts with its access in place.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
