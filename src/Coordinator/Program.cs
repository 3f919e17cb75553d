using System.CommandLine;
using RedisHaActors.Coordinator;

var configOption = new Option<FileInfo>("--config", "-c")
{
    Description = "Node configuration file (HOCON); defaults come from the embedded reference.conf.",
    Required = true,
};

var run = new Command("run", "Run this node: VRRP, Redis health checks and role flips.") { configOption };
run.SetAction((parse, ct) => Commands.RunAsync(parse.GetValue(configOption)!, ct));

var checkConfig = new Command("check-config", "Validate a configuration file and print a summary; exit 2 if it is invalid.") { configOption };
checkConfig.SetAction(parse => Commands.CheckConfig(parse.GetValue(configOption)!));

var root = new RootCommand("redis-ha: one virtual IP on the writable Redis master, with safe automatic failover.")
{
    run,
    checkConfig,
};
return await root.Parse(args).InvokeAsync();
