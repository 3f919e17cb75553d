using Mono.Cecil;
using Mono.Cecil.Cil;
using RedisHaActors.Configuration;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Architecture;

/// <summary>
/// The folder arrows of src/Actors (README, "Repository"), checked on the compiled assembly's type
/// references (fields, signatures, base types and every IL operand), not on <c>using</c> lines.
/// </summary>
public sealed class FolderArrowsTests(ITestOutputHelper output)
{
    /// <summary>Which areas each area may use (besides itself). Leaves first; arrows point down.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>
    {
        ["Primitives"] = [],
        ["Configuration"] = ["Primitives"],
        ["Control"] = [],
        ["Vrrp"] = ["Configuration", "Primitives"],
        ["Redis"] = ["Configuration", "Primitives"],
        ["Cluster"] = ["Configuration", "Primitives"],
        // The status read model reads every area's status records; it never points at the supervisor.
        ["Status"] = ["Configuration", "Primitives", "Control", "Vrrp", "Redis", "Cluster"],
        // The node supervisor translates between the areas.
        ["Hosting"] = ["Configuration", "Primitives", "Control", "Vrrp", "Redis", "Cluster", "Status"],
    };

    [Fact]
    public void Every_area_uses_only_the_areas_below_it()
    {
        var edges = ArrowAnalysis.Edges(typeof(HaSettings).Assembly.Location);
        foreach (var (from, to) in edges.Keys.OrderBy(k => k.From).ThenBy(k => k.To))
            output.WriteLine($"{from} -> {to} ({edges[(from, to)].Count} references, e.g. {edges[(from, to)].First()})");
        var broken = edges
            .Where(e => !Allowed.TryGetValue(e.Key.From, out var ok) || !ok.Contains(e.Key.To))
            .Select(e => $"{e.Key.From} -> {e.Key.To}: {string.Join("; ", e.Value.Order().Take(5))}")
            .ToArray();
        Assert.True(broken.Length == 0, "folder arrows broken (allowed arrows are in FolderArrowsTests.Allowed and README):\n" + string.Join("\n", broken));
    }

    [Fact]
    public void The_analysis_finds_the_supervisors_arrows()
    {
        // The supervisor creates each area's actors: if the analysis missed these, it would miss breaks too.
        var edges = ArrowAnalysis.Edges(typeof(HaSettings).Assembly.Location);
        foreach (var area in new[] { "Vrrp", "Redis", "Cluster", "Status", "Configuration" })
            Assert.True(edges.ContainsKey(("Hosting", area)), $"no Hosting -> {area} reference found");
    }
}

/// <summary>Area-to-area references of one assembly, from its metadata and IL (Mono.Cecil).</summary>
public static class ArrowAnalysis
{
    /// <summary>(from area, to area) -> "FromType -> ToType" examples. An area is the namespace
    /// segment after <paramref name="prefix"/> (RedisHaActors.Vrrp.Net is Vrrp).</summary>
    public static Dictionary<(string From, string To), HashSet<string>> Edges(string assemblyPath, string prefix = "RedisHaActors.")
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var edges = new Dictionary<(string, string), HashSet<string>>();
        foreach (var type in module.GetTypes())
        {
            var from = Area(type, prefix);
            if (from is null) continue;
            foreach (var reference in References(type))
            {
                var to = Area(reference, prefix);
                if (to is null || to == from) continue;
                if (!edges.TryGetValue((from, to), out var examples)) edges[(from, to)] = examples = new HashSet<string>();
                examples.Add($"{Top(type).FullName} -> {Top(reference).FullName}");
            }
        }
        return edges;
    }

    private static TypeReference Top(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    private static string? Area(TypeReference t, string prefix)
    {
        var ns = Top(t).Namespace;
        if (!ns.StartsWith(prefix, StringComparison.Ordinal)) return null;
        return ns[prefix.Length..].Split('.')[0];
    }

    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? t)
        {
            switch (t)
            {
                case null:
                    return;
                case GenericInstanceType g:
                    Add(g.ElementType);
                    foreach (var a in g.GenericArguments) Add(a);
                    return;
                case TypeSpecification s:
                    Add(s.ElementType);
                    return;
                case GenericParameter:
                    return;
                default:
                    found.Add(t);
                    return;
            }
        }
        void AddMethod(MethodReference m)
        {
            Add(m.DeclaringType);
            Add(m.ReturnType);
            foreach (var p in m.Parameters) Add(p.ParameterType);
            if (m is GenericInstanceMethod gm)
                foreach (var a in gm.GenericArguments) Add(a);
        }
        Add(type.BaseType);
        foreach (var i in type.Interfaces) Add(i.InterfaceType);
        foreach (var f in type.Fields) Add(f.FieldType);
        foreach (var p in type.Properties) Add(p.PropertyType);
        foreach (var m in type.Methods)
        {
            AddMethod(m);
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) Add(v.VariableType);
            foreach (var instruction in m.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t: Add(t); break;
                    case MethodReference mr: AddMethod(mr); break;
                    case FieldReference fr:
                        Add(fr.DeclaringType);
                        Add(fr.FieldType);
                        break;
                }
            }
        }
        return found;
    }
}
