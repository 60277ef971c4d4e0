using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using MissedCallFunctions.Bookings;

namespace MissedCallFunctions.Tests.Bookings;

/// <summary>The external booking client against a small practice-management receiver on Kestrel (127.0.0.1, free port).</summary>
public sealed class ExternalBookingClientTests : IAsyncLifetime
{
    private const string Secret = "pms-webhook-secret";

    private static readonly AppointmentType Checkup = new("checkup", "Check-up", TimeSpan.FromMinutes(30));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 10, 10, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentQueue<Received> _received = new();
    private WebApplication? _app;
    private Uri? _base;

    /// <summary>What the receiver answers next, by request path.</summary>
    private Func<Received, IResult> _answer = _ => Results.Json(new { status = "confirmed", reference = "PMS-1001" });

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPost("/{**path}", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var received = new Received(request.Path, body, request.Headers["X-MissedCall-Signature"].ToString(),
                request.Headers["X-MissedCall-Request-Id"].ToString(), request.ContentType);
            _received.Enqueue(received);
            if (!SignatureIsValid(received.Signature, body, _time.GetUtcNow()))
            {
                return Results.Json(new { error = "bad signature" }, statusCode: 401);
            }

            return _answer(received);
        });
        await _app.StartAsync();
        _base = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task RequestAsync_Confirmed_SendsASignedRequestAndReadsTheReference()
    {
        using var http = new HttpClient();
        var client = new ExternalBookingClient(http, _time, NullLogger<ExternalBookingClient>.Instance);

        var result = await client.RequestAsync(Settings(), Request());

        Assert.Equal(new ExternalBookingResult(ExternalBookingStatus.Confirmed, "PMS-1001", null), result);
        var received = Assert.Single(_received);
        Assert.Equal("req-1", received.RequestId);
        Assert.StartsWith("application/json", received.ContentType, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(received.Body);
        var root = json.RootElement;
        Assert.Equal("booking.request", root.GetProperty("type").GetString());
        Assert.Equal("riverside-dental", root.GetProperty("clinicId").GetString());
        Assert.Equal(new DateTimeOffset(2026, 3, 11, 9, 0, 0, TimeSpan.Zero), root.GetProperty("start").GetDateTimeOffset());
        Assert.Equal(30, root.GetProperty("appointmentType").GetProperty("durationMinutes").GetInt32());
        Assert.Equal("+447400123456", root.GetProperty("patient").GetProperty("phone").GetString());
        Assert.StartsWith($"t={_time.GetUtcNow().ToUnixTimeSeconds()},v1=", received.Signature, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestAsync_Rejected_ReturnsRejectedWithTheReason()
    {
        _answer = _ => Results.Json(new { status = "rejected", reason = "slot no longer free" });
        using var http = new HttpClient();
        var client = new ExternalBookingClient(http, _time, NullLogger<ExternalBookingClient>.Instance);

        var result = await client.RequestAsync(Settings(), Request());

        Assert.Equal(ExternalBookingStatus.Rejected, result.Status);
        Assert.Equal("slot no longer free", result.Reason);
        Assert.Null(result.Reference);
    }

    [Theory]
    [InlineData(503, true)]
    [InlineData(500, true)]
    [InlineData(429, true)]
    [InlineData(408, true)]
    [InlineData(400, false)]
    [InlineData(404, false)]
    public async Task RequestAsync_ErrorStatus_ThrowsTransientOnlyForRetryableOnes(int status, bool transient)
    {
        _answer = _ => Results.StatusCode(status);
        using var http = new HttpClient();
        var client = new ExternalBookingClient(http, _time, NullLogger<ExternalBookingClient>.Instance);

        var ex = await Assert.ThrowsAsync<ExternalBookingException>(() => client.RequestAsync(Settings(), Request()));

        Assert.Equal(transient, ex.IsTransient);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
    }

    [Fact]
    public async Task RequestAsync_WrongSecret_IsRefusedByTheReceiver_AndNotTransient()
    {
        using var http = new HttpClient();
        var client = new ExternalBookingClient(http, _time, NullLogger<ExternalBookingClient>.Instance);

        var ex = await Assert.ThrowsAsync<ExternalBookingException>(() => client.RequestAsync(Settings() with { ExternalWebhookSecret = "wrong" }, Request()));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task RequestAsync_UnreachableWebhook_ThrowsTransient()
    {
        // A port that was free a moment ago: nothing listens there.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = new HttpClient();
        var client = new ExternalBookingClient(http, _time, NullLogger<ExternalBookingClient>.Instance);

        var ex = await Assert.ThrowsAsync<ExternalBookingException>(() =>
            client.RequestAsync(Settings() with { ExternalWebhookUrl = new Uri($"http://127.0.0.1:{port}/bookings") }, Request()));

        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task RequestAsync_Timeout_ThrowsTransient()
    {
        _answer = _ =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(2));
            return Results.Json(new { status = "confirmed" });
        };
        using var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };
        var client = new ExternalBookingClient(http, _time, NullLogger<ExternalBookingClient>.Instance);

        var ex = await Assert.ThrowsAsync<ExternalBookingException>(() => client.RequestAsync(Settings(), Request()));

        Assert.True(ex.IsTransient);
    }

    [Theory]
    [InlineData("""{"status":"maybe"}""")]
    [InlineData("""{"reference":"x"}""")]
    [InlineData("not json")]
    public async Task RequestAsync_AnswerWithoutAKnownStatus_ThrowsNotTransient(string body)
    {
        _answer = _ => Results.Text(body, "application/json");
        using var http = new HttpClient();
        var client = new ExternalBookingClient(http, _time, NullLogger<ExternalBookingClient>.Instance);

        var ex = await Assert.ThrowsAsync<ExternalBookingException>(() => client.RequestAsync(Settings(), Request()));

        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task RequestAsync_Logs_NeverContainThePatientsNumber()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(collector)));
        using var http = new HttpClient();
        var client = new ExternalBookingClient(http, _time, factory.CreateLogger<ExternalBookingClient>());

        await client.RequestAsync(Settings(), Request());
        _answer = _ => Results.StatusCode(503);
        await Assert.ThrowsAsync<ExternalBookingException>(() => client.RequestAsync(Settings(), Request()));

        Assert.NotEmpty(collector.GetSnapshot());
        Assert.DoesNotContain(collector.GetSnapshot(), l => l.Message.Contains("123456", StringComparison.Ordinal));
    }

    private BookingSettings Settings() => new()
    {
        Mode = BookingMode.External,
        AppointmentTypes = [Checkup],
        ExternalWebhookUrl = new Uri(_base!, "/pms/bookings"),
        ExternalWebhookSecret = Secret,
    };

    private static ExternalBookingRequest Request() => new("req-1", "riverside-dental", new DateTimeOffset(2026, 3, 11, 9, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2026, 3, 11, 9, 30, 0, TimeSpan.Zero), Checkup, "+447400123456", "Sarah", "sms");

    /// <summary>The receiver's own check, written from the scheme (not with the client's code): t=..,v1=hex(HMAC(secret, "t.body")).</summary>
    private static bool SignatureIsValid(string header, string body, DateTimeOffset now)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToLookup(p => p[0], p => p[1]);
        if (!long.TryParse(parts["t"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) || Math.Abs(now.ToUnixTimeSeconds() - t) > 300)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return parts["v1"].Any(v => v.Length == 64 && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(v), expected));
    }

    private sealed record Received(string Path, string Body, string Signature, string RequestId, string? ContentType);
}
