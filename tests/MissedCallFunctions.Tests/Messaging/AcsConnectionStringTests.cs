using MissedCallFunctions.Messaging;

namespace MissedCallFunctions.Tests.Messaging;

public sealed class AcsConnectionStringTests
{
    // base64 with '=' padding, to prove the value is split at the first '=' only
    private const string Key = "a2V5LXdpdGgtcGFkZGluZw==";

    [Fact]
    public void Parse_Valid_ReadsEndpointAndKey()
    {
        var parsed = AcsConnectionString.Parse($"endpoint=https://contoso.communication.azure.com/;accesskey={Key}");

        Assert.Equal(new Uri("https://contoso.communication.azure.com"), parsed.Endpoint);
        Assert.Equal(Key, parsed.AccessKey);
    }

    [Fact]
    public void Parse_TrailingSlashOnAPath_IsTrimmed()
    {
        var parsed = AcsConnectionString.Parse($"endpoint=http://127.0.0.1:5123/sandbox/acs/;accesskey={Key}");

        Assert.Equal("/sandbox/acs", parsed.Endpoint.AbsolutePath);
        Assert.Equal("127.0.0.1:5123", parsed.Endpoint.Authority);
    }

    [Fact]
    public void Parse_KeywordsAnyCaseWithSpacesAndTrailingSemicolon_AreAccepted()
    {
        var parsed = AcsConnectionString.Parse($" Endpoint = https://contoso.communication.azure.com ; AccessKey = {Key} ;");

        Assert.Equal("contoso.communication.azure.com", parsed.Endpoint.Host);
        Assert.Equal(Key, parsed.AccessKey);
    }

    [Fact]
    public void Parse_MissingAccessKey_SaysWhichKeywordIsMissing()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AcsConnectionString.Parse("endpoint=https://contoso.communication.azure.com/"));

        Assert.Equal("Required keyword 'accesskey' is missing in connection string.", error.Message);
    }

    [Fact]
    public void Parse_MissingEndpoint_SaysWhichKeywordIsMissing()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AcsConnectionString.Parse($"accesskey={Key}"));

        Assert.Equal("Required keyword 'endpoint' is missing in connection string.", error.Message);
    }

    [Fact]
    public void Parse_BadBase64Key_FailsWithoutEchoingTheKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            AcsConnectionString.Parse("endpoint=https://contoso.communication.azure.com/;accesskey=not*base64!"));

        Assert.Contains("base64", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not*base64", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("endpoint=https://a/;endpoint=https://b/;accesskey=a2V5", "Duplicated keyword")]
    [InlineData("endpoint=https://a/;accesskey", "no '='")]
    [InlineData("endpoint=https://a/;=x;accesskey=a2V5", "no keyword")]
    [InlineData("endpoint=;accesskey=a2V5", "empty value")]
    [InlineData(";endpoint=https://a/;accesskey=a2V5", "starts with ';'")]
    [InlineData("endpoint=https://a/;;accesskey=a2V5", "';;'")]
    [InlineData("endpoint=contoso.communication.azure.com;accesskey=a2V5", "absolute http(s) URI")]
    [InlineData("   ", "empty")]
    public void Parse_Malformed_ThrowsAClearError(string connectionString, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => AcsConnectionString.Parse(connectionString));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_Always_HidesTheKey()
    {
        var parsed = AcsConnectionString.Parse($"endpoint=https://contoso.communication.azure.com/;accesskey={Key}");

        Assert.DoesNotContain(Key, parsed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AcsSmsClient_MalformedConnectionString_ThrowsAtConstruction()
    {
        Assert.Throws<InvalidOperationException>(() => new AcsSmsClient("endpoint=https://contoso.communication.azure.com/"));
    }
}
