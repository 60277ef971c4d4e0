using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MissedCallFunctions.LocalHost;
using MissedCallFunctions.Reliability.Infrastructure;

namespace MissedCallFunctions.Reliability.Scenarios;

/// <summary>The bad requests, per route. Categories containing "no key" or "missing auth" feed the per-route table.</summary>
public static partial class FuzzScenario
{
    private const string UsGenericSecret = "dev-glow-generic-secret-000001";
    private const string UsTwilioToken = "dev-glow-twilio-auth-token-0001";
    private const string UsRingCentralToken = "dev-glow-ringcentral-token";
    private const string UkVonageSecret = "dev-riverside-vonage-signature-secret";

    private static IEnumerable<Case> Cases(string run, Random random, Secrets secrets)
    {
        var counter = 0;
        string Id() => $"fz-{run}-{Interlocked.Increment(ref counter)}";
        var callers = Enumerable.Range(0, 50).Select(i => secrets.Phone(Sample.Caller(9, i))).ToArray();
        string Caller() => callers[Random.Shared.Next(callers.Length)];
        byte[] Junk(int max)
        {
            var bytes = new byte[Random.Shared.Next(1, max)];
            Random.Shared.NextBytes(bytes);
            return bytes;
        }

        // An escaped lone surrogate: valid JSON whose text cannot be decoded.
        const string lone = "\"\\uD800\"";

        // ---- /api/calls/{provider} ----
        const string calls = "/api/calls/{provider}";
        string Valid(string? caller = null) => Webhooks.GenericJson(Id(), "call-" + Id(), caller ?? Caller(), "missed", DateTimeOffset.UtcNow);
        Case G(string what, int? expected, Func<HttpRequestMessage> build) => new(calls, "generic: " + what, expected, build);
        yield return G("no key", 401, () => Webhooks.Generic(Valid(), key: KeyMode.None));
        yield return G("no key, unsigned", 401, () => Webhooks.Generic(Valid(), sign: false, key: KeyMode.None));
        yield return G("wrong key in query", 401, () => Webhooks.Generic(Valid(), key: KeyMode.Wrong));
        yield return G("wrong key in header", 401, () => WithHeaderKey(Webhooks.Generic(Valid(), key: KeyMode.None), "x" + Sample.FunctionKey));
        yield return G("missing auth: unsigned", 401, () => Webhooks.Generic(Valid(), sign: false));
        yield return G("missing auth: unsigned, key in query", 401, () => Webhooks.Generic(Valid(), sign: false, key: KeyMode.Query));
        yield return G("wrong secret", 401, () => Webhooks.Generic(Valid(), secret: "not-the-clinic-secret"));
        yield return G("another clinic's secret", 401, () => Webhooks.Generic(Valid(), secret: UsGenericSecret));
        yield return G("replayed: signed 30 minutes ago", 401, () => Webhooks.Generic(Valid(), signedAt: DateTimeOffset.UtcNow.AddMinutes(-30)));
        yield return G("signed 10 minutes in the future", 401, () => Webhooks.Generic(Valid(), signedAt: DateTimeOffset.UtcNow.AddMinutes(10)));
        yield return G("malformed signature header", 401, () => WithHeader(Webhooks.Generic(Valid(), sign: false), "X-MissedCall-Signature", "t=abc,v1=zz"));
        yield return G("signature of another body", 401, () =>
        {
            var request = Webhooks.Generic(Valid());
            request.Content = new StringContent(Valid(), Encoding.UTF8, "application/json");
            return request;
        });
        yield return G("junk bytes", 400, () => Webhooks.Generic(Encoding.Latin1.GetString(Junk(400))));
        yield return G("invalid UTF-8", 400, () => WithBody(Webhooks.Generic("{}"), [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d], "application/json"));
        yield return G("wrong types", 400, () => Webhooks.Generic($$"""{"eventId":1,"callId":true,"clinicNumber":[],"caller":{},"outcome":"missed","occurredAt":"yesterday"}"""));
        yield return G("lone surrogate", 400, () => Webhooks.Generic(Valid().Replace("\"missed\"", lone, StringComparison.Ordinal)));
        yield return G("lone surrogate in a name", 400, () => Webhooks.Generic("{\"\\uDC00\":1}"));
        yield return G("unknown outcome", 400, () => Webhooks.Generic(Valid().Replace("\"missed\"", "\"maybe\"", StringComparison.Ordinal)));
        yield return G("no occurredAt", 400, () => Webhooks.Generic($$"""{"eventId":"{{Id()}}","callId":"c","clinicNumber":"{{Sample.UkClinicNumber}}","caller":"{{Caller()}}","outcome":"missed"}"""));
        yield return G("unknown field", 400, () => Webhooks.Generic(Valid().Replace("{\"eventId\"", "{\"admin\":true,\"eventId\"", StringComparison.Ordinal)));
        yield return G("trailing comma and comment", 400, () => Webhooks.Generic(Valid().TrimEnd('}') + ",/* hi */}"));
        yield return G("negative ringSeconds", 400, () => Webhooks.Generic(Valid().Replace("\"ringSeconds\":25", "\"ringSeconds\":-5", StringComparison.Ordinal)));
        yield return G("ringSeconds beyond Int32", 400, () => Webhooks.Generic(Valid().Replace("\"ringSeconds\":25", "\"ringSeconds\":99999999999999", StringComparison.Ordinal)));
        yield return G("eventId of 300 characters", 400, () => Webhooks.Generic(Webhooks.GenericJson(new string('e', 300), "c", Caller(), "missed", DateTimeOffset.UtcNow)));
        yield return G("batch of 101", 400, () => Webhooks.Generic("[" + string.Join(",", Enumerable.Range(0, 101).Select(_ => Valid())) + "]"));
        yield return G("empty array", 400, () => Webhooks.Generic("[]"));
        yield return G("deeply nested", 400, () => Webhooks.Generic(new string('[', 5000) + new string(']', 5000)));
        yield return G("JSON null", 400, () => Webhooks.Generic("null"));
        yield return G("empty body", 400, () => Webhooks.Generic(string.Empty));
        yield return G("oversized (70 KB)", 413, () => Webhooks.Generic("{\"pad\":\"" + new string('x', 70_000) + "\"}"));
        yield return G("oversized, chunked (200 KB)", 413, () => WithChunkedBody(Webhooks.Generic("{}"), 200_000));
        yield return G("text/plain", 415, () => Webhooks.Generic(Valid(), contentType: "text/plain"));
        yield return G("form content type", 415, () => Webhooks.Generic(Valid(), contentType: "application/x-www-form-urlencoded"));
        yield return G("no content type", 415, () =>
        {
            var request = Webhooks.Generic(Valid());
            request.Content!.Headers.ContentType = null;
            return request;
        });
        yield return G("GET", 405, () => Keys.Apply(new HttpRequestMessage(HttpMethod.Get, "/api/calls/generic"), KeyMode.Header));
        yield return G("PUT", 405, () => Keys.Apply(new HttpRequestMessage(HttpMethod.Put, "/api/calls/generic") { Content = new StringContent(Valid(), Encoding.UTF8, "application/json") }, KeyMode.Header));
        yield return G("DELETE", 405, () => Keys.Apply(new HttpRequestMessage(HttpMethod.Delete, "/api/calls/generic"), KeyMode.Query));
        yield return G("OPTIONS without handshake headers", null, () => Keys.Apply(new HttpRequestMessage(HttpMethod.Options, "/api/calls/generic"), KeyMode.Header));
        yield return G("unknown clinic number", 404, () => Webhooks.Generic(Webhooks.GenericJson(Id(), "c", Caller(), "missed", DateTimeOffset.UtcNow, clinicNumber: "+442079460777")));
        yield return G("clinic number not a number", 404, () => Webhooks.Generic(Webhooks.GenericJson(Id(), "c", Caller(), "missed", DateTimeOffset.UtcNow, clinicNumber: "reception")));
        yield return new(calls, "unknown provider", 404, () => Keys.Apply(new HttpRequestMessage(HttpMethod.Post, $"/api/calls/nosuch{Random.Shared.Next(100)}") { Content = new StringContent("{}", Encoding.UTF8, "application/json") }, KeyMode.Header));
        yield return new(calls, "unknown provider, no key", 401, () => new HttpRequestMessage(HttpMethod.Post, "/api/calls/nosuch") { Content = new StringContent("{}", Encoding.UTF8, "application/json") });

        // Twilio
        List<KeyValuePair<string, string>> Form(string? to = null) => Webhooks.TwilioNoAnswer("CA" + Guid.NewGuid().ToString("N"), Caller(), to: to ?? Sample.UkClinicNumber);
        Case T(string what, int? expected, Func<HttpRequestMessage> build) => new(calls, "twilio: " + what, expected, build);
        yield return T("no key", 401, () => Webhooks.Twilio(Form(), key: KeyMode.None));
        yield return T("wrong key", 401, () => Webhooks.Twilio(Form(), key: KeyMode.Wrong));
        yield return T("missing auth: unsigned", 401, () => Webhooks.Twilio(Form(), sign: false));
        yield return T("wrong auth token", 401, () => Webhooks.Twilio(Form(), token: "wrong-token"));
        yield return T("another clinic's auth token", 401, () => Webhooks.Twilio(Form(), token: UsTwilioToken));
        yield return T("signed for another URL", 401, () =>
        {
            var form = Form();
            var request = Webhooks.Twilio(form, sign: false);
            request.Headers.TryAddWithoutValidation("X-Twilio-Signature", Webhooks.TwilioSignature("https://elsewhere.example/api/calls/twilio?code=" + Sample.FunctionKey, form, Sample.UkTwilioToken));
            return request;
        });
        yield return T("tampered after signing", 401, () =>
        {
            var form = Form();
            var request = Webhooks.Twilio(form);
            request.Content = new FormUrlEncodedContent(form.Select(p => p.Key == "DialCallStatus" ? new KeyValuePair<string, string>(p.Key, "busy") : p));
            return request;
        });
        yield return T("malformed form", null, () => WithBody(Webhooks.Twilio(Form()), Encoding.ASCII.GetBytes("CallSid=%ZZ&&=&From"), "application/x-www-form-urlencoded"));
        yield return T("junk bytes", null, () => WithBody(Webhooks.Twilio(Form()), Junk(500), "application/x-www-form-urlencoded"));
        yield return T("no To", null, () => Webhooks.Twilio(Form().Where(p => p.Key != "To").ToList()));
        yield return T("JSON body", 415, () => WithBody(Webhooks.Twilio(Form()), Encoding.UTF8.GetBytes("{\"CallSid\":\"CA1\"}"), "application/json"));
        yield return T("oversized", 413, () => Webhooks.Twilio([.. Form(), new("Pad", new string('p', 70_000))]));
        yield return T("unknown clinic number", 404, () => Webhooks.Twilio(Form(to: "+442079460777")));

        // ACS (Event Grid IncomingCall; the clinic has an ACS webhook token)
        string Incoming(string? to = null) => AcsIncomingCall(Caller(), to ?? Sample.UkClinicNumber);
        HttpRequestMessage Acs(string body, string? token, KeyMode key = KeyMode.Header, string contentType = "application/json", string path = "/api/calls/acs")
        {
            var uri = token is null ? path : $"{path}?token={Uri.EscapeDataString(token)}";
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            request.Headers.TryAddWithoutValidation("aeg-event-type", "Notification");
            return Keys.Apply(request, key);
        }

        Case A(string what, int? expected, Func<HttpRequestMessage> build) => new(calls, "acs: " + what, expected, build);
        yield return A("no key", 401, () => Acs(Incoming(), Sample.UkAcsToken, KeyMode.None));
        yield return A("wrong key", 401, () => Acs(Incoming(), Sample.UkAcsToken, KeyMode.Wrong));
        yield return A("missing auth: no ?token=", 401, () => Acs(Incoming(), null));
        yield return A("wrong token", 401, () => Acs(Incoming(), "not-the-token"));
        yield return A("malformed JSON", 400, () => Acs("[{\"id\":", Sample.UkAcsToken));
        yield return A("junk bytes", 400, () => WithBody(Acs("x", Sample.UkAcsToken), Junk(300), "application/json"));
        yield return A("wrong types", 400, () => Acs("[{\"id\":5,\"eventType\":[],\"data\":\"x\",\"eventTime\":true}]", Sample.UkAcsToken));
        yield return A("lone surrogate", 400, () => Acs(Incoming().Replace("\"Microsoft.Communication.IncomingCall\"", lone, StringComparison.Ordinal), Sample.UkAcsToken));
        yield return A("lone surrogate in a validation handshake", 400, () =>
        {
            var request = Acs($$$"""[{"id":"1","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":{{{lone}}}}}]""", Sample.UkAcsToken);
            request.Headers.Remove("aeg-event-type");
            request.Headers.TryAddWithoutValidation("aeg-event-type", "SubscriptionValidation");
            return request;
        });
        yield return A("Call Automation callback without clinicNumber", 400, () => Acs(AcsAddParticipantFailed(), Sample.UkAcsToken));
        yield return A("oversized", 413, () => Acs("[" + new string(' ', 70_000) + "]", Sample.UkAcsToken));
        yield return A("text/xml", 415, () => Acs(Incoming(), Sample.UkAcsToken, contentType: "text/xml"));
        yield return A("unknown clinic number", 404, () => Acs(Incoming("+442079460777"), Sample.UkAcsToken));
        yield return A("subscription validation, no key", 401, () =>
        {
            var request = Acs("""[{"id":"1","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"x"},"eventTime":"2026-11-26T10:00:00Z","subject":"","dataVersion":"1"}]""", null, KeyMode.None);
            request.Headers.Remove("aeg-event-type");
            request.Headers.TryAddWithoutValidation("aeg-event-type", "SubscriptionValidation");
            return request;
        });

        // Telnyx (Ed25519 signature over "{timestamp}|{body}")
        string Hangup(string? to = null) => TelnyxHangup(Id(), Caller(), to ?? Sample.UkClinicNumber);
        HttpRequestMessage Telnyx(string body, string? signature, long? timestamp, KeyMode key = KeyMode.Header, string contentType = "application/json")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/calls/telnyx") { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            if (signature is not null)
            {
                request.Headers.TryAddWithoutValidation("telnyx-signature-ed25519", signature);
            }

            if (timestamp is not null)
            {
                request.Headers.TryAddWithoutValidation("telnyx-timestamp", timestamp.Value.ToString(CultureInfo.InvariantCulture));
            }

            return Keys.Apply(request, key);
        }

