using Microsoft.EntityFrameworkCore;

namespace Bookstore.Api.Catalog;

/// <summary>The catalog schema. Provider-neutral: the provider is chosen in <c>AddCatalog</c> from <c>Bookstore:Catalog:Provider</c>.</summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options)
{
    public DbSet<BookEntity> Books => Set<BookEntity>();

    public DbSet<AuthorEntity> Authors => Set<AuthorEntity>();

    public DbSet<BookAuthorEntity> BookAuthors => Set<BookAuthorEntity>();

    public DbSet<UserEntity> Users => Set<UserEntity>();

    public DbSet<RatingEntity> Ratings => Set<RatingEntity>();

    public DbSet<CartEntity> Carts => Set<CartEntity>();

    public DbSet<CartItemEntity> CartItems => Set<CartItemEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<BookEntity>(book =>
        {
            book.ToTable("Books");
            book.Property(b => b.Title).HasMaxLength(1000).IsRequired();
            book.Property(b => b.Isbn13).HasMaxLength(13);
            book.Property(b => b.LanguageCode).HasMaxLength(16);
            book.Property(b => b.ImageUrl).HasMaxLength(2000);
            book.Property(b => b.Price).HasPrecision(10, 2);
            book.HasIndex(b => b.GoodreadsBookId).IsUnique();
            book.HasIndex(b => b.RatingsCount);
            book.HasIndex(b => b.Title);
            book.HasMany(b => b.Authors).WithOne().HasForeignKey(a => a.BookId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuthorEntity>(author =>
        {
            author.ToTable("Authors");
            author.Property(a => a.Name).HasMaxLength(300).IsRequired();
            author.HasIndex(a => a.Name).IsUnique();
        });

        modelBuilder.Entity<BookAuthorEntity>(link =>
        {
            link.ToTable("BookAuthors");
            link.HasKey(l => new { l.BookId, l.AuthorId });
            link.HasOne(l => l.Author).WithMany().HasForeignKey(l => l.AuthorId).OnDelete(DeleteBehavior.Restrict);
            link.HasIndex(l => l.AuthorId);
        });

        modelBuilder.Entity<UserEntity>(user =>
        {
            user.ToTable("Users");
            user.Property(u => u.DisplayName).HasMaxLength(200).IsRequired();
            user.Property(u => u.Email).HasMaxLength(320).IsRequired();
            user.HasIndex(u => u.Email).IsUnique();
        });

        modelBuilder.Entity<RatingEntity>(rating =>
        {
            rating.ToTable("Ratings", t => t.HasCheckConstraint("CK_Ratings_Value", "\"Value\" BETWEEN 1 AND 5"));
            rating.HasKey(r => new { r.UserId, r.BookId });
            rating.HasOne<UserEntity>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
            rating.HasOne<BookEntity>().WithMany().HasForeignKey(r => r.BookId).OnDelete(DeleteBehavior.Cascade);
            rating.HasIndex(r => r.BookId);
        });

        modelBuilder.Entity<CartEntity>(cart =>
        {
            cart.ToTable("Carts");
            cart.HasKey(c => c.UserId);
            cart.HasOne<UserEntity>().WithOne().HasForeignKey<CartEntity>(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
            cart.HasMany(c => c.Items).WithOne().HasForeignKey(i => i.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CartItemEntity>(item =>
        {
            item.ToTable("CartItems", t => t.HasCheckConstraint("CK_CartItems_Quantity", "\"Quantity\" > 0"));
            item.HasKey(i => new { i.UserId, i.BookId });
            item.Property(i => i.UnitPrice).HasPrecision(10, 2);
            item.HasOne<BookEntity>().WithMany().HasForeignKey(i => i.BookId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
