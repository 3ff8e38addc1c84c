package dev.netstack.embedded;

import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Instances of configuration annotation types ({@code @ObjectClassDefinition} types such as
 * {@code IpConfig}) built from a map of properties, as Declarative Services builds them from a
 * configuration: what Guice binds in embedded mode.
 *
 * <p>Property names follow the DS mapping of method names (OSGi Compendium §112.8.2.2):
 * {@code reassembly_timeout_ms} is read from {@code reassembly.timeout.ms}, {@code interface$} from
 * {@code interface}, {@code a__b} from {@code a_b}, {@code a$_$b} from {@code a-b}. The method name
 * itself is accepted too. A property that is absent takes the method's default value; a method
 * without a default gives {@code null} (or 0 / false for primitives), as in DS.
 *
 * <p>Values are converted to the return type as DS does for the common cases: strings are parsed
 * into numbers and booleans, single values become one-element arrays, collections and arrays
 * become arrays, enum constants are looked up by name.
 *
 * <pre>{@code
 * IpConfig ip = Configs.of(IpConfig.class, Map.of("ttl", 32, "reassembly.timeout.ms", "5000"));
 * }</pre>
 */
public final class Configs {

    private Configs() {
    }

    /**
     * An instance of {@code type} reading {@code properties}; every value is converted now, so a
     * bad one is reported here.
     *
     * @throws IllegalArgumentException naming the property and type if a value cannot be converted
     */
    public static <A extends Annotation> A of(Class<A> type, Map<String, ?> properties) {
        if (!type.isAnnotation()) {
            throw new IllegalArgumentException(type.getName() + " is not an annotation type");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Method method : type.getDeclaredMethods()) {
            if (method.getParameterCount() != 0 || method.isSynthetic()) {
                continue;
            }
            String key = propertyName(method.getName());
            Object raw = properties.containsKey(key) ? properties.get(key) : properties.get(method.getName());
            Object value;
            if (raw == null) {
                value = method.getDefaultValue();
                if (value == null) {
                    value = zero(method.getReturnType());
                }
            } else {
                try {
                    value = convert(raw, method.getReturnType());
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("Property " + key + " of " + type.getSimpleName() + ": cannot use "
                            + describe(raw) + " as " + method.getReturnType().getSimpleName(), e);
                }
            }
            values.put(method.getName(), value);
        }
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                new Handler(type, values)));
    }

    /** An instance with every default (DS with no configuration). */
    public static <A extends Annotation> A defaults(Class<A> type) {
        return of(type, Map.of());
    }

    /** The property a method of a configuration type reads (DS 1.4 name mapping). */
    public static String propertyName(String methodName) {
        StringBuilder out = new StringBuilder(methodName.length());
        int n = methodName.length();
        for (int i = 0; i < n; i++) {
            char c = methodName.charAt(i);
            if (c == '$') {
                if (i + 1 < n && methodName.charAt(i + 1) == '$') {
                    out.append('$');
                    i++;
                } else if (i + 2 < n && methodName.charAt(i + 1) == '_' && methodName.charAt(i + 2) == '$') {
                    out.append('-');
                    i += 2;
                }
                // a single '$' is removed
            } else if (c == '_') {
                if (i + 1 < n && methodName.charAt(i + 1) == '_') {
                    out.append('_');
                    i++;
                } else {
                    out.append('.');
                }
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static Object zero(Class<?> type) {
        if (!type.isPrimitive()) {
            return null;
        }
        if (type == boolean.class) {
            return false;
        }
        if (type == char.class) {
            return (char) 0;
        }
        return convert(0, type);
    }

    private static String describe(Object raw) {
        return raw.getClass().isArray() ? Arrays.deepToString(new Object[] {raw}) : "'" + raw + "'";
    }

    static Object convert(Object raw, Class<?> type) {
        if (type.isArray()) {
            List<Object> items = new ArrayList<>();
            if (raw.getClass().isArray()) {
                for (int i = 0; i < Array.getLength(raw); i++) {
                    items.add(Array.get(raw, i));
                }
            } else if (raw instanceof Collection<?> collection) {
                items.addAll(collection);
            } else {
                items.add(raw);
            }
            Class<?> component = type.getComponentType();
            Object array = Array.newInstance(component, items.size());
            for (int i = 0; i < items.size(); i++) {
                Array.set(array, i, convert(Objects.requireNonNull(items.get(i), "null element"), component));
            }
            return array;
        }
        if (raw.getClass().isArray()) {
            if (Array.getLength(raw) == 0) {
                throw new IllegalArgumentException("empty array for a single value");
            }
            return convert(Array.get(raw, 0), type);
        }
        if (raw instanceof Collection<?> collection) {
            if (collection.isEmpty()) {
                throw new IllegalArgumentException("empty collection for a single value");
            }
            return convert(collection.iterator().next(), type);
        }
        if (type == String.class) {
            return raw.toString();
        }
        if (type == boolean.class || type == Boolean.class) {
            return raw instanceof Boolean b ? b : Boolean.parseBoolean(raw.toString().trim());
        }
        if (type == char.class || type == Character.class) {
            if (raw instanceof Character ch) {
                return ch;
            }
            String text = raw.toString();
            if (text.length() != 1) {
                throw new IllegalArgumentException("not one character");
            }
            return text.charAt(0);
        }
        if (type.isEnum()) {
            return enumConstant(type, raw.toString().trim());
        }
        if (type == Class.class) {
            try {
                return raw instanceof Class<?> c ? c : Class.forName(raw.toString().trim());
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException("no class " + raw, e);
            }
        }
        if (raw instanceof Number number) {
            return number(number, type);
        }
        String text = raw.toString().trim();
        if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
            return number(Double.parseDouble(text), type);
        }
        return number(Long.decode(text), type);
    }

    private static Object number(Number number, Class<?> type) {
        if (type == int.class || type == Integer.class) {
            return Math.toIntExact(exact(number));
        }
        if (type == long.class || type == Long.class) {
            return exact(number);
        }
        if (type == short.class || type == Short.class) {
            long v = exact(number);
            if (v != (short) v) {
                throw new ArithmeticException("out of range for short");
            }
            return (short) v;
        }
        if (type == byte.class || type == Byte.class) {
            long v = exact(number);
            if (v != (byte) v) {
                throw new ArithmeticException("out of range for byte");
            }
            return (byte) v;
        }
        if (type == double.class || type == Double.class) {
            return number.doubleValue();
        }
        if (type == float.class || type == Float.class) {
            return number.floatValue();
        }
        throw new IllegalArgumentException("unsupported type " + type.getName());
    }

    private static long exact(Number number) {
        if (number instanceof Double || number instanceof Float) {
            double d = number.doubleValue();
            if (d != Math.rint(d)) {
                throw new ArithmeticException("not a whole number");
            }
            return (long) d;
        }
        return number.longValue();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumConstant(Class<?> type, String name) {
        return Enum.valueOf((Class) type, name);
    }

    /** Answers the annotation methods from the converted values, plus the {@link Annotation} contract. */
    private static final class Handler implements InvocationHandler {
        private final Class<? extends Annotation> type;
        private final Map<String, Object> values;

        Handler(Class<? extends Annotation> type, Map<String, Object> values) {
            this.type = type;
            this.values = values;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) {
            String name = method.getName();
            int arity = method.getParameterCount();
            if (arity == 1 && name.equals("equals")) {
                return equalTo(args[0]);
            }
            if (arity == 0) {
                switch (name) {
                    case "annotationType":
                        return type;
                    case "hashCode":
                        return hash();
                    case "toString":
                        return toText();
                    default:
                        break;
                }
            }
            if (!values.containsKey(name)) {
                throw new UnsupportedOperationException(name);
            }
            return copy(values.get(name));
        }

        private static Object copy(Object value) {
            if (value != null && value.getClass().isArray()) {
                int length = Array.getLength(value);
                Object clone = Array.newInstance(value.getClass().getComponentType(), length);
                System.arraycopy(value, 0, clone, 0, length);
                return clone;
            }
            return value;
        }

        private boolean equalTo(Object other) {
            if (!type.isInstance(other)) {
                return false;
            }
            try {
                for (Map.Entry<String, Object> entry : values.entrySet()) {
                    Object theirs = type.getMethod(entry.getKey()).invoke(other);
                    if (!Objects.deepEquals(entry.getValue(), theirs)) {
                        return false;
                    }
                }
                return true;
            } catch (ReflectiveOperationException e) {
                return false;
            }
        }

        /** As {@link Annotation#hashCode()} specifies: sum of (127 * name hash) ^ value hash. */
        private int hash() {
            int sum = 0;
            for (Map.Entry<String, Object> entry : values.entrySet()) {
                Object v = entry.getValue();
                int valueHash = v == null ? 0 : v.getClass().isArray()
                        ? Arrays.deepHashCode(new Object[] {v}) - 31 : v.hashCode();
                sum += (127 * entry.getKey().hashCode()) ^ valueHash;
            }
            return sum;
        }

        private String toText() {
            StringBuilder text = new StringBuilder("@").append(type.getName()).append('(');
            boolean first = true;
            for (Map.Entry<String, Object> entry : values.entrySet()) {
                Object v = entry.getValue();
                String shown = Arrays.deepToString(new Object[] {v});
                text.append(first ? "" : ", ").append(entry.getKey()).append('=')
                        .append(shown, 1, shown.length() - 1);
                first = false;
            }
            return text.append(')').toString();
        }
    }
}
