using System.Linq.Expressions;
using System.Reflection;

namespace Bookstore.Caching.FunctionCaching;

/// <summary>
/// Compiles calls to an interface method from the proxy's boxed argument array, so no call goes through
/// <see cref="MethodBase.Invoke(object?, object?[])"/> (slower, and it wraps exceptions in TargetInvocationException).
/// </summary>
internal static class MethodInvokers
{
    public static Func<object, object?[], object?> PassThrough(MethodInfo method)
    {
        var (target, args) = (Expression.Parameter(typeof(object), "target"), Expression.Parameter(typeof(object?[]), "args"));
        var variables = new List<ParameterExpression>();
        var body = new List<Expression>();
        var writeBacks = new List<Expression>();
        var call = Call(method, target, args, variables, body, writeBacks);

        ParameterExpression? result = null;
        if (method.ReturnType == typeof(void))
        {
            body.Add(call);
        }
        else
        {
            result = Expression.Variable(method.ReturnType, "result");
            variables.Add(result);
            body.Add(Expression.Assign(result, call));
        }

        // DispatchProxy copies ref and out values back from the argument array after Invoke returns.
        body.AddRange(writeBacks);
        body.Add(result is null ? Expression.Constant(null, typeof(object)) : Expression.Convert(result, typeof(object)));
        return Expression.Lambda<Func<object, object?[], object?>>(Expression.Block(variables, body), target, args).Compile();
    }

    /// <summary>A call returning the method's <see cref="Task{TResult}"/>, or its <see cref="ValueTask{TResult}"/> as a task.</summary>
    public static Func<object, object?[], Task<T>> Cached<T>(MethodInfo method, bool returnsValueTask)
    {
        var (target, args) = (Expression.Parameter(typeof(object), "target"), Expression.Parameter(typeof(object?[]), "args"));
        // [CacheResult] methods have no ref or out parameters (rejected at start-up), so the call needs no block.
        Expression call = Call(method, target, args, variables: [], prelude: [], writeBacks: []);
        if (returnsValueTask)
        {
            call = Expression.Call(call, typeof(ValueTask<T>).GetMethod(nameof(ValueTask<T>.AsTask))!);
        }

        return Expression.Lambda<Func<object, object?[], Task<T>>>(call, target, args).Compile();
    }

    private static MethodCallExpression Call(
        MethodInfo method,
        ParameterExpression target,
        ParameterExpression args,
        List<ParameterExpression> variables,
        List<Expression> prelude,
        List<Expression> writeBacks)
    {
        var parameters = method.GetParameters();
        var arguments = new Expression[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].ParameterType;
            var slot = Expression.ArrayAccess(args, Expression.Constant(i));
            if (!type.IsByRef)
            {
                arguments[i] = Expression.Convert(slot, type);
                continue;
            }

            var element = type.GetElementType()!;
            var local = Expression.Variable(element, parameters[i].Name);
            variables.Add(local);

            // An out argument may arrive as null; a value type then starts from its default.
            prelude.Add(Expression.Assign(
                local,
                Expression.Condition(Expression.Equal(slot, Expression.Constant(null)), Expression.Default(element), Expression.Convert(slot, element))));
            writeBacks.Add(Expression.Assign(slot, Expression.Convert(local, typeof(object))));
            arguments[i] = local;
        }

        return Expression.Call(Expression.Convert(target, method.DeclaringType!), method, arguments);
    }
}
