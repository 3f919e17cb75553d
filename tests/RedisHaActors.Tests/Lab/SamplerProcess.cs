using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// One running <c>labwriter sample</c>, its output read by two dedicated threads: Process's async
/// events run on the thread pool, which a busy test host starves for up to a second (lines then
/// arrive late, in bursts).
/// </summary>
internal sealed class SamplerProcess
{
    private readonly List<string> _lines = new();
    private readonly StringBuilder _errors = new();
    private readonly Thread _out;
    private readonly Thread _err;

    public SamplerProcess(Process process, int node)
    {
        Process = process;
        _out = new Thread(() => Pump(process.StandardOutput, line => { lock (_lines) _lines.Add(line); }))
            { IsBackground = true, Name = $"sampler-n{node}-out" };
        _err = new Thread(() => Pump(process.StandardError, line => { lock (_errors) _errors.AppendLine(line); }))
            { IsBackground = true, Name = $"sampler-n{node}-err" };
        _out.Start();
        _err.Start();
    }

    public Process Process { get; }

    /// <summary>False once it exited (or its Process was disposed).</summary>
    public bool Running
    {
        get
        {
            try { return !Process.HasExited; }
            catch (InvalidOperationException) { return false; }
        }
    }

    /// <summary>Lines printed so far.</summary>
    public int LineCount
    {
        get { lock (_lines) return _lines.Count; }
    }

    /// <summary>A copy of the stdout lines so far.</summary>
    public string[] Lines()
    {
        lock (_lines) return _lines.ToArray();
    }

    public string ErrorText()
    {
        lock (_errors) return _errors.ToString();
    }

    private static void Pump(StreamReader reader, Action<string> add)
    {
        try
        {
            while (reader.ReadLine() is { } line) add(line);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    /// <summary>stdin closed and SIGTERM, SIGKILL after 3 s; waits (bounded) for the readers to drain.</summary>
    public void Stop()
    {
        try
        {
            if (Running)
            {
                try { Process.StandardInput.Close(); } catch (IOException) { }
                NamespaceLab.Run("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)], check: false);
                if (!Process.WaitForExit(3000)) Process.Kill(entireProcessTree: true);
                Process.WaitForExit(5000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            lock (_errors) _errors.AppendLine($"stop: {e.Message}");
        }
        // The pipes close with the process: the readers end with the last line.
        _out.Join(TimeSpan.FromSeconds(5));
        _err.Join(TimeSpan.FromSeconds(5));
    }
}
