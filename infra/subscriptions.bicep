// Phase 2: Event Grid subscriptions that push ACS events to the published Function App.
// Deploy after main.bicep and after the app package is deployed (the function key must exist and the
// endpoints must answer the CloudEvents OPTIONS handshake when the subscription is created):
//
//   key=$(az functionapp keys list -g <rg> -n <app> --query "functionKeys.eventgrid" -o tsv)
//   az deployment group create -g <rg> -f infra/subscriptions.bicep \
//     -p systemTopicName=<topic> functionAppHostName=<host> webhookKey="$key" [acsWebhookToken="$token"]
//
// The key travels only as a secure parameter (not logged, not returned by the deployment) and ends up in
// the subscription's endpoint URL, which Event Grid stores write-only.

targetScope = 'resourceGroup'

@description('Event Grid system topic on the ACS resource (main.bicep output EVENT_GRID_SYSTEM_TOPIC).')
param systemTopicName string

@description('Function App default host name (main.bicep output FUNCTION_APP_HOSTNAME).')
param functionAppHostName string

@secure()
@description('A function (host) key of the app, passed as ?code=. Use a dedicated named key so it can be rotated alone.')
param webhookKey string

@secure()
@description('The clinics\' webhooks.acsWebhookToken, passed as &token= on both subscriptions. One subscription serves every clinic on this ACS resource, so those clinics share the token (or all leave it empty).')
param acsWebhookToken string = ''

@description('Clinic numbers (E.164) whose IncomingCall events the app wants; empty = every number on the resource.')
param incomingCallNumbers array = []

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

var baseUrl = 'https://${functionAppHostName}/api'
// A clinic with webhooks.acsWebhookToken refuses ACS deliveries without it (401), and Event Grid would give up.
var tokenQuery = empty(acsWebhookToken) ? '' : '&token=${uriComponent(acsWebhookToken)}'

// On endpointUrl below: the linter wants a @secure() parameter passed through untouched, and cannot see that
// the only secret in these interpolations is webhookKey, which is @secure(). The template holds only the
// expression; the value is sent once to Event Grid, which never returns it. Passing whole URLs instead would
// spread the route paths over every caller of this template.

// Inbound texts (replies, STOP/START/HELP) and delivery reports. Event Grid defaults (30 attempts over
// 24 hours) are kept explicitly: a reply or an opt-out must not be lost when the app is briefly down.
resource smsSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'sms-to-functions'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: {
      endpointType: 'WebHook'
      properties: {
        #disable-next-line use-secure-value-for-secure-inputs
        endpointUrl: '${baseUrl}/sms/acs?code=${webhookKey}${tokenQuery}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.SMSReceived'
        'Microsoft.Communication.SMSDeliveryReportReceived'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

// IncomingCall: a call rings for about 30 seconds only, so a late delivery is useless. Microsoft's guidance
// is 2 attempts and a 1-minute TTL, so stale calls are not retried.
resource incomingCallSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'incoming-call-to-functions'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: {
      endpointType: 'WebHook'
      properties: {
        #disable-next-line use-secure-value-for-secure-inputs
        endpointUrl: '${baseUrl}/calls/acs?code=${webhookKey}${tokenQuery}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.IncomingCall'
      ]
      advancedFilters: empty(incomingCallNumbers)
        ? []
        : [
            {
              operatorType: 'StringIn'
              key: 'data.to.PhoneNumber.Value'
              values: incomingCallNumbers
            }
          ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 2
      eventTimeToLiveInMinutes: 1
    }
  }
}

output smsSubscriptionName string = smsSubscription.name
output incomingCallSubscriptionName string = incomingCallSubscription.name
