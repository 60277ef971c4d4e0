// The Event Grid system topic that publishes ACS events (SMSReceived, SMSDeliveryReportReceived, IncomingCall).
// The event subscriptions that push those events to the Function App are NOT created here: their webhook
// URLs carry a function key, which only exists once the app is published. They are phase 2,
// infra/subscriptions.bicep, deployed with the key passed as a secure parameter (see docs/deploy.md).

@description('System topic name.')
param name string

@description('Name of the Communication Services resource the topic is attached to.')
param communicationServiceName string

param tags object = {}

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  // System topics of global resources (ACS) are global too.
  location: 'global'
  tags: tags
  properties: {
    source: acs.id
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

output id string = systemTopic.id
output name string = systemTopic.name
