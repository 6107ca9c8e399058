using Aspire.Hosting.ApplicationModel;

namespace Bookstore.AppHost.Redis;

/// <summary>The secret parameters holding the passwords of the three Redis users.</summary>
public sealed record RedisUserParameters(
    IResourceBuilder<ParameterResource> App,
    IResourceBuilder<ParameterResource> Monitor,
    IResourceBuilder<ParameterResource> Admin)
{
    public ParameterResource For(string user) => user switch
    {
        RedisUsers.App => App.Resource,
        RedisUsers.Monitor => Monitor.Resource,
        RedisUsers.Admin => Admin.Resource,
        _ => throw new ArgumentOutOfRangeException(nameof(user), user, "Not a Bookstore Redis user."),
    };

    public async Task<RedisUserPasswords> ResolveAsync(CancellationToken cancellationToken) => new(
        await ValueOf(App.Resource, cancellationToken).ConfigureAwait(false),
        await ValueOf(Monitor.Resource, cancellationToken).ConfigureAwait(false),
        await ValueOf(Admin.Resource, cancellationToken).ConfigureAwait(false));

    private static async Task<string> ValueOf(ParameterResource parameter, CancellationToken cancellationToken) =>
        await parameter.GetValueAsync(cancellationToken).ConfigureAwait(false)
        ?? throw new DistributedApplicationException($"The parameter '{parameter.Name}' has no value.");
}

/// <summary>On the <c>cache</c> resource: its users' password parameters and where the rendered ACL file goes.</summary>
public sealed class RedisUsersAnnotation(RedisUserParameters passwords, string aclFile) : IResourceAnnotation
{
    public RedisUserParameters Passwords { get; } = passwords;

    /// <summary>The rendered <c>users.acl</c> on the host (mounted into the container in container mode).</summary>
    public string AclFile { get; } = aclFile;
}
