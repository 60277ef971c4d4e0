// Log Analytics workspace + workspace-based Application Insights.
// Local (instrumentation-key) auth is disabled: telemetry is accepted only with an Entra token, so the
// connection string in the app settings identifies the resource but is not enough to write to it. The app's
// identity gets Monitoring Metrics Publisher in rbac.bicep and APPLICATIONINSIGHTS_AUTHENTICATION_STRING
// tells the SDK which identity to use.

@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param applicationInsightsName string

@description('Azure region.')
param location string

param tags object = {}

@description('Days to keep logs (30 is included in the ingestion price).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

output applicationInsightsId string = applicationInsights.id
output applicationInsightsName string = applicationInsights.name
output logAnalyticsName string = logAnalytics.name
// Not a secret while local auth is disabled (it only names the resource and its ingestion endpoint).
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
