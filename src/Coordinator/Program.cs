using System.CommandLine;
using System.Net;
using RedisHaActors.Coordinator;
using RedisHaActors.Coordinator.Systemd;

var configOption = new Option<FileInfo>("--config", "-c")
{
    Description = "Node configuration file (HOCON); defaults come from the embedded reference.conf.",
    Required = true,
};

var run = new Command("run", "Run this node: VRRP, Redis health checks and role flips.") { configOption };
run.SetAction(async (parse, ct) =>
{
    // SIGTERM/SIGINT: tell systemd the stop has begun (the hand-over takes a moment). Only here: an
    // in-process restart of the actor system after a cluster downing is no stop of the service.
    var notify = SdNotify.FromEnvironment();
    using var stopping = ct.Register(() => notify.Notify("STOPPING=1"));
    return await Commands.RunAsync(parse.GetValue(configOption)!, ct);
});

var checkConfig = new Command("check-config", "Validate a configuration file and print a summary; exit 2 if it is invalid.") { configOption };
checkConfig.SetAction(parse => Commands.CheckConfig(parse.GetValue(configOption)!));

var statusConfigOption = new Option<FileInfo>("--config", "-c")
{
    Description = "Node configuration file; its redis-ha.status.listen names the endpoint.",
    HelpName = "FILE",
};
var endpointOption = new Option<IPEndPoint?>("--endpoint")
{
    Description = "The node's status endpoint (default: from --config, else 127.0.0.1:9680).",
    HelpName = "ADDRESS:PORT",
    CustomParser = result =>
    {
        var endpoint = StatusCommand.ParseEndpoint(result.Tokens.Single().Value, out var error);
        if (error is not null) result.AddError(error);
        return endpoint;
    },
};
var jsonOption = new Option<bool>("--json") { Description = "Print the JSON of GET /status as received." };
var status = new Command("status", "Show a running node's VRRP and Redis state from its local status endpoint; exit 3 if nothing answers.")
{
    statusConfigOption,
    endpointOption,
    jsonOption,
};
status.SetAction((parse, ct) =>
    StatusCommand.RunAsync(parse.GetValue(statusConfigOption), parse.GetValue(endpointOption), parse.GetValue(jsonOption), ct));

var toOption = new Option<string>("--to") { Description = "The node (redis-ha.node.name) to hand the VIP and the Redis master role to.", Required = true, HelpName = "NODE" };
var switchoverConfigOption = new Option<FileInfo>("--config", "-c")
{
    Description = "This (master) node's configuration file; its redis-ha.status.listen names the endpoint and its redis-ha.status.token-file holds the token sent.",
    HelpName = "FILE",
};
var switchoverEndpointOption = new Option<IPEndPoint?>("--endpoint")
{
    Description = "The master's status endpoint (default: from --config, else 127.0.0.1:9680).",
    HelpName = "ADDRESS:PORT",
    CustomParser = endpointOption.CustomParser,
};
var switchover = new Command("switchover",
    "Planned hand-over: the master pauses writes, waits until NODE's replica has every byte (else aborts, nothing changed), and yields the VIP to it. Run on the master's host.")
{
    toOption,
    switchoverConfigOption,
    switchoverEndpointOption,
};
switchover.SetAction((parse, ct) =>
    SwitchoverCommand.RunAsync(parse.GetValue(toOption)!, parse.GetValue(switchoverConfigOption), parse.GetValue(switchoverEndpointOption), ct));

// reload, pause, resume, promote: like switchover, through the node's control API with its token, so the operator sees
// the outcome (applied keys, pending restart, or the refusal) and the exit code says it. systemctl reload sends
// SIGHUP instead (the unit's ExecReload=), which does the same and logs it.
Command ControlAction(string name, string description, string path, TimeSpan wait, params Option[] extra)
{
    var config = new Option<FileInfo>("--config", "-c")
    {
        Description = "This node's configuration file; its redis-ha.status.listen names the endpoint and its redis-ha.status.token-file holds the token sent.",
        HelpName = "FILE",
    };
    var endpoint = new Option<IPEndPoint?>("--endpoint")
    {
        Description = "The node's status endpoint (default: from --config, else 127.0.0.1:9680).",
        HelpName = "ADDRESS:PORT",
        CustomParser = endpointOption.CustomParser,
    };
    var command = new Command(name, description) { config, endpoint };
    foreach (var option in extra) command.Options.Add(option);
    command.SetAction((parse, ct) =>
    {
        var query = extra.Where(o => o is Option<bool> b && parse.GetValue(b)).Select(o => o.Name.TrimStart('-')).ToArray();
        return ControlCommand.RunAsync(name, path + (query.Length > 0 ? "?" + string.Join("&", query) : ""), parse.GetValue(config),
            parse.GetValue(endpoint), wait, "run it on the node's host, with redis-ha.status.listen at this address", ct);
    });
    return command;
}

var reload = ControlAction("reload",
    "Re-read the node file and apply every key that is safe at runtime without moving the VIP; print the keys applied and those pending a restart. A bad file is refused (exit 1) and the node runs on unchanged.",
    "/reload", TimeSpan.FromSeconds(30));
var pause = ControlAction("pause",
    "Maintenance mode for the whole set (through the cluster guard): no automatic failover and no role change until resume; the VIP holder keeps it, also across a restart of its coordinator.",
    "/pause", TimeSpan.FromSeconds(30));
var forceOption = new Option<bool>("--force") { Description = "Resume although no live VIP holder is seen (its host is gone for good)." };
var resume = ControlAction("resume", "End maintenance mode for the whole set: automatic failover is on again.", "/resume", TimeSpan.FromSeconds(30), forceOption);
var acceptLossOption = new Option<bool>("--accept-loss")
{
    Description = "Take over and accept the estimated loss. Without it nothing changes: the node says what it would override and the estimated loss.",
};
// The node bounds the wait itself (27.5 s with the defaults; sync-timeout, at most 10 min, is part of it); this is a backstop.
var promote = ControlAction("promote",
    "Run on the node that should take over once the master is gone for good: promote its Redis although a data rule refuses it automatically " +
    "(a first sync never completed, a newer history out of reach, max-loss), and report the estimated loss. Never while a master is live, " +
    "without the majority, or while paused. Exit 0 when this node holds the VIP over a master Redis, 1 refused or failed.",
    "/promote", TimeSpan.FromMinutes(12), acceptLossOption);

var root = new RootCommand("redis-ha: one virtual IP on the writable Redis master, with safe automatic failover.")
{
    run,
    checkConfig,
    status,
    switchover,
    reload,
    pause,
    resume,
    promote,
};
return await root.Parse(args).InvokeAsync();