        string RandomSignature() => Convert.ToBase64String(Junk(65).Concat(new byte[64]).Take(64).ToArray());
        long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Case X(string what, int? expected, Func<HttpRequestMessage> build) => new(calls, "telnyx: " + what, expected, build);
        yield return X("no key", 401, () => Telnyx(Hangup(), RandomSignature(), Now(), KeyMode.None));
        yield return X("missing auth: no signature headers", 401, () => Telnyx(Hangup(), null, null));
        yield return X("no timestamp", 401, () => Telnyx(Hangup(), RandomSignature(), null));
        yield return X("wrong signature", 401, () => Telnyx(Hangup(), RandomSignature(), Now()));
        yield return X("signature not base64", 401, () => Telnyx(Hangup(), "%%%not-base64%%%", Now()));
        yield return X("replayed: timestamp 1 hour old", 401, () => Telnyx(Hangup(), RandomSignature(), Now() - 3600));
        yield return X("malformed JSON", 400, () => Telnyx("{\"data\":{", RandomSignature(), Now()));
        yield return X("wrong types", 400, () => Telnyx("{\"data\":{\"event_type\":7,\"id\":[],\"payload\":\"x\"}}", RandomSignature(), Now()));
        yield return X("lone surrogate", 400, () => Telnyx(Hangup().Replace("\"call.hangup\"", lone, StringComparison.Ordinal), RandomSignature(), Now()));
        yield return X("oversized", 413, () => Telnyx("{\"pad\":\"" + new string('t', 70_000) + "\"}", RandomSignature(), Now()));
        yield return X("text/plain", 415, () => Telnyx(Hangup(), RandomSignature(), Now(), contentType: "text/plain"));
        yield return X("unknown clinic number", 404, () => Telnyx(Hangup("+442079460777"), RandomSignature(), Now()));

