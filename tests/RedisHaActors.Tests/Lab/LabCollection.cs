namespace RedisHaActors.Tests.Lab;

/// <summary>Lab tests run one at a time: they share the machine's two cores and timing matters.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabCollection
{
    public const string Name = "namespace lab";
}
