using System.Diagnostics;
using System.Text;

namespace RedisHaActors.Tests.Lab;

/// <summary>A tcpdump of the VRRP adverts in one namespace; parsed by <see cref="CapturedAdvert.Parse"/>.</summary>
public sealed partial class NamespaceLab
{
    /// <summary>Pass as <c>node</c> to <see cref="StartCapture"/> to capture in the client namespace (192.0.2.250).</summary>
    public const int Client = 0;

    private Process? _capture;
    private StringBuilder? _captureOut;

    /// <summary>
    /// Starts <c>tcpdump -i eth0 -nn -tt -l --immediate-mode 'ip proto 112'</c> in node's namespace (<see cref="Client"/>
    /// for the client) and returns once it listens (10 s at most, else throws). One capture per lab; a
    /// second call replaces the first. Read with <see cref="CaptureAdverts"/>.
    /// </summary>
    public void StartCapture(int node)
    {
        StopCapture();
        var ns = node == Client ? ClientNs : Ns(node);
        var output = new StringBuilder();
        var p = StartLogged(["netns", "exec", ns, "tcpdump", "-i", "eth0", "-nn", "-tt", "-l", "--immediate-mode", "ip proto 112"], output);
        _capture = p;
        _captureOut = output;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (Read(output).Contains("listening on", StringComparison.Ordinal)) return;
            if (p.HasExited) break;
            Thread.Sleep(20);
        }
        throw new InvalidOperationException($"tcpdump in {ns} did not start listening: {Read(output).Trim()}");
    }

    /// <summary>Stops the capture, if any; what it captured stays readable through <see cref="CaptureAdverts"/>.</summary>
    public void StopCapture()
    {
        if (_capture is null) return;
        try
        {
            if (!_capture.HasExited)
            {
                Run("kill", ["-INT", _capture.Id.ToString()], check: false);
                if (!_capture.WaitForExit(3000)) _capture.Kill(entireProcessTree: true);
            }
            _capture.WaitForExit(3000);
        }
        catch (InvalidOperationException) { }
        _capture.Dispose();
        _capture = null;
    }

    /// <summary>The VRRP adverts the current (or last) capture has printed so far, in order.</summary>
    public IReadOnlyList<CapturedAdvert> CaptureAdverts() => CapturedAdvert.Parse(CaptureText());

    /// <summary>The raw tcpdump output of the current (or last) capture.</summary>
    public string CaptureText() => _captureOut is null ? "" : Read(_captureOut);
}
