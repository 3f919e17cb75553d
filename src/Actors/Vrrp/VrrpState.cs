namespace RedisHaActors.Vrrp;

/// <summary>RFC 5798 §6.4 states.</summary>
public enum VrrpState
{
    /// <summary>Not started, or shut down.</summary>
    Initialize,
    /// <summary>Listening for the master; takes over when Master_Down_Timer fires and the node is eligible.</summary>
    Backup,
    /// <summary>Holds the virtual addresses and sends adverts.</summary>
    Master,
    /// <summary>keepalived's FAULT: the interface is down or lost its address. No adverts, no VIP,
    /// the local Redis is fenced; back to BACKUP when the link returns.</summary>
    Fault,
}
