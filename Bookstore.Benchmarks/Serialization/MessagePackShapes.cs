using Bookstore.Catalog.Contracts;
using PolyType;

namespace Bookstore.Benchmarks.Serialization;

/// <summary>
/// Source-generated shapes for Nerdbank.MessagePack, kept outside the DTOs so the library takes no
/// MessagePack dependency while the format is only being evaluated.
/// </summary>
[GenerateShapeFor<Book>]
[GenerateShapeFor<BookPage>]
internal sealed partial class MessagePackShapes;
