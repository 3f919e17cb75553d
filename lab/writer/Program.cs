using System.Globalization;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using LabWriter;

// labwriter: write probe for failover tests. Exit codes: 0 done, 1 runtime failure, 2 usage.
try
{
    return await Cli.RunAsync(args).ConfigureAwait(false);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"labwriter: {e.Message} (labwriter --help for usage)");
    return 2;
}
catch (Exception e)
{
    Console.Error.WriteLine($"labwriter: error: {Cli.Describe(e)}");
    return 1;
}

namespace LabWriter
{
    internal sealed class UsageException(string message) : Exception(message);

    internal static class Cli
    {
        /// <summary>Plain output: server error texts contain quotes that the default encoder would \u-escape.</summary>
        public static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        public const string Usage =
            "usage: labwriter write  --host H --port P --duration-ms D --acked FILE [--interval-ms 10] [--prefix w]\n" +
            "                        [--connect-timeout-ms 200] [--reply-timeout-ms 200] [--verbose]\n" +
            "                        [--errors FILE]   (one 'ms outcome' line per failed attempt)\n" +
            "       labwriter verify --host H --port P --acked FILE [--prefix w] [--timeout-ms 2000] [--batch 500]\n" +
            "       labwriter sample [--host 127.0.0.1] [--port 6379] [--period-ms 50] [--duration-ms 3600000]\n" +
            "                        [--prefix sample] [--connect-timeout-ms 40] [--reply-timeout-ms 40] [--stop-on-stdin-eof]\n" +
            "                        (one line per attempt on stdout: 'UNIX_MS OK REPLY_MS' or 'UNIX_MS ERR REASON')\n" +
            "       labwriter dual-writable SAMPLES1 SAMPLES2 --from-ms A --to-ms B [--reply-timeout-ms 40] [--intervals FILE]\n" +
            "                        (seconds both sampler logs show a writable Redis in [A, B), 3 decimals; FILE gets\n" +
            "                        one 'START END' line per stretch, ms after A)\n" +
            "       labwriter until-writable SAMPLES --fault-ms F\n" +
            "                        (seconds from F to the first OK after a failure, 2 decimals, or 'no takeover')\n" +
            "       labwriter inject --dst A --hex IPV4_DATAGRAM_HEX [--count N]   (raw IPv4, root only)";

        public static async Task<int> RunAsync(string[] args)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.Error.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }
            var opts = Options.Parse(args.AsSpan(1));
            return args[0] switch
            {
                "write" => await WriteMode.RunAsync(WriteMode.Settings.From(opts)).ConfigureAwait(false),
                "verify" => await VerifyMode.RunAsync(VerifyMode.Settings.From(opts)).ConfigureAwait(false),
                "sample" => await SampleMode.RunAsync(SampleMode.Settings.From(opts)).ConfigureAwait(false),
                "inject" => InjectMode.Run(opts),
                "dual-writable" => AnalyzeMode.DualWritable(opts),
                "until-writable" => AnalyzeMode.UntilWritable(opts),
                _ => throw new UsageException($"unknown mode '{args[0]}'"),
            };
        }

        /// <summary>One line, no stack trace: the innermost useful message.</summary>
        public static string Describe(Exception e)
        {
            while (e is AggregateException { InnerException: { } inner })
            {
                e = inner;
            }
            return e.Message;
        }

        /// <summary>Resolves once, bounded; the lab passes literal addresses anyway.</summary>
        public static async Task<IPEndPoint> ResolveAsync(string host, int port)
        {
            if (IPAddress.TryParse(host, out var ip))
            {
                return new IPEndPoint(ip, port);
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            IPAddress[] addrs;
            try
            {
                addrs = await Dns.GetHostAddressesAsync(host, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
            {
                throw new IOException($"cannot resolve '{host}': {e.Message}");
            }
            return addrs.Length > 0
                ? new IPEndPoint(addrs[0], port)
                : throw new IOException($"host '{host}' has no address");
        }
    }

    /// <summary>"--name value" pairs and bare "--flag"s.</summary>
    internal sealed class Options
    {
        private static readonly HashSet<string> Flags = ["--verbose", "--stop-on-stdin-eof"];
        private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);
        private readonly List<string> _positionals = [];
        private int _positionalsUsed;

        public static Options Parse(ReadOnlySpan<string> args)
        {
            var o = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                var name = args[i];
                if (!name.StartsWith("--", StringComparison.Ordinal))
                {
                    o._positionals.Add(name);
                    continue;
                }
                if (Flags.Contains(name))
                {
                    o._values[name] = "true";
                    continue;
                }
                // A value-less option is remembered as null: reported as unknown if it is, else as missing its value.
                o._values[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                    ? args[++i]
                    : null;
            }
            return o;
        }

        public string? Str(string name)
        {
            _used.Add(name);
            if (!_values.TryGetValue(name, out var v))
            {
                return null;
            }
            return v ?? (Flags.Contains(name) ? "true" : throw new UsageException($"option {name} needs a value"));
        }

        /// <summary>The bare arguments (files), exactly <paramref name="names"/>.Length of them, in order.</summary>
        public string[] Positionals(params string[] names)
        {
            if (_positionals.Count < names.Length)
            {
                throw new UsageException($"missing {names[_positionals.Count]}");
            }
            _positionalsUsed = names.Length;
            return _positionals.Take(names.Length).ToArray();
        }

        public string Required(string name) => Str(name) ?? throw new UsageException($"missing {name}");

        public bool Flag(string name) => Str(name) is not null;

        public int Int(string name, int? fallback, int min, int max)
        {
            var s = Str(name);
            if (s is null)
            {
                return fallback ?? throw new UsageException($"missing {name}");
            }
            return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
                ? v
                : throw new UsageException($"{name} must be an integer in {min}..{max}, got '{s}'");
        }

        /// <summary>A required non-negative 64-bit integer (unix ms).</summary>
        public long Long(string name)
        {
            var s = Required(name);
            return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new UsageException($"{name} must be a non-negative integer, got '{s}'");
        }

        /// <summary>Call after reading every option of a mode: catches typos.</summary>
        public void RejectUnknown()
        {
            if (_positionals.Count > _positionalsUsed)
            {
                throw new UsageException($"unexpected argument '{_positionals[_positionalsUsed]}'");
            }
            foreach (var k in _values.Keys)
            {
                if (!_used.Contains(k))
                {
                    throw new UsageException($"unknown option {k}");
                }
            }
        }
    }
}