        // Vonage (signed-webhook JWT, HS256 with the account's signature secret)
        string Unanswered(string? to = null) => VonageUnanswered(Id(), Caller(), to ?? Sample.UkClinicNumber);
        HttpRequestMessage Vonage(string body, string? authorization, KeyMode key = KeyMode.Header, string contentType = "application/json")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/calls/vonage") { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            return Keys.Apply(request, key);
        }

        Case V(string what, int? expected, Func<HttpRequestMessage> build) => new(calls, "vonage: " + what, expected, build);
        yield return V("no key", 401, () => { var b = Unanswered(); return Vonage(b, "Bearer " + Jwt(b, UkVonageSecret), KeyMode.None); });
        yield return V("missing auth: no Authorization", 401, () => Vonage(Unanswered(), null));
        yield return V("JWT signed with a wrong secret", 401, () => { var b = Unanswered(); return Vonage(b, "Bearer " + Jwt(b, "wrong-secret")); });
        yield return V("JWT for another body", 401, () => Vonage(Unanswered(), "Bearer " + Jwt(Unanswered(), "wrong-secret")));
        yield return V("JWT with alg none", 401, () => { var b = Unanswered(); return Vonage(b, "Bearer " + Jwt(b, null)); });
        yield return V("Bearer garbage", 401, () => Vonage(Unanswered(), "Bearer a.b.c"));
        yield return V("Basic instead of Bearer", 401, () => Vonage(Unanswered(), "Basic dXNlcjpwYXNz"));
        yield return V("malformed JSON", 400, () => Vonage("{\"status\":", "Bearer x.y.z"));
        yield return V("wrong types", 400, () => Vonage("{\"status\":5,\"to\":[],\"from\":{},\"uuid\":true}", "Bearer x.y.z"));
        yield return V("lone surrogate", 400, () => Vonage(Unanswered().Replace("\"unanswered\"", lone, StringComparison.Ordinal), "Bearer x.y.z"));
        yield return V("oversized", 413, () => Vonage("{\"pad\":\"" + new string('v', 70_000) + "\"}", "Bearer x.y.z"));
        yield return V("text/plain", 415, () => Vonage(Unanswered(), "Bearer x.y.z", contentType: "text/plain"));

        // RingCentral (verification token)
        string RcMissed() => Webhooks.RingCentralMissedJson("s-" + Id(), Caller(), DateTimeOffset.UtcNow);
        Case R(string what, int? expected, Func<HttpRequestMessage> build) => new(calls, "ringcentral: " + what, expected, build);
        yield return R("no key", 401, () => Webhooks.RingCentral(RcMissed(), key: KeyMode.None));
        yield return R("missing auth: no Verification-Token", 401, () => Webhooks.RingCentral(RcMissed(), token: null));
        yield return R("wrong token", 401, () => Webhooks.RingCentral(RcMissed(), token: "wrong"));
        yield return R("another clinic's token", 401, () => Webhooks.RingCentral(RcMissed(), token: UsRingCentralToken));
        yield return R("malformed JSON", 400, () => Webhooks.RingCentral("{\"body\":{"));
        yield return R("wrong types", 400, () => Webhooks.RingCentral("{\"uuid\":1,\"body\":{\"parties\":\"x\",\"sequence\":\"a\"}}"));
        yield return R("lone surrogate", 400, () => Webhooks.RingCentral(RcMissed().Replace("\"NoAnswer\"", lone, StringComparison.Ordinal)));
        yield return R("lone surrogate in a name, with a Validation-Token", 400, () => WithHeader(Webhooks.RingCentral("{\"\\uDC00-padding-padding\":1}", token: null), "Validation-Token", "v"));
        yield return R("oversized", 413, () => Webhooks.RingCentral("{\"pad\":\"" + new string('r', 70_000) + "\"}"));
        yield return R("malformed Validation-Token handshake", 400, () => WithHeader(Webhooks.RingCentral(string.Empty, token: null), "Validation-Token", new string('v', 3000)));

        // ---- /api/sms/{provider} ----
        const string sms = "/api/sms/{provider}";
        string Received(string? to = null) => AcsSmsReceived(Caller(), to ?? Sample.UkClinicNumber, "fuzz text " + Id(), "Incoming_" + Id());
        Case S(string what, int? expected, Func<HttpRequestMessage> build) => new(sms, "acs: " + what, expected, build);
        yield return S("no key", 401, () => Acs(Received(), Sample.UkAcsToken, KeyMode.None, path: "/api/sms/acs"));
        yield return S("wrong key", 401, () => Acs(Received(), Sample.UkAcsToken, KeyMode.Wrong, path: "/api/sms/acs"));
        yield return S("missing auth: no ?token=", 401, () => Acs(Received(), null, path: "/api/sms/acs"));
        yield return S("wrong token", 401, () => Acs(Received(), "nope", path: "/api/sms/acs"));
        yield return S("malformed JSON", 400, () => Acs("[{", Sample.UkAcsToken, path: "/api/sms/acs"));
        yield return S("wrong types", 400, () => Acs("[{\"id\":1,\"eventType\":\"Microsoft.Communication.SMSReceived\",\"data\":[]}]", Sample.UkAcsToken, path: "/api/sms/acs"));
        yield return S("lone surrogate", 400, () => Acs(Received().Replace("\"Microsoft.Communication.SMSReceived\"", lone, StringComparison.Ordinal), Sample.UkAcsToken, path: "/api/sms/acs"));
        yield return S("oversized", 413, () => Acs("[" + new string(' ', 70_000) + "]", Sample.UkAcsToken, path: "/api/sms/acs"));
        yield return S("text/plain", 415, () => Acs(Received(), Sample.UkAcsToken, contentType: "text/plain", path: "/api/sms/acs"));
        yield return S("unknown clinic number", 404, () => Acs(Received("+442079460777"), Sample.UkAcsToken, path: "/api/sms/acs"));

        List<KeyValuePair<string, string>> SmsForm(string? to = null) =>
        [
            new("AccountSid", "AC4e7b1d9f3a6c2e8b0d5f7a1c3e9b2d4f"), new("ApiVersion", "2010-04-01"), new("Body", "fuzz twilio text " + Id()),
            new("From", Caller()), new("MessageSid", "SM" + Guid.NewGuid().ToString("N")), new("NumMedia", "0"), new("SmsStatus", "received"), new("To", to ?? Sample.UkClinicNumber),
        ];
        HttpRequestMessage TwilioSms(List<KeyValuePair<string, string>> form, string? token = Sample.UkTwilioToken, KeyMode key = KeyMode.Query)
            => Webhooks.Twilio(form, token ?? string.Empty, sign: token is not null, path: "/api/sms/twilio", key: key);
        Case W(string what, int? expected, Func<HttpRequestMessage> build) => new(sms, "twilio: " + what, expected, build);
        yield return W("no key", 401, () => TwilioSms(SmsForm(), key: KeyMode.None));
        yield return W("wrong key", 401, () => TwilioSms(SmsForm(), key: KeyMode.Wrong));
        yield return W("missing auth: unsigned", 401, () => TwilioSms(SmsForm(), token: null));
        yield return W("wrong auth token", 401, () => TwilioSms(SmsForm(), token: "wrong"));
        yield return W("another clinic's auth token", 401, () => TwilioSms(SmsForm(), token: UsTwilioToken));
        yield return W("tampered after signing", 401, () =>
        {
            var form = SmsForm();
            var request = TwilioSms(form);
            request.Content = new FormUrlEncodedContent(form.Select(p => p.Key == "Body" ? new KeyValuePair<string, string>("Body", "STOP") : p));
            return request;
        });
        yield return W("malformed form", null, () => WithBody(TwilioSms(SmsForm()), Encoding.ASCII.GetBytes("Body=%E0%A4%A&&&==&To"), "application/x-www-form-urlencoded"));
        yield return W("JSON body", 415, () => WithBody(TwilioSms(SmsForm()), Encoding.UTF8.GetBytes("{}"), "application/json"));
        yield return W("oversized", 413, () => TwilioSms([.. SmsForm(), new("Pad", new string('p', 70_000))]));
        yield return W("unknown clinic number", 404, () => TwilioSms(SmsForm("+442079460777")));
        yield return new(sms, "unknown SMS provider", 404, () => Acs(Received(), Sample.UkAcsToken, path: "/api/sms/telnyx"));

        // ---- admin ----
        var clinicsJson = File.ReadAllText(Path.Combine(AzuriteLauncher.FindRepositoryRoot()!, "samples", "clinics.sample.json"));
        HttpRequestMessage Admin(HttpMethod method, string path, KeyMode key, string? body = null, string contentType = "application/json")
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }

            return Keys.Apply(request, key);
        }

        const string adminClinics = "/api/admin/clinics";
        yield return new(adminClinics, "GET: no key", 401, () => Admin(HttpMethod.Get, adminClinics, KeyMode.None));
        yield return new(adminClinics, "GET: wrong key", 401, () => Admin(HttpMethod.Get, adminClinics, KeyMode.Wrong));
        yield return new(adminClinics, "GET: missing auth: function key in header", 401, () => Admin(HttpMethod.Get, adminClinics, KeyMode.Header));
        yield return new(adminClinics, "GET: missing auth: function key in query", 401, () => Admin(HttpMethod.Get, adminClinics, KeyMode.Query));
        yield return new(adminClinics, "POST: no key (a valid file)", 401, () => Admin(HttpMethod.Post, adminClinics, KeyMode.None, clinicsJson));
        yield return new(adminClinics, "POST: missing auth: function key (a valid file)", 401, () => Admin(HttpMethod.Post, adminClinics, KeyMode.Header, clinicsJson));
        yield return new(adminClinics, "POST: invalid file", 400, () => Admin(HttpMethod.Post, adminClinics, KeyMode.Admin, """{"clinics":[{"id":"Bad Id","name":"","country":"XX","timeZone":"Mars/Base","numbers":["12345"]}]}"""));
        yield return new(adminClinics, "POST: junk", 400, () => Admin(HttpMethod.Post, adminClinics, KeyMode.Admin, Encoding.Latin1.GetString(Junk(300))));
        yield return new(adminClinics, "POST: wrong types", 400, () => Admin(HttpMethod.Post, adminClinics, KeyMode.Admin, """{"clinics":"all"}"""));
        yield return new(adminClinics, "POST: empty", 400, () => Admin(HttpMethod.Post, adminClinics, KeyMode.Admin, string.Empty));
        yield return new(adminClinics, "POST: text/plain", 415, () => Admin(HttpMethod.Post, adminClinics, KeyMode.Admin, clinicsJson, "text/plain"));
        yield return new(adminClinics, "POST: oversized (1.5 MiB)", 413, () => Admin(HttpMethod.Post, adminClinics, KeyMode.Admin, "{\"pad\":\"" + new string('a', 1_500_000) + "\"}"));
        yield return new(adminClinics, "DELETE", 405, () => Admin(HttpMethod.Delete, adminClinics, KeyMode.Admin));

        const string adminCalls = "/api/admin/clinics/{clinicId}/calls";
        yield return new(adminCalls, "no key", 401, () => Admin(HttpMethod.Get, $"/api/admin/clinics/{Sample.UkClinicId}/calls", KeyMode.None));
        yield return new(adminCalls, "wrong key", 401, () => Admin(HttpMethod.Get, $"/api/admin/clinics/{Sample.UkClinicId}/calls", KeyMode.Wrong));
        yield return new(adminCalls, "missing auth: function key", 401, () => Admin(HttpMethod.Get, $"/api/admin/clinics/{Sample.UkClinicId}/calls", KeyMode.Header));
        yield return new(adminCalls, "unknown clinic", 404, () => Admin(HttpMethod.Get, "/api/admin/clinics/no-such-clinic/calls", KeyMode.Admin));
        yield return new(adminCalls, "limit not a number", 400, () => Admin(HttpMethod.Get, $"/api/admin/clinics/{Sample.UkClinicId}/calls?limit=lots", KeyMode.Admin));
        yield return new(adminCalls, "limit beyond Int32", 400, () => Admin(HttpMethod.Get, $"/api/admin/clinics/{Sample.UkClinicId}/calls?limit=99999999999", KeyMode.Admin));

        const string adminContacts = "/api/admin/clinics/{clinicId}/contacts";
        var contactsPath = $"/api/admin/clinics/{Sample.UkClinicId}/contacts";
        var validCsv = $"name,phone,last_visit,next_appointment\nJo Example,{Caller()},2026-01-02,\n";
        yield return new(adminContacts, "no key (a valid file)", 401, () => Admin(HttpMethod.Post, contactsPath, KeyMode.None, validCsv, "text/csv"));
        yield return new(adminContacts, "missing auth: function key (a valid file)", 401, () => Admin(HttpMethod.Post, contactsPath, KeyMode.Header, validCsv, "text/csv"));
        yield return new(adminContacts, "wrong key", 401, () => Admin(HttpMethod.Post, contactsPath, KeyMode.Wrong, validCsv, "text/csv"));
        yield return new(adminContacts, "unknown clinic", 404, () => Admin(HttpMethod.Post, "/api/admin/clinics/no-such-clinic/contacts", KeyMode.Admin, validCsv, "text/csv"));
        yield return new(adminContacts, "application/json", 415, () => Admin(HttpMethod.Post, contactsPath, KeyMode.Admin, "{}"));
        yield return new(adminContacts, "no header row", 400, () => Admin(HttpMethod.Post, contactsPath, KeyMode.Admin, $"\nJo,{Caller()}\n", "text/csv"));
        yield return new(adminContacts, "header without phone", 400, () => Admin(HttpMethod.Post, contactsPath, KeyMode.Admin, "name,email\nJo,jo@example.com\n", "text/csv"));
        yield return new(adminContacts, "bad phone", 400, () => Admin(HttpMethod.Post, contactsPath, KeyMode.Admin, "name,phone\nJo,not-a-number\n", "text/csv"));
        yield return new(adminContacts, "bad date", 400, () => Admin(HttpMethod.Post, contactsPath, KeyMode.Admin, $"name,phone,last_visit\nJo,{Caller()},yesterday\n", "text/csv"));
        yield return new(adminContacts, "junk bytes", 400, () => WithBody(Admin(HttpMethod.Post, contactsPath, KeyMode.Admin, "x", "text/csv"), Junk(2000), "text/csv"));
        // Over the server's 2 MiB request limit: Expect: 100-continue lets the 413 arrive before the body is sent (without
        // it, the server answers and closes while the client is still uploading, which the client sees as a reset).
        yield return new(adminContacts, "oversized (3 MiB)", 413, () =>
        {
            var request = Admin(HttpMethod.Post, contactsPath, KeyMode.Admin, "name,phone\n" + new string('x', 3_000_000), "text/csv");
            request.Headers.ExpectContinue = true;
            return request;
        });

        // ---- staff API ----
        var staffRoutes = new (string Route, HttpMethod Method, Func<string, string> Path, bool Caller)[]
        {
            ("/api/clinics/{clinicId}/tasks", HttpMethod.Get, _ => "tasks", false),
            ("/api/clinics/{clinicId}/tasks/{taskId}/handled", HttpMethod.Post, _ => $"tasks/mc-{Sample.UkClinicId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(10)).ToLowerInvariant()}/handled", false),
            ("/api/clinics/{clinicId}/conversations/{caller}", HttpMethod.Get, c => $"conversations/{c}", true),
            ("/api/clinics/{clinicId}/conversations/{caller}/takeover", HttpMethod.Post, c => $"conversations/{c}/takeover", true),
            ("/api/clinics/{clinicId}/conversations/{caller}/handback", HttpMethod.Post, c => $"conversations/{c}/handback", true),
            ("/api/clinics/{clinicId}/conversations/{caller}/reply", HttpMethod.Post, c => $"conversations/{c}/reply", true),
            ("/api/clinics/{clinicId}/bookings", HttpMethod.Get, _ => "bookings", false),
            ("/api/clinics/{clinicId}/bookings", HttpMethod.Post, _ => "bookings", false),
            ("/api/clinics/{clinicId}/bookings/{bookingId}/cancel", HttpMethod.Post, _ => $"bookings/bk-{Guid.NewGuid():N}/cancel", false),
            ("/api/clinics/{clinicId}/calendar.ics", HttpMethod.Get, _ => "calendar.ics", false),
            ("/api/clinics/{clinicId}/report", HttpMethod.Get, _ => "report", false),
        };
        foreach (var (route, method, path, hasCaller) in staffRoutes)
        {
            string P() => path(Uri.EscapeDataString(Caller()));
            var body = method == HttpMethod.Post ? JsonSerializer.Serialize(new { by = "Fuzz", text = "a staff text " + run }) : null;
            yield return new(route, "no key", 401, () => Staff(method, Sample.UkClinicId, P(), Sample.UkStaffToken, KeyMode.None, body));
            yield return new(route, "no key, token in query", 401, () => Staff(method, Sample.UkClinicId, P(), Sample.UkStaffToken, KeyMode.None, body, tokenInQuery: true));
            yield return new(route, "wrong key", 401, () => Staff(method, Sample.UkClinicId, P(), Sample.UkStaffToken, KeyMode.Wrong, body));
            yield return new(route, "missing auth: no staff token", 401, () => Staff(method, Sample.UkClinicId, P(), null, KeyMode.Header, body));
            yield return new(route, "missing auth: no staff token, key in query", 401, () => Staff(method, Sample.UkClinicId, P(), null, KeyMode.Query, body));
            yield return new(route, "wrong staff token", 401, () => Staff(method, Sample.UkClinicId, P(), "dev-riverside-staff-token-0002", KeyMode.Header, body));
            yield return new(route, "wrong staff token in query", 401, () => Staff(method, Sample.UkClinicId, P(), "nope", KeyMode.Query, body, tokenInQuery: true));
            yield return new(route, "another clinic's staff token", 401, () => Staff(method, Sample.UkClinicId, P(), Sample.UsStaffToken, KeyMode.Header, body));
            yield return new(route, "another clinic's staff token in query", 401, () => Staff(method, Sample.UkClinicId, P(), Sample.UsStaffToken, KeyMode.Query, body, tokenInQuery: true));
            yield return new(route, "this clinic's token on another clinic", 401, () => Staff(method, Sample.UsClinicId, P(), Sample.UkStaffToken, KeyMode.Header, body));
            yield return new(route, "unknown clinic", 401, () => Staff(method, "no-such-clinic", P(), Sample.UkStaffToken, KeyMode.Header, body));
            yield return new(route, "empty staff token", 401, () => Staff(method, Sample.UkClinicId, P(), string.Empty, KeyMode.Header, body));
            yield return new(route, "DELETE", 405, () => Staff(HttpMethod.Delete, Sample.UkClinicId, P(), Sample.UkStaffToken, KeyMode.Header));
            if (hasCaller)
            {
                foreach (var bad in new[] { "abc", "12345", "+99", "%2B447400", "+4474009000001234567" })
                {
                    yield return new(route, $"caller '{bad}' not E.164", 400, () => Staff(method, Sample.UkClinicId, path(bad), Sample.UkStaffToken, KeyMode.Header, body));
                }
            }
        }

        const string reply = "/api/clinics/{clinicId}/conversations/{caller}/reply";
        string ReplyPath() => $"conversations/{Uri.EscapeDataString(Caller())}/reply";
        yield return new(reply, "no body", 400, () => Staff(HttpMethod.Post, Sample.UkClinicId, ReplyPath(), Sample.UkStaffToken, KeyMode.Header));
        yield return new(reply, "malformed JSON", 400, () => Staff(HttpMethod.Post, Sample.UkClinicId, ReplyPath(), Sample.UkStaffToken, KeyMode.Header, "{\"text\":"));
        yield return new(reply, "text of wrong type", 400, () => Staff(HttpMethod.Post, Sample.UkClinicId, ReplyPath(), Sample.UkStaffToken, KeyMode.Header, "{\"text\":123,\"by\":[]}"));
        yield return new(reply, "blank text", 400, () => Staff(HttpMethod.Post, Sample.UkClinicId, ReplyPath(), Sample.UkStaffToken, KeyMode.Header, "{\"text\":\"   \"}"));
        yield return new(reply, "text of 1,001 characters", 400, () => Staff(HttpMethod.Post, Sample.UkClinicId, ReplyPath(), Sample.UkStaffToken, KeyMode.Header, JsonSerializer.Serialize(new { text = new string('t', 1001) })));
        yield return new(reply, "text/plain body", 400, () =>
        {
            var request = Staff(HttpMethod.Post, Sample.UkClinicId, ReplyPath(), Sample.UkStaffToken, KeyMode.Header);
            request.Content = new StringContent("hello", Encoding.UTF8, "text/plain");
            return request;
        });
        const string bookings = "/api/clinics/{clinicId}/bookings";
        yield return new(bookings, "report: invalid booking", 400, () => Staff(HttpMethod.Post, Sample.UkClinicId, "bookings", Sample.UkStaffToken, KeyMode.Header, "{\"phone\":\"123\",\"start\":\"soon\"}"));
        yield return new(bookings, "report: start at the end of time", 400, () => Staff(HttpMethod.Post, Sample.UkClinicId, "bookings", Sample.UkStaffToken, KeyMode.Header,
            $$"""{"phone":"{{Caller()}}","start":"9999-12-31T23:55:00Z"}"""));
        yield return new(bookings, "list: from day zero", 400, () => Staff(HttpMethod.Get, Sample.UkClinicId, "bookings?from=0001-01-01", Sample.UkStaffToken, KeyMode.Header));
        yield return new(bookings, "report: malformed JSON", 400, () => Staff(HttpMethod.Post, Sample.UkClinicId, "bookings", Sample.UkStaffToken, KeyMode.Header, "{\"phone\":"));
        yield return new(bookings, "report: oversized (20 KB)", 413, () => Staff(HttpMethod.Post, Sample.UkClinicId, "bookings", Sample.UkStaffToken, KeyMode.Header,
            "{\"name\":\"" + new string('n', 20_000) + "\"}"));
        yield return new("/api/clinics/{clinicId}/bookings/{bookingId}/cancel", "unknown booking", 404,
            () => Staff(HttpMethod.Post, Sample.UkClinicId, $"bookings/no-such-booking-{Id()}/cancel", Sample.UkStaffToken, KeyMode.Header));
        yield return new("/api/clinics/{clinicId}/bookings/{bookingId}/cancel", "booking id with dots", 404,
            () => Staff(HttpMethod.Post, Sample.UkClinicId, "bookings/a.b/cancel", Sample.UkStaffToken, KeyMode.Header));
        yield return new("/api/clinics/{clinicId}/calendar.ics", "staff token instead of the calendar token", 401,
            () => Staff(HttpMethod.Get, Sample.UkClinicId, "calendar.ics", Sample.UkStaffToken, KeyMode.Header, tokenInQuery: true));
        yield return new("/api/clinics/{clinicId}/tasks/{taskId}/handled", "unknown task", 404,
            () => Staff(HttpMethod.Post, Sample.UkClinicId, $"tasks/no-such-task-{Id()}/handled", Sample.UkStaffToken, KeyMode.Header, "{\"by\":\"Fuzz\"}"));

        const string report = "/api/clinics/{clinicId}/report";
        foreach (var query in new[] { "from=2026-13-01", "from=2026-05-02&to=2026-05-01", "from=2020-01-01&to=2026-01-01", "days=0", "days=-3", "days=ten",
                     "days=99999999999", "to=tomorrow", "from=%00", "from=" + new string('9', 3000), "to=0001-01-01", "to=9999-12-31" })
        {
            yield return new(report, $"bad range '{(query.Length > 40 ? query[..40] + "..." : query)}'", 400,
                () => Staff(HttpMethod.Get, Sample.UkClinicId, "report?" + query, Sample.UkStaffToken, KeyMode.Header));
        }

        yield return new(report, "another clinic's dashboard token", 401, () => Staff(HttpMethod.Get, Sample.UkClinicId, "report", Sample.UsDashboardToken, KeyMode.Header));

        // ---- dashboard (anonymous at the host; the clinic's dashboard token is the key) ----
        HttpRequestMessage Dashboard(HttpMethod method, string clinicId, string path, string? token, bool inQuery = false, string? json = null)
        {
            var uri = $"/api/dashboard/{clinicId}{path}";
            if (token is not null && inQuery)
            {
                uri += "?token=" + Uri.EscapeDataString(token);
            }

            var request = new HttpRequestMessage(method, uri);
            if (token is not null && !inQuery)
            {
                request.Headers.TryAddWithoutValidation("X-Dashboard-Token", token);
            }

            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            return request;
        }

        yield return new("/api/dashboard/{clinicId}", "no key and no token", 401, () => Dashboard(HttpMethod.Get, Sample.UkClinicId, string.Empty, null));
        yield return new("/api/dashboard/{clinicId}", "wrong token", 401, () => Dashboard(HttpMethod.Get, Sample.UkClinicId, string.Empty, "nope", inQuery: true));
        yield return new("/api/dashboard/{clinicId}", "missing auth: the staff token instead", 401, () => Dashboard(HttpMethod.Get, Sample.UkClinicId, string.Empty, Sample.UkStaffToken, inQuery: true));
        yield return new("/api/dashboard/{clinicId}", "another clinic's token", 401, () => Dashboard(HttpMethod.Get, Sample.UkClinicId, string.Empty, Sample.UsDashboardToken, inQuery: true));
        yield return new("/api/dashboard/{clinicId}", "unknown clinic", 401, () => Dashboard(HttpMethod.Get, "no-such-clinic", string.Empty, Sample.UkDashboardToken, inQuery: true));
        yield return new("/api/dashboard/{clinicId}", "token in header only (the page takes it in the URL)", 401,
            () => Dashboard(HttpMethod.Get, Sample.UkClinicId, string.Empty, Sample.UkDashboardToken));
        var dashboardRoutes = new (string Route, HttpMethod Method, string Path)[]
        {
            ("/api/dashboard/{clinicId}/report", HttpMethod.Get, "/report"),
            ("/api/dashboard/{clinicId}/tasks", HttpMethod.Get, "/tasks"),
            ("/api/dashboard/{clinicId}/tasks/{taskId}/handled", HttpMethod.Post, $"/tasks/no-such-task-{run}/handled"),
            ("/api/dashboard/{clinicId}/calls", HttpMethod.Get, "/calls"),
            ("/api/dashboard/{clinicId}/calls/{callId}", HttpMethod.Get, "/calls/MjAyNi0xMS0yNnxub3BlCg"),
        };
        foreach (var (route, method, path) in dashboardRoutes)
        {
            var body = method == HttpMethod.Post ? "{\"by\":\"Fuzz\"}" : null;
            yield return new(route, "no key and no token", 401, () => Dashboard(method, Sample.UkClinicId, path, null, json: body));
            yield return new(route, "wrong token", 401, () => Dashboard(method, Sample.UkClinicId, path, "dev-riverside-dashboard-token-0002", json: body));
            yield return new(route, "token in query instead of the header", 401, () => Dashboard(method, Sample.UkClinicId, path, Sample.UkDashboardToken, inQuery: true, json: body));
            yield return new(route, "missing auth: the staff token instead", 401, () => Dashboard(method, Sample.UkClinicId, path, Sample.UkStaffToken, json: body));
            yield return new(route, "another clinic's dashboard token", 401, () => Dashboard(method, Sample.UkClinicId, path, Sample.UsDashboardToken, json: body));
            yield return new(route, "this clinic's token on another clinic", 401, () => Dashboard(method, Sample.UsClinicId, path, Sample.UkDashboardToken, json: body));
            yield return new(route, "DELETE", 405, () => Dashboard(HttpMethod.Delete, Sample.UkClinicId, path, Sample.UkDashboardToken));
        }

        foreach (var callId in new[] { "not-base64!", "AAAA", "MjAyNi0xMy0wMXx4", new string('A', 500) })
        {
            yield return new("/api/dashboard/{clinicId}/calls/{callId}", $"bad call id '{callId[..Math.Min(12, callId.Length)]}'", 404,
                () => Dashboard(HttpMethod.Get, Sample.UkClinicId, "/calls/" + Uri.EscapeDataString(callId), Sample.UkDashboardToken));
        }

        yield return new("/api/dashboard/{clinicId}/report", "bad range", 400, () => Dashboard(HttpMethod.Get, Sample.UkClinicId, "/report?days=0", Sample.UkDashboardToken));
        yield return new("/api/dashboard/{clinicId}/report", "day zero", 400, () => Dashboard(HttpMethod.Get, Sample.UkClinicId, "/report?to=0001-01-01", Sample.UkDashboardToken));
        yield return new("/api/dashboard/{clinicId}/tasks/{taskId}/handled", "unknown task", 404,
            () => Dashboard(HttpMethod.Post, Sample.UkClinicId, $"/tasks/no-such-task-{Id()}/handled", Sample.UkDashboardToken, json: "{\"by\":\"Fuzz\"}"));
        // ---- a staff alert's task link: the signature in its query is the key ----
        var taskRoutes = new (string Route, HttpMethod Method, string Path)[]
        {
            ("/api/dashboard/{clinicId}/task/{taskId}", HttpMethod.Get, $"/task/mc-fuzz-{run}"),
            ("/api/dashboard/{clinicId}/task/{taskId}/handled", HttpMethod.Post, $"/task/mc-fuzz-{run}/handled"),
        };
        foreach (var (route, method, path) in taskRoutes)
        {
            HttpRequestMessage Link(string clinicId, string query, string? token = null)
            {
                var request = Dashboard(method, clinicId, path + query, token);
                if (method == HttpMethod.Post)
                {
                    request.Content = new FormUrlEncodedContent([new("by", "Fuzz")]);
                }

                return request;
            }

            var exp = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds();
            yield return new(route, "no key and no signature", 401, () => Link(Sample.UkClinicId, string.Empty));
            yield return new(route, "missing auth: the dashboard token instead of a signature", 401, () => Link(Sample.UkClinicId, string.Empty, Sample.UkDashboardToken));
            yield return new(route, "forged signature", 401, () => Link(Sample.UkClinicId, $"?exp={exp}&sig=AAAAAAAAAAAAAAAAAAAAAA"));
            yield return new(route, "dashboard token as the signature", 401, () => Link(Sample.UkClinicId, $"?exp={exp}&sig={Uri.EscapeDataString(Sample.UkDashboardToken)}"));
            yield return new(route, "junk expiry", 401, () => Link(Sample.UkClinicId, "?exp=tomorrow&sig=AAAAAAAAAAAAAAAAAAAAAA"));
            yield return new(route, "huge expiry and signature", 401, () => Link(Sample.UkClinicId, $"?exp={new string('9', 40)}&sig={new string('A', 5000)}"));
            yield return new(route, "unknown clinic", 401, () => Link("no-such-clinic", $"?exp={exp}&sig=AAAAAAAAAAAAAAAAAAAAAA"));
            yield return new(route, "DELETE", 405, () => new HttpRequestMessage(HttpMethod.Delete, $"/api/dashboard/{Sample.UkClinicId}{path}"));
        }

        yield return new("/api/dashboard/assets/{name}", "unknown file", 404, () => new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/assets/secrets.json"));
        yield return new("/api/dashboard/assets/{name}", "path traversal", 404, () => new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/assets/..%2F..%2Fappsettings.json"));

        // ---- unknown /api routes ----
        yield return new("(unknown /api route)", "no key", 401, () => new HttpRequestMessage(HttpMethod.Get, "/api/nothing-here"));
        yield return new("(unknown /api route)", "with key", 404, () => Keys.Apply(new HttpRequestMessage(HttpMethod.Get, "/api/nothing-here"), KeyMode.Header));
        yield return new("(unknown /api route)", "path traversal", null, () => Keys.Apply(new HttpRequestMessage(HttpMethod.Get, "/api/calls/..%2F..%2Fadmin%2Fclinics"), KeyMode.Header));
    }

    private static HttpRequestMessage WithHeader(HttpRequestMessage request, string name, string value)
    {
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    private static HttpRequestMessage WithHeaderKey(HttpRequestMessage request, string key) => WithHeader(request, "x-functions-key", key);

    private static HttpRequestMessage WithBody(HttpRequestMessage request, byte[] body, string contentType)
    {
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return request;
    }

    private static HttpRequestMessage WithChunkedBody(HttpRequestMessage request, int size)
    {
        request.Content = new UnknownLengthContent(Encoding.ASCII.GetBytes("{\"pad\":\"" + new string('c', size) + "\"}"), "application/json");
        request.Headers.TransferEncodingChunked = true;
        return request;
    }

    private static string AcsIncomingCall(string caller, string clinic) => JsonSerializer.Serialize(new[]
    {
        new
        {
            id = Guid.NewGuid().ToString(),
            topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/clinic-rg/providers/Microsoft.Communication/communicationServices/clinic-acs",
            subject = $"/caller/4:{caller}/recipient/4:{clinic}",
            data = new
            {
                to = new { kind = "phoneNumber", rawId = "4:" + clinic, phoneNumber = new { value = clinic } },
                from = new { kind = "phoneNumber", rawId = "4:" + caller, phoneNumber = new { value = caller } },
                serverCallId = Convert.ToBase64String(Guid.NewGuid().ToByteArray()),
                correlationId = Guid.NewGuid().ToString(),
            },
            eventType = "Microsoft.Communication.IncomingCall",
            dataVersion = "1.0",
            metadataVersion = "1",
            eventTime = DateTimeOffset.UtcNow,
        },
    });

    private static string AcsAddParticipantFailed() => JsonSerializer.Serialize(new[]
    {
        new
        {
            id = Guid.NewGuid().ToString(),
            source = "calling/callConnections/401f3500-62bd-46a9-8c09-9e1b06caca01",
            type = "Microsoft.Communication.AddParticipantFailed",
            data = new { callConnectionId = "401f3500-62bd-46a9-8c09-9e1b06caca01", resultInformation = new { code = 408, subCode = 10004 } },
            time = DateTimeOffset.UtcNow,
            specversion = "1.0",
            datacontenttype = "application/json",
            subject = "calling/callConnections/401f3500-62bd-46a9-8c09-9e1b06caca01",
        },
    });

    private static string TelnyxHangup(string id, string caller, string clinic) => JsonSerializer.Serialize(new
    {
        data = new
        {
            record_type = "event",
            event_type = "call.hangup",
            id,
            occurred_at = DateTimeOffset.UtcNow,
            payload = new
            {
                call_control_id = "v3:" + id,
                call_leg_id = Guid.NewGuid().ToString(),
                call_session_id = Guid.NewGuid().ToString(),
                from = caller,
                to = clinic,
                start_time = DateTimeOffset.UtcNow.AddSeconds(-30),
                state = "hangup",
                hangup_cause = "no_answer",
                hangup_source = "callee",
            },
        },
        meta = new { attempt = 1 },
    });

    private static string VonageUnanswered(string id, string caller, string clinic) => JsonSerializer.Serialize(new
    {
        from = caller.TrimStart('+'),
        to = clinic.TrimStart('+'),
        uuid = id,
        conversation_uuid = "CON-" + id,
        status = "unanswered",
        direction = "inbound",
        timestamp = DateTimeOffset.UtcNow,
    });

    /// <summary>A Vonage signed-webhook JWT over the body (HS256 with <paramref name="secret"/>; alg "none" when null).</summary>
    private static string Jwt(string body, string? secret)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64(Encoding.UTF8.GetBytes(secret is null ? "{\"alg\":\"none\",\"typ\":\"JWT\"}" : "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
        var claims = B64(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            iat = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            jti = Guid.NewGuid().ToString(),
            iss = "Vonage",
            payload_hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(body))).ToLowerInvariant(),
        })));
        var signature = secret is null ? string.Empty : B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + claims)));
        return header + "." + claims + "." + signature;
    }

    /// <summary>A body that does not say its length, so HttpClient sends it chunked (as a streaming sender would).</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        private readonly byte[] _body;

        public UnknownLengthContent(byte[] body, string contentType)
        {
            _body = body;
            Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(_body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
