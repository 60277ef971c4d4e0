using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MissedCallFunctions.LocalHost.SmsSandbox;

namespace MissedCallFunctions.Tests.LocalHost;

public sealed class SandboxLoopbackMiddlewareTests
{
    private static async Task<(int Status, bool PassedOn)> SendAsync(string path, string remote)
    {
        var passedOn = false;
        var middleware = new SandboxLoopbackMiddleware(_ =>
        {
            passedOn = true;
            return Task.CompletedTask;
        });
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Request.Path = path;
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        context.Response.Body = new MemoryStream();

        await middleware.InvokeAsync(context);
        return (context.Response.StatusCode, passedOn);
    }

    [Theory]
    [InlineData("/messages")]
    [InlineData("/sandbox/reply")]
    [InlineData("/sms")]
    [InlineData("/sandbox/twilio/2010-04-01/Accounts/AC1/Messages.json")]
    public async Task SandboxRoute_FromAnotherMachine_Refused(string path)
    {
        var (status, passedOn) = await SendAsync(path, "10.1.2.3");

        Assert.Equal(403, status);
        Assert.False(passedOn);
    }

    [Theory]
    [InlineData("/messages", "127.0.0.1")]
    [InlineData("/sandbox/reply", "::1")]
    [InlineData("/api/calls/generic", "10.1.2.3")]
    [InlineData("/health", "10.1.2.3")]
    public async Task LoopbackOrPipelineRoute_PassedOn(string path, string remote)
    {
        var (_, passedOn) = await SendAsync(path, remote);

        Assert.True(passedOn);
    }
}
