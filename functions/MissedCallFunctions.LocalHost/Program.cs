using MissedCallFunctions.Clinics;
using MissedCallFunctions.LocalHost;

// dotnet run                          -> the local stack (Azurite, ingest, processor) on http://127.0.0.1:7071
// dotnet run -- load-clinics <file>   -> validate a clinics file and load it into the local tables
if (args.Length >= 1 && args[0] == "load-clinics")
{
    if (args.Length < 2)
    {
        Console.Error.WriteLine("usage: load-clinics <clinics.json>");
        return 2;
    }

    await using var tool = await LocalHostApp.CreateAsync(args[2..]);
    try
    {
        var file = await LocalHostApp.LoadClinicsAsync(tool.Services.GetRequiredService<IClinicDirectory>(), args[1]);
        Console.WriteLine($"Loaded {file.Clinics.Count} clinic(s): {string.Join(", ", file.Clinics.Select(c => c.Id))}");
        return 0;
    }
    catch (InvalidDataException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }
}

await using var app = await LocalHostApp.CreateAsync(args);
if (string.IsNullOrEmpty(app.Configuration["urls"]) && string.IsNullOrEmpty(app.Configuration["ASPNETCORE_URLS"]))
{
    app.Urls.Add("http://127.0.0.1:7071");
}

app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"MissedCallFunctions local host listening on {string.Join(", ", app.Urls)}. Ingest: POST /api/calls/{{provider}}?code=<function key>"));
await app.RunAsync();
return 0;
