// Azure Communication Services: sends the SMS and receives inbound SMS, delivery reports and IncomingCall
// (through the Event Grid system topic in eventgrid.bicep). Phone numbers are bought in the portal or with
// the CLI after deployment; they cannot be bought with Bicep. The app calls ACS with its managed identity
// (Entra ID); the resource's access keys are never read by any template or setting.

@description('Communication Services resource name (globally unique).')
@minLength(1)
@maxLength(63)
param name string

@description('Where ACS stores data at rest (for example "United States", "UK", "Europe").')
param dataLocation string

param tags object = {}

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: name
  // Communication Services is a global resource; its data stays in dataLocation.
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

output id string = acs.id
output name string = acs.name
// "<name>.<geo>.communication.azure.com" as reported by the service (the geo label varies).
output hostName string = acs.properties.hostName
