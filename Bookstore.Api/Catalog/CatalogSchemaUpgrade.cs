using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Bookstore.Api.Catalog;

/// <summary>
/// The columns added to the catalog schema since its first release. <c>EnsureCreated</c> leaves an existing database
/// as it is, so a database an earlier version created gets each missing one here, nullable, as the model describes it
/// (name and type): its rows keep working and the new field starts empty. A column is only ever added, never changed.
/// </summary>
internal static class CatalogSchemaUpgrade
{
    private static readonly (Type Entity, string Property)[] AddedColumns =
    [
        (typeof(UserEntity), nameof(UserEntity.PasswordHash)),
    ];

    /// <summary>Adds the missing columns; returns their "table.column" names.</summary>
    public static async Task<IReadOnlyList<string>> AddMissingColumnsAsync(CatalogDbContext db, CancellationToken cancellationToken)
    {
        // SQLite is the one provider today; another one would bring EF migrations rather than this list.
        if (!db.Database.IsSqlite())
        {
            return [];
        }

        var sql = db.GetService<ISqlGenerationHelper>();
        var added = new List<string>();
        foreach (var (entity, propertyName) in AddedColumns)
        {
            var entityType = db.Model.FindEntityType(entity) ?? throw new InvalidOperationException($"{entity.Name} is not in the catalog model.");
            var property = entityType.FindProperty(propertyName) ?? throw new InvalidOperationException($"{entity.Name}.{propertyName} is not in the catalog model.");
            var table = entityType.GetTableName()!;
            var column = property.GetColumnName();
            var present = await db.Database
                .SqlQuery<int>($"SELECT COUNT(*) AS \"Value\" FROM pragma_table_info({table}) WHERE name = {column}")
                .SingleAsync(cancellationToken);
            if (present > 0)
            {
                continue;
            }

#pragma warning disable EF1002 // Identifiers from the model, delimited; no request value reaches this statement.
            await db.Database.ExecuteSqlRawAsync(
                $"ALTER TABLE {sql.DelimitIdentifier(table)} ADD COLUMN {sql.DelimitIdentifier(column)} {property.GetColumnType()} NULL", cancellationToken);
#pragma warning restore EF1002
            added.Add($"{table}.{column}");
        }

        return added;
    }
}
