package dev.caravan.dsl;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * The node kinds a loader reads and a compiler writes, in order (messages list them so). The installed ones are those
 * {@link ServiceLoader} finds: Caravan's own, listed in {@code META-INF/services/dev.caravan.dsl.NodeKind} of
 * caravan-components, then any a jar on the class path adds.
 */
public final class NodeKinds {

    private final Map<String, NodeKind> byName;

    private NodeKinds(Map<String, NodeKind> byName) {
        this.byName = Collections.unmodifiableMap(byName);
    }

    /**
     * These kinds, in this order.
     *
     * @throws IllegalArgumentException when two kinds have one name
     */
    public static NodeKinds of(Collection<? extends NodeKind> kinds) {
        Map<String, NodeKind> byName = new LinkedHashMap<>();
        for (NodeKind kind : kinds) {
            NodeKind other = byName.putIfAbsent(kind.name(), kind);
            if (other != null) {
                throw new IllegalArgumentException("Two node kinds are named " + kind.name() + ": "
                        + other.getClass().getName() + " and " + kind.getClass().getName());
            }
        }
        return new NodeKinds(byName);
    }

    /**
     * The kinds {@link ServiceLoader} finds through this module's class loader (Caravan's own) and through
     * {@code classLoader} (which may have gained jars), each kind once.
     *
     * @throws IllegalArgumentException when two different kinds have one name
     */
    public static NodeKinds installed(ClassLoader classLoader) {
        Map<Class<?>, NodeKind> found = new LinkedHashMap<>();
        ServiceLoader.load(NodeKind.class, NodeKind.class.getClassLoader()).forEach(k -> found.put(k.getClass(), k));
        if (classLoader != null) {
            // a parent-first class loader finds the built-in kinds again: each class counts once
            ServiceLoader.load(NodeKind.class, classLoader).forEach(k -> found.putIfAbsent(k.getClass(), k));
        }
        return of(found.values());
    }

    /**
     * The kinds installed for the thread's class loader, which may have gained jars (caravan run --dep): found once
     * per class loader, since finding them scans the class path.
     */
    public static Supplier<NodeKinds> installedPerClassLoader() {
        Map<ClassLoader, NodeKinds> found = Collections.synchronizedMap(new WeakHashMap<>());
        return () -> {
            ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
            return classLoader == null ? installed(null) : found.computeIfAbsent(classLoader, NodeKinds::installed);
        };
    }

    /** The kind of this name, or null. */
    public NodeKind get(String name) {
        return byName.get(name);
    }

    /** The kinds' names, in order. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public Collection<NodeKind> all() {
        return byName.values();
    }
}
