using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RedisHaActors.Tests.Lab;

namespace RedisHaActors.Tests.Redis;

/// <summary>A real redis-server on 127.0.0.1 and a free port, without persistence; killed on Dispose.</summary>
public sealed class LoopbackRedis : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    public LoopbackRedis(params string[] extra) : this(FreePort(), extra)
    {
    }

    /// <summary>On <paramref name="port"/>; later <paramref name="extra"/> arguments override earlier ones (TLS: "--port 0 --tls-port PORT").</summary>
    public LoopbackRedis(int port, string[] extra)
    {
        Port = port;
        _dir = Directory.CreateTempSubdirectory("redis-ha-test-").FullName;
        var psi = new ProcessStartInfo(LabBinaries.RedisServer) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir, "--daemonize", "no" })
            psi.ArgumentList.Add(a);
        foreach (var a in extra) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start redis-server (apt-get install redis-server)");
        _process.StandardOutput.ReadToEndAsync();
        _process.StandardError.ReadToEndAsync();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }
        Dispose();
        throw new InvalidOperationException($"redis-server did not listen on {Port} within 10 s");
    }

    public int Port { get; }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Runs redis-cli against this server (with <paramref name="auth"/> if given).</summary>
    public string Cli(string? auth, params string[] args)
    {
        var psi = new ProcessStartInfo(LabBinaries.RedisCli) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-p", Port.ToString() }) psi.ArgumentList.Add(a);
        if (auth is not null) { psi.ArgumentList.Add("--no-auth-warning"); psi.ArgumentList.Add("-a"); psi.ArgumentList.Add(auth); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(10_000)) { p.Kill(); throw new TimeoutException("redis-cli hung"); }
        return output.Result.Trim();
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
